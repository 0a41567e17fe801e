"""Stream status shared between the capture thread and its readers, and the stall rule.

A stall is "connected, but no frame for ``stall_timeout`` seconds": a camera whose socket stays open
but sends nothing. OpenCV's read timeout ends a blocked read; the watchdog also asks the capture loop
to reconnect and reports the stream down at once, so that readiness and heartbeats tell the truth.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from enum import StrEnum


class StreamState(StrEnum):
    CONNECTING = "connecting"
    UP = "up"
    DOWN = "down"


class StreamStatus:
    """Thread-safe view of the stream: state, age of the last frame, measured frame rate."""

    def __init__(self, stall_timeout: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.stall_timeout = stall_timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._state = StreamState.CONNECTING
        self._since = clock()
        self._last_frame: float | None = None
        self._recent: deque[float] = deque(maxlen=240)
        self.reconnect_requested = threading.Event()
        self._error = ""  # why the stream last failed to open or broke; "" while it is up

    @property
    def error(self) -> str:
        with self._lock:
            return self._error

    def set_error(self, reason: str) -> None:
        with self._lock:
            self._error = reason

    @property
    def state(self) -> StreamState:
        with self._lock:
            return self._state

    def set_state(self, state: StreamState) -> None:
        with self._lock:
            if state != self._state:
                self._state = state
                self._since = self._clock()
                if state != StreamState.UP:
                    self._recent.clear()

    def frame_seen(self) -> None:
        now = self._clock()
        with self._lock:
            self._last_frame = now
            self._recent.append(now)

    def frame_age(self) -> float | None:
        with self._lock:
            return None if self._last_frame is None else self._clock() - self._last_frame

    def fps(self, window: float = 5.0) -> float:
        """Frames per second over the last ``window`` seconds (0 when down)."""
        now = self._clock()
        with self._lock:
            if self._state != StreamState.UP:
                return 0.0
            recent = [t for t in self._recent if now - t <= window]
        if len(recent) < 2:
            return 0.0
        span = recent[-1] - recent[0]
        return (len(recent) - 1) / span if span > 0 else 0.0

    def is_stalled(self) -> bool:
        """Up, yet nothing arrived for ``stall_timeout`` seconds (counted from connect if no frame yet)."""
        now = self._clock()
        with self._lock:
            if self._state != StreamState.UP:
                return False
            since = max(self._since, self._last_frame or self._since)
            return now - since > self.stall_timeout

    def is_ready(self) -> bool:
        age = self.frame_age()
        return self.state == StreamState.UP and age is not None and age <= self.stall_timeout

    def check(self) -> bool:
        """Runs the stall rule once; on a stall, marks the stream down and asks for a reconnect."""
        if self.is_stalled():
            self.set_state(StreamState.DOWN)
            self.reconnect_requested.set()
            return True
        return False
