"""Clips cut from a real RTSP stream (GStreamer, H.264, a keyframe a second) over the same connection
that feeds the detector: remuxed MP4 with the index first, starting at a keyframe within the pre-roll,
covering what was asked; keyframes-only decoding at run time."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from prometheus_client import CollectorRegistry

from cctv_worker.backoff import Backoff
from cctv_worker.capture.recorder import FinishedClip, Recorder
from cctv_worker.capture.sampler import FrameSampler
from cctv_worker.capture.stream import CaptureThread, DecodeMode, Mailbox
from cctv_worker.capture.watchdog import StreamStatus
from cctv_worker.metrics import WorkerMetrics
from support.rtsp_server import RtspServer

from .helpers import wait_for


def start_capture(url: str, recorder: Recorder | None) -> CaptureThread:
    thread = CaptureThread(
        url,
        status=StreamStatus(stall_timeout=5.0),
        sampler=FrameSampler(1),
        backoff=Backoff(0.2, 1.0, jitter=0.0),
        mailbox=Mailbox(),
        metrics=WorkerMetrics(CollectorRegistry(), 1),
        open_timeout=5.0,
        stop=threading.Event(),
        sinks=[recorder] if recorder is not None else (),
    )
    thread.start()
    return thread


@pytest.mark.slow
def test_a_clip_covers_pre_roll_event_and_post_roll_and_plays(
    rtsp_testsrc: RtspServer, tmp_path: Path
) -> None:
    done: list[FinishedClip] = []
    recorder = Recorder(tmp_path, pre_roll=3.0, max_seconds=60.0, on_finished=done.append)
    thread = start_capture(rtsp_testsrc.url, recorder)
    try:
        wait_for(
            lambda: (recorder.preroll.oldest_wall or time.time()) < time.time() - 3.5, 30, what="pre-roll"
        )
        event_start = time.time()
        assert recorder.start("ev1", at=event_start) == 0
        time.sleep(2.0)
        event_end = time.time()
        recorder.stop("ev1", at=event_end + 2.0)  # post-roll 2 s
        wait_for(lambda: done, 15, what="finished clip")
    finally:
        thread.stop_event.set()
        thread.join(15)
    clip = done[0].file
    assert clip.path.is_file() and clip.size == clip.path.stat().st_size
    # The first frame lies in the pre-roll window (at most one keyframe interval, 1 s, before it).
    assert event_start - 3.0 - 1.1 <= clip.started_at <= event_start - 3.0 + 0.05
    assert clip.ended_at >= event_end + 2.0
    assert 3.0 + 2.0 + 2.0 - 0.3 <= clip.duration <= 3.0 + 2.0 + 2.0 + 1.5
    head = clip.path.read_bytes()[:4096]
    assert b"moov" in head and (
        b"mdat" not in head or head.index(b"moov") < head.index(b"mdat")
    )  # index first
    with av.open(str(clip.path)) as container:
        assert container.format.name.startswith("mov,mp4")
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"  # the camera's own packets, not re-encoded
        frames = list(container.decode(stream))
    assert len(frames) >= 60  # 10 fps for about 7 s
    assert frames[0].key_frame


@pytest.mark.slow
def test_keyframes_only_decoding_can_be_switched_on_and_off_at_run_time(rtsp_testsrc: RtspServer) -> None:
    thread = start_capture(rtsp_testsrc.url, None)
    try:
        wait_for(lambda: thread.mailbox.get(0.5) is not None, 30, what="first frame")
        thread.set_decode_mode(DecodeMode.KEYFRAMES)
        time.sleep(0.3)
        got = []
        deadline = time.monotonic() + 3.2
        while time.monotonic() < deadline:
            frame = thread.mailbox.get(0.2)
            if frame is not None:
                got.append(frame)
        assert 2 <= len(got) <= 5 and all(f.keyframe for f in got)  # one keyframe a second
        thread.set_decode_mode(DecodeMode.ALL)
        many = []
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            frame = thread.mailbox.get(0.2)
            if frame is not None:
                many.append(frame)
        assert len(many) >= 15
    finally:
        thread.stop_event.set()
        thread.join(15)


@pytest.mark.slow
def test_while_idle_keyframes_are_decoded_only_at_the_sampling_rate(rtsp_testsrc: RtspServer) -> None:
    """testsrc has a keyframe a second (10 frames); a sampler of 20 frames wants one every 2 s. The
    frames come undecoded to BGR: the motion gate's small grey copy is made straight from the picture."""
    thread = start_capture(rtsp_testsrc.url, None)
    thread.sampler = FrameSampler(20)
    try:
        wait_for(lambda: thread.mailbox.get(0.5) is not None, 30, what="first frame")
        thread.set_decode_mode(DecodeMode.KEYFRAMES)
        got = []
        deadline = time.monotonic() + 6.5
        while time.monotonic() < deadline:
            frame = thread.mailbox.get(0.2)
            if frame is not None:
                got.append(frame)
    finally:
        thread.stop_event.set()
        thread.join(15)
    assert len(got) >= 2 and all(f.keyframe for f in got), [f.index for f in got]
    assert all(b.index - a.index >= 20 for a, b in itertools.pairwise(got)), [f.index for f in got]
    grey = got[-1].grey(160)
    assert grey.shape == (120, 160) and grey.dtype == np.uint8
    image = got[-1].image
    assert image.shape == (240, 320, 3)
    expected = cv2.resize(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), (160, 120), interpolation=cv2.INTER_AREA)
    assert np.abs(grey.astype(int) - expected).mean() < 4  # the same grey levels as OpenCV's
