"""What the service does to one batch, without Triton or a model runtime: uint8 frames in, padded
detection rows out. Pure numpy (+ the worker's NMS), so it is tested without a server."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cctv_worker.detect.postprocess import nms_rows, to_blob
from cctv_worker.detect.protocol import MAX_DETECTIONS, pack

IOU_THRESHOLD = 0.45  # the worker's in-process value: same frames, same boxes


def check_images(images: np.ndarray, size: int) -> None:
    """Refuses what the model cannot take, with a message the client sees in its error."""
    if images.dtype != np.uint8:
        raise ValueError(f"images must be uint8, got {images.dtype}")
    if images.ndim != 4 or images.shape[1:] != (size, size, 3):
        raise ValueError(
            f"images must be [batch, {size}, {size}, 3] (letterboxed BGR), got {list(images.shape)}"
        )


def run_batch(
    images: np.ndarray,
    infer: Callable[[np.ndarray], np.ndarray],
    *,
    num_classes: int,
    size: int,
    conf_floor: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Normalises on the service side, runs the model once for the whole batch, NMS per frame."""
    check_images(images, size)
    raw = infer(to_blob(images))
    if raw.shape[0] != images.shape[0]:
        raise RuntimeError(f"the model returned {raw.shape[0]} results for {images.shape[0]} frames")
    rows = [nms_rows(raw[i], num_classes, conf_floor, IOU_THRESHOLD, MAX_DETECTIONS) for i in range(len(raw))]
    return pack(rows)
