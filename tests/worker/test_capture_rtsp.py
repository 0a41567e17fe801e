"""Capture against a real RTSP server (GStreamer, tests/support/rtsp_server.py): sampling, reconnects
after the camera dies, stall detection when it freezes, and a cheap backoff when it never answers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from cctv_worker.backoff import Backoff
from cctv_worker.capture.sampler import FrameSampler
from cctv_worker.capture.stream import CaptureThread, Mailbox
from cctv_worker.capture.watchdog import StreamState, StreamStatus
from cctv_worker.metrics import WorkerMetrics
from support.footage import bus_jpg, still_video
from support.net import free_port
from support.rtsp_server import RtspServer

from .helpers import wait_for


class Capture:
    def __init__(self, url: str, *, frame_skip: int = 1, timeout: float = 3.0, delay: float = 0.2) -> None:
        self.registry = CollectorRegistry()
        self.metrics = WorkerMetrics(self.registry, 1)
        self.status = StreamStatus(stall_timeout=timeout)
        self.mailbox = Mailbox()
        self.thread = CaptureThread(
            url,
            status=self.status,
            sampler=FrameSampler(frame_skip),
            backoff=Backoff(delay, 1.0, jitter=0.0),
            mailbox=self.mailbox,
            metrics=self.metrics,
            open_timeout=timeout,
            stop=threading.Event(),
        )

    def value(self, name: str) -> float:
        return self.registry.get_sample_value(name, {"camera": "1"}) or 0.0

    def frames(self) -> float:
        return self.value("cctv_frames_read_total")

    def reconnects(self) -> float:
        return self.value("cctv_stream_reconnects_total")


@pytest.fixture
def capture() -> Iterator[type[Capture]]:
    started: list[Capture] = []

    def make(url: str, **kwargs: float) -> Capture:
        cap = Capture(url, **kwargs)
        cap.thread.start()
        started.append(cap)
        return cap

    yield make  # type: ignore[misc]
    for cap in started:
        cap.thread.stop_event.set()
    for cap in started:
        cap.thread.join(15)


def test_frames_arrive_and_only_every_nth_is_decoded(capture, rtsp_testsrc: RtspServer) -> None:
    cap = capture(rtsp_testsrc.url, frame_skip=5)
    indices = []
    deadline = time.monotonic() + 20
    while len(indices) < 4 and time.monotonic() < deadline:
        frame = cap.mailbox.get(timeout=0.5)
        if frame is not None:
            indices.append(frame.index)
            assert frame.image.shape == (240, 320, 3)
    assert len(indices) == 4
    assert all(i % 5 == 0 for i in indices)
    assert cap.value("cctv_stream_up") == 1
    assert cap.status.state is StreamState.UP


@pytest.mark.slow
def test_a_killed_stream_reconnects_and_frames_resume(capture, rtsp_testsrc: RtspServer) -> None:
    cap = capture(rtsp_testsrc.url)
    wait_for(lambda: cap.frames() >= 10, 20, what="first frames")
    rtsp_testsrc.kill()
    wait_for(lambda: cap.status.state is not StreamState.UP, 15, what="stream noticed down")
    assert cap.value("cctv_stream_up") == 0
    before = cap.frames()
    rtsp_testsrc.start()  # the camera comes back on the same address
    wait_for(lambda: cap.frames() >= before + 10, 30, what="frames after the restart")
    assert cap.reconnects() >= 1
    assert cap.status.state is StreamState.UP


@pytest.mark.slow
def test_a_frozen_stream_is_detected_within_the_stall_timeout_and_recovers(
    capture,
    rtsp_testsrc: RtspServer,
) -> None:
    cap = capture(rtsp_testsrc.url, timeout=2.0)
    wait_for(lambda: cap.frames() >= 10, 20, what="first frames")
    rtsp_testsrc.pause()  # SIGSTOP: the socket stays open, nothing arrives

    def noticed() -> bool:
        # Either the watchdog (run by the worker's loop) flags it, or the read timeout ends the read first.
        return cap.status.check() or cap.status.state is not StreamState.UP

    took = wait_for(noticed, 10, what="stall detection")
    silent_for = cap.status.frame_age()
    # Frames already buffered in the socket still arrive after SIGSTOP; the stall starts at the last
    # one, and is flagged the stall timeout after it (not after FFmpeg's 60 s).
    assert silent_for is not None and silent_for <= 2.0 + 0.6
    assert took < 8
    assert cap.status.state is StreamState.DOWN
    assert not cap.status.is_ready()
    rtsp_testsrc.resume()
    before = cap.frames()
    wait_for(lambda: cap.frames() >= before + 10, 40, what="frames after the stall")
    assert cap.reconnects() >= 1


def test_an_unreachable_camera_backs_off_costs_little_cpu_and_never_crashes(capture) -> None:
    cap = capture(f"rtsp://127.0.0.1:{free_port()}/nothing", delay=0.2)
    cpu0, wall0 = time.process_time(), time.monotonic()
    # The state is CONNECTING for the instant of each attempt and DOWN while backing off between them;
    # sample it in a back-off, not at the moment the counter moves.
    wait_for(
        lambda: cap.reconnects() >= 4 and cap.status.state is StreamState.DOWN,
        20,
        interval=0.05,
        what="four reconnect attempts, then backing off",
    )
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    assert cap.thread.is_alive()
    assert cap.frames() == 0
    assert wall >= 0.2 + 0.4 + 0.8  # the delays grew: 0.2, 0.4, 0.8, ...
    assert cpu / wall < 0.15


def test_a_video_file_plays_at_its_own_rate_and_starts_over_at_the_end(capture, tmp_path: Path) -> None:
    video = still_video(bus_jpg(), tmp_path / "bus.avi", seconds=1.0, fps=10)
    cap = capture(str(video), delay=0.0)
    started = time.monotonic()
    wait_for(lambda: cap.frames() >= 20, 15, what="two plays of the file")
    assert time.monotonic() - started >= 1.5  # 20 frames at 10 fps, not as fast as the disk reads
    assert cap.reconnects() >= 1


def test_an_error_inside_capture_is_logged_and_capture_carries_on(rtsp_testsrc: RtspServer) -> None:
    # The opener raising stands in for an FFmpeg error that a real stream cannot be made to produce on demand.
    calls = []

    def flaky_opener(url: str, timeout: float):
        from cctv_worker.capture.source import open_source

        calls.append(url)
        if len(calls) == 1:
            raise RuntimeError("av.error: something odd")
        return open_source(url, timeout)

    cap = Capture(rtsp_testsrc.url, delay=0.1)
    cap.thread.opener = flaky_opener
    cap.thread.start()
    try:
        wait_for(lambda: cap.frames() >= 5, 20, what="frames after the error")
    finally:
        cap.thread.stop_event.set()
        cap.thread.join(15)
    assert len(calls) >= 2
