"""The snapshot: boxes drawn on the frame, a JPEG within the size bound."""

import cv2
import numpy as np

from cctv_worker.snapshot import draw, encode_jpeg, render

from .helpers import det


def test_boxes_and_labels_are_drawn_and_the_original_frame_is_untouched() -> None:
    frame = np.zeros((360, 640, 3), np.uint8)
    drawn = draw(frame, [det(box=(0.25, 0.25, 0.75, 0.75))])
    assert frame.sum() == 0
    assert drawn[180, 160].any()  # left edge of the box
    assert not drawn[180, 320].any()  # inside the box stays as it was


def test_a_noisy_4k_frame_still_fits_the_byte_bound_and_width() -> None:
    noisy = np.random.default_rng(1).integers(0, 255, (2160, 3840, 3), dtype=np.uint8)
    jpeg = encode_jpeg(noisy, max_width=1280, max_bytes=100_000)
    assert len(jpeg) <= 100_000
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape[1] <= 1280


def test_render_returns_a_decodable_jpeg() -> None:
    jpeg = render(np.full((240, 320, 3), 90, np.uint8), [det()], max_width=1280, max_bytes=500_000)
    assert jpeg[:2] == b"\xff\xd8"
    assert cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR).shape == (240, 320, 3)
