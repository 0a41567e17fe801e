"""The demo camera loops its footage without a seam: the worker's own capture reads across loop points
of the real RTSP server (the local product's rtsp_server.py, ``--loop --shared`` as cctv-local runs
it) without a single reconnect and without losing frames.

Before the fix the server looped the file's bytes (``multifilesrc loop=true``): every reader got end
of stream at the loop point (measured: at 79 s with vtest.avi) and the worker reconnected. The quick
test reaches three loop points in 10 s with 3 s of footage; the slow one reads the real demo footage
for 3 minutes (two loop points of its 80 s), as a demo user would watch it.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import pytest
from prometheus_client import CollectorRegistry

from cctv_worker.backoff import Backoff
from cctv_worker.capture.sampler import FrameSampler
from cctv_worker.capture.stream import CaptureThread, Mailbox
from cctv_worker.capture.watchdog import StreamState, StreamStatus
from cctv_worker.metrics import WorkerMetrics
from support.footage import vtest_avi
from support.rtsp_server import start_rtsp_server

from .helpers import wait_for

FPS = 10


def short_clip(source: Path, target: Path, seconds: float) -> Path:
    """The first ``seconds`` of ``source``, as an MJPEG AVI."""
    reader = cv2.VideoCapture(str(source))
    writer = None
    try:
        for _ in range(round(seconds * FPS)):
            ok, frame = reader.read()
            assert ok
            if writer is None:
                h, w = frame.shape[:2]
                writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (w, h))
            writer.write(frame)
    finally:
        reader.release()
        if writer is not None:
            writer.release()
    return target


def read_for(url: str, seconds: float) -> tuple[float, float, list[str]]:
    """Reads ``url`` with the worker's capture for ``seconds``; returns frames read, reconnects, and
    every stream state seen after the first frame."""
    registry = CollectorRegistry()
    metrics = WorkerMetrics(registry, 1)
    status = StreamStatus(stall_timeout=5.0)
    capture = CaptureThread(
        url, status=status, sampler=FrameSampler(FPS), backoff=Backoff(0.2, 1.0, jitter=0.0),
        mailbox=Mailbox(), metrics=metrics, open_timeout=5.0, stop=threading.Event(),
    )  # fmt: skip
    states: list[str] = []
    capture.start()
    try:
        wait_for(lambda: status.state is StreamState.UP and (registry.get_sample_value(
            "cctv_frames_read_total", {"camera": "1"}) or 0) > 0, timeout=20, what="first frame")  # fmt: skip
        first = registry.get_sample_value("cctv_frames_read_total", {"camera": "1"}) or 0.0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if status.state is not StreamState.UP:
                states.append(status.state.value)
            time.sleep(0.1)
        frames = (registry.get_sample_value("cctv_frames_read_total", {"camera": "1"}) or 0.0) - first
        reconnects = registry.get_sample_value("cctv_stream_reconnects_total", {"camera": "1"}) or 0.0
    finally:
        capture.stop_event.set()
        capture.join(10)
    return frames, reconnects, states


@pytest.mark.slow
def test_a_short_looped_clip_plays_across_three_loop_points_without_a_break(tmp_path: Path) -> None:
    clip = short_clip(vtest_avi(tmp_path), tmp_path / "clip.avi", seconds=3.0)
    with start_rtsp_server(clip, fps=FPS, size=(640, 360), loop=True, shared=True) as server:
        frames, reconnects, states = read_for(server.url, seconds=10.0)
    assert reconnects == 0
    assert states == []
    assert frames >= 0.9 * 10.0 * FPS, f"{frames} frames in 10 s at {FPS} fps: the stream paused"


@pytest.mark.slow
def test_without_loop_the_clip_ends_once_as_a_file_does(tmp_path: Path) -> None:
    """The control: the same reader does notice an end of stream, so the test above can fail."""
    clip = short_clip(vtest_avi(tmp_path), tmp_path / "clip.avi", seconds=3.0)
    with start_rtsp_server(clip, fps=FPS, size=(640, 360), loop=False) as server:
        _, reconnects, states = read_for(server.url, seconds=6.0)
    assert reconnects >= 1 or states


@pytest.mark.slow
def test_the_demo_footage_reads_for_three_minutes_without_a_reconnect(tmp_path: Path) -> None:
    with start_rtsp_server(vtest_avi(tmp_path), fps=FPS, size=(640, 360), loop=True, shared=True) as server:
        frames, reconnects, states = read_for(server.url, seconds=180.0)
    assert reconnects == 0
    assert states == []
    assert frames >= 0.95 * 180 * FPS
