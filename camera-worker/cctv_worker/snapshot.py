"""The alert's picture: the frame with boxes and labels drawn, as a JPEG of bounded size.

Hershey fonts are compiled into OpenCV, so drawing needs no font file (nothing is downloaded).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from cctv_worker.detect.base import Detection

_COLOURS = [(0, 0, 255), (0, 200, 255), (255, 128, 0), (0, 200, 0), (255, 0, 255), (255, 255, 0)]


class SnapshotError(RuntimeError):
    pass


def draw(image: np.ndarray, detections: Sequence[Detection]) -> np.ndarray:
    canvas = image.copy()
    height, width = canvas.shape[:2]
    thickness = max(1, round(min(width, height) / 360))
    scale = max(0.4, min(width, height) / 1000)
    labels = sorted({d.label for d in detections})
    for det in detections:
        colour = _COLOURS[labels.index(det.label) % len(_COLOURS)]
        x1, y1, x2, y2 = (
            round(det.box[0] * width),
            round(det.box[1] * height),
            round(det.box[2] * width),
            round(det.box[3] * height),
        )
        cv2.rectangle(canvas, (x1, y1), (x2, y2), colour, thickness)
        text = f"{det.label} {det.confidence:.2f}"
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
        ty = y1 - 4 if y1 - th - base - 4 >= 0 else y1 + th + base + 4
        cv2.rectangle(canvas, (x1, ty - th - base), (x1 + tw + 4, ty + base), colour, cv2.FILLED)
        cv2.putText(
            canvas,
            text,
            (x1 + 2, ty),
            cv2.FONT_HERSHEY_SIMPLEX,
            scale,
            (255, 255, 255),
            thickness,
            cv2.LINE_AA,
        )
    return canvas


def encode_jpeg(image: np.ndarray, *, max_width: int, max_bytes: int) -> bytes:
    """Downscales to ``max_width``, then lowers quality and size until the JPEG fits ``max_bytes``."""
    height, width = image.shape[:2]
    if width > max_width:
        image = cv2.resize(
            image, (max_width, round(height * max_width / width)), interpolation=cv2.INTER_AREA
        )
    for _ in range(8):
        for quality in (85, 70, 55, 40):
            ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
            if not ok:
                raise SnapshotError("JPEG encoding failed")
            if buf.size <= max_bytes:
                return buf.tobytes()
        h, w = image.shape[:2]
        image = cv2.resize(image, (max(16, w * 3 // 4), max(16, h * 3 // 4)), interpolation=cv2.INTER_AREA)
    raise SnapshotError(f"cannot fit a snapshot into {max_bytes} bytes")


def render(image: np.ndarray, detections: Sequence[Detection], *, max_width: int, max_bytes: int) -> bytes:
    return encode_jpeg(draw(image, detections), max_width=max_width, max_bytes=max_bytes)
