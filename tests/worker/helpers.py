"""Small builders shared by the worker tests."""

from __future__ import annotations

from cctv_worker.detect.base import Detection


def det(
    label: str = "person", conf: float = 0.9, box: tuple[float, float, float, float] = (0.4, 0.4, 0.5, 0.7)
):
    return Detection(label, conf, box)


def moved(box: tuple[float, float, float, float], dx: float = 0.0, dy: float = 0.0):
    return (box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy)
