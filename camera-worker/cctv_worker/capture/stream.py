"""The capture thread: connect, grab/decode frames, hand the sampled ones over, reconnect forever.

Decoded frames go through a one-slot ``Mailbox``: the detector always gets the newest frame, and a
frame it had no time for is counted as dropped instead of queueing up latency.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cctv_worker.backoff import Backoff
from cctv_worker.capture.sampler import FrameSampler
from cctv_worker.capture.source import VideoSource, is_file_source, open_source, source_fps
from cctv_worker.capture.watchdog import StreamState, StreamStatus
from cctv_worker.metrics import WorkerMetrics
from cctv_worker.redact import mask_url

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Frame:
    image: np.ndarray
    index: int  # position in the stream since the last (re)connect
    captured_at: float  # wall-clock time (for the alert's timestamp)


class Mailbox:
    """Holds at most one frame; ``put`` replaces an unread one and says so."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: Frame | None = None

    def put(self, item: Frame) -> bool:
        with self._cond:
            replaced = self._item is not None
            self._item = item
            self._cond.notify()
            return replaced

    def get(self, timeout: float) -> Frame | None:
        with self._cond:
            if self._item is None:
                self._cond.wait(timeout)
            item, self._item = self._item, None
            return item


class CaptureThread(threading.Thread):
    def __init__(
        self,
        url: str,
        *,
        status: StreamStatus,
        sampler: FrameSampler,
        backoff: Backoff,
        mailbox: Mailbox,
        metrics: WorkerMetrics,
        open_timeout: float,
        stop: threading.Event,
        opener: Callable[[str, float], VideoSource | None] = open_source,
    ) -> None:
        super().__init__(name="capture", daemon=True)
        self.url = url
        self.status = status
        self.sampler = sampler
        self.backoff = backoff
        self.mailbox = mailbox
        self.metrics = metrics
        self.open_timeout = open_timeout
        self.stop_event = stop
        self.opener = opener
        self._pace = is_file_source(url)  # files play at their own frame rate, like a camera would

    def run(self) -> None:
        first = True
        while not self.stop_event.is_set():
            if not first:
                self.metrics.stream_reconnects.inc()
            first = False
            try:
                self._connect_and_read()
            except Exception:
                # A bug or an OpenCV error must not end capture for good: log it and reconnect.
                log.exception("capture failed; reconnecting")
            if self.stop_event.is_set():
                break
            delay = self.backoff.next_delay()
            log.info("reconnecting in %.1f s", delay, extra={"attempt": self.backoff.attempts})
            self.stop_event.wait(delay)
        self.status.set_state(StreamState.DOWN)
        self.metrics.stream_up.set(0)

    def _connect_and_read(self) -> None:
        self.status.set_state(StreamState.CONNECTING)
        self.status.reconnect_requested.clear()
        started = time.monotonic()
        cap = self.opener(self.url, self.open_timeout)
        if cap is None:
            self.status.set_state(StreamState.DOWN)
            self.metrics.stream_up.set(0)
            log.warning(
                "cannot open stream %s (after %.1f s)", mask_url(self.url), time.monotonic() - started
            )
            return
        try:
            self.status.set_state(StreamState.UP)
            self.metrics.stream_up.set(1)
            log.info("stream opened: %s", mask_url(self.url))
            self._read_loop(cap)
        finally:
            cap.release()
            self.status.set_state(StreamState.DOWN)
            self.metrics.stream_up.set(0)
            self.metrics.stream_fps.set(0)

    def _read_loop(self, cap: VideoSource) -> None:
        self.sampler.reset()
        fps = source_fps(cap) if self._pace else 0.0
        period = 1.0 / fps if fps else 0.0
        next_due = time.monotonic()
        index = 0
        while not self.stop_event.is_set():
            if self.status.reconnect_requested.is_set():
                log.warning("stream stalled: no frame for %.1f s", self.status.stall_timeout)
                return
            now = time.monotonic()
            decode = self.sampler.should_decode(index, now)
            if decode:
                ok, image = cap.read()
            else:
                ok, image = cap.grab(), None
            if not ok:
                reason = "end of file" if self._pace else "stream ended or read timed out"
                log.warning("no frame from %s: %s", mask_url(self.url), reason)
                return
            self.status.frame_seen()
            if index == 0:
                self.backoff.reset()  # a stream that delivers is healthy; one that only accepts is not
            self.metrics.frames_read.inc()
            self.metrics.last_frame_timestamp.set(time.time())
            if decode and image is not None and self.mailbox.put(Frame(image, index, time.time())):
                self.metrics.frames_dropped.inc()
            index += 1
            if period:
                next_due += period
                delay = next_due - time.monotonic()
                if delay > 0:
                    self.stop_event.wait(delay)
                else:
                    next_due = time.monotonic()
