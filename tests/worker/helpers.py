"""Small builders shared by the worker tests."""

from __future__ import annotations

from cctv_worker.detect.base import Detection
from cctv_worker.metrics import SEGMENT_DROP_REASONS


def det(
    label: str = "person", conf: float = 0.9, box: tuple[float, float, float, float] = (0.4, 0.4, 0.5, 0.7)
):
    return Detection(label, conf, box)


def moved(box: tuple[float, float, float, float], dx: float = 0.0, dy: float = 0.0):
    return (box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy)


def wait_for(condition, timeout: float = 15.0, interval: float = 0.02, what: str = "condition") -> float:
    """Polls ``condition`` until it is true; returns the seconds it took. Fails after ``timeout``."""
    import time

    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what} not met within {timeout} s")
        time.sleep(interval)
    return time.monotonic() - started


def assert_no_segment_dropped(worker, camera: str) -> None:
    """No recording segment of ``camera`` was dropped by ``worker`` (a WorkerProcess), for any reason the
    worker counts (cctv_segments_dropped_total{reason})."""
    for reason in SEGMENT_DROP_REASONS:
        assert worker.value("cctv_segments_dropped_total", camera=camera, reason=reason) == 0, reason
