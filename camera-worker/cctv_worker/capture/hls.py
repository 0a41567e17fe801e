"""HLS for players without MSE (Safari, iOS): the live view's own fMP4 fragments grouped into segments
and a playlist. No decode, no re-encode, and no muxer of its own: an HLS session is one more viewer of
the ``LiveSink`` (``HlsViewer``), so it shares the one RTSP session and the one muxer with every MSE
viewer, and it exists only while someone asks for its playlist.

``Segmenter`` is pure bookkeeping (bytes and times in, segments and a playlist out). A segment starts
at a keyframe once the current one is ``target`` seconds long (or at any frame once it is
``MAX_SEGMENT_FACTOR`` times that: a stream whose keyframes are rare still yields segments, and bounded
ones). Only the last ``keep`` complete segments are kept: memory is bounded by those and the segment
being built. A segment is listed once complete (plain HLS, no partial segments: see the README's Limits).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cctv_worker.capture.live import LiveSink, Viewer

DEFAULT_TARGET_SECONDS = 1.0
DEFAULT_KEEP = 6  # segments listed and kept; a player starts three back from the end
MAX_SEGMENT_FACTOR = 4  # a segment is cut at any frame once this many targets long
MAX_SEGMENT_BYTES = 16 * 1024 * 1024  # ... or this big (a runaway bitrate): memory stays bounded


@dataclass
class Segment:
    sequence: int
    start: float  # stream seconds of its first fragment
    wall: float  # Unix time its first fragment arrived (EXT-X-PROGRAM-DATE-TIME)
    keyframe: bool  # starts with a keyframe (decodable on its own)
    parts: list[bytes] = field(default_factory=list)
    size: int = 0
    duration: float = 0.0  # known once the next segment starts

    @property
    def data(self) -> bytes:
        return b"".join(self.parts)


class Segmenter:
    """Segments of one live session. Thread-safe: fed by the live sink's thread, read by servers."""

    def __init__(self, *, target: float = DEFAULT_TARGET_SECONDS, keep: int = DEFAULT_KEEP) -> None:
        self.target, self.keep = target, keep
        self.init_segment = b""
        self._cond = threading.Condition()
        self._segments: deque[Segment] = deque()
        self._current: Segment | None = None
        self._next_sequence = 0
        self._target_duration = max(1, math.ceil(target))
        self.ended = False

    def add(self, init: bytes, keyframe: bool, seconds: float, wall: float, fragment: bytes) -> None:
        with self._cond:
            if self._current is None:
                if not keyframe:
                    return  # the first segment starts at a keyframe
                self.init_segment = init
                self._current = self._new(seconds, wall, keyframe)
            current = self._current
            length = seconds - current.start
            if current.parts and (
                (keyframe and length >= self.target)
                or length >= self.target * MAX_SEGMENT_FACTOR
                or current.size + len(fragment) > MAX_SEGMENT_BYTES
            ):
                current.duration = max(length, 0.001)
                self._segments.append(current)
                while len(self._segments) > self.keep:
                    self._segments.popleft()
                # TARGETDURATION must not change within a playlist: it only ever grows (rounded up).
                self._target_duration = max(self._target_duration, math.ceil(current.duration))
                current = self._current = self._new(seconds, wall, keyframe)
                self._cond.notify_all()
            current.parts.append(fragment)
            current.size += len(fragment)

    def _new(self, seconds: float, wall: float, keyframe: bool) -> Segment:
        segment = Segment(self._next_sequence, seconds, wall, keyframe)
        self._next_sequence += 1
        return segment

    def end(self) -> None:
        with self._cond:
            self.ended = True
            self._cond.notify_all()

    def wait_for(self, sequence: int, timeout: float) -> bool:
        """Waits up to ``timeout`` until segment ``sequence`` is complete (or the session ended)."""
        with self._cond:
            return self._cond.wait_for(
                lambda: self.ended or (bool(self._segments) and self._segments[-1].sequence >= sequence),
                timeout=timeout,
            )

    def segment(self, sequence: int) -> bytes | None:
        with self._cond:
            for segment in self._segments:
                if segment.sequence == sequence:
                    return segment.data
        return None

    def playlist(self) -> str | None:
        """The media playlist (RFC 8216, version 7 for fMP4), None before the first segment is complete."""
        with self._cond:
            segments = list(self._segments)
            target = self._target_duration
        if not segments:
            return None
        lines = [
            "#EXTM3U",
            "#EXT-X-VERSION:7",
            f"#EXT-X-TARGETDURATION:{target}",
            f"#EXT-X-MEDIA-SEQUENCE:{segments[0].sequence}",
            '#EXT-X-MAP:URI="init.mp4"',
        ]
        for segment in segments:
            stamp = datetime.fromtimestamp(segment.wall, UTC).isoformat(timespec="milliseconds")
            lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{stamp}")
            lines.append(f"#EXTINF:{segment.duration:.3f},")
            lines.append(f"seg-{segment.sequence}.m4s")
        return "\n".join(lines) + "\n"

    @property
    def last_sequence(self) -> int | None:
        with self._cond:
            return self._segments[-1].sequence if self._segments else None


class HlsViewer(Viewer):
    """An HLS session as a viewer of the ``LiveSink``: it takes every fragment into its ``Segmenter``
    instead of a send buffer. ``touch`` on every request; ``idle_for`` says how long since the last."""

    def __init__(self, segmenter: Segmenter, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(max_buffer_bytes=0)
        self.segmenter = segmenter
        self._clock = clock
        self._last_request = clock()

    def touch(self) -> None:
        self._last_request = self._clock()

    def idle_for(self) -> float:
        return self._clock() - self._last_request

    def offer(self, init: bytes, keyframe: bool, seconds: float, wall: float, fragment: bytes) -> bool:
        if self.ended:
            return False
        self.segmenter.add(init, keyframe, seconds, wall, fragment)
        return True

    def end(self) -> None:
        super().end()
        self.segmenter.end()


class HlsSessions:
    """At most one HLS session per live sink, started by the first playlist request and ended
    ``idle_timeout`` seconds after the last request of any kind (or when the stream disconnects). While
    it lives it is one of the sink's viewers (it counts against LIVE_MAX_VIEWERS); a small thread per
    session watches for idleness, so nothing runs when nobody watches."""

    def __init__(
        self,
        live: LiveSink,
        *,
        idle_timeout: float,
        target: float = DEFAULT_TARGET_SECONDS,
        keep: int = DEFAULT_KEEP,
        on_end: Callable[[], None] = lambda: None,
    ) -> None:
        self.live, self.idle_timeout, self.target, self.keep = live, idle_timeout, target, keep
        self.on_end = on_end
        self._lock = threading.Lock()
        self._session: HlsViewer | None = None

    @property
    def active(self) -> bool:
        session = self._session
        return session is not None and not session.ended

    def current(self) -> HlsViewer | None:
        """The running session (touched), or None."""
        with self._lock:
            session = self._session
        if session is None or session.ended:
            return None
        session.touch()
        return session

    def open(self) -> HlsViewer | None:
        """The running session, or a new one; None when the sink has no place for another viewer."""
        with self._lock:
            if self._session is not None and not self._session.ended:
                self._session.touch()
                return self._session
            viewer = HlsViewer(Segmenter(target=self.target, keep=self.keep))
            if not self.live.attach_viewer(viewer):
                return None
            self._session = viewer
        threading.Thread(target=self._watch, args=(viewer,), name="hls-idle", daemon=True).start()
        return viewer

    def _watch(self, viewer: HlsViewer) -> None:
        step = min(1.0, self.idle_timeout / 4)
        while not viewer.ended and viewer.idle_for() < self.idle_timeout:
            with viewer._cond:
                viewer._cond.wait_for(lambda: viewer.ended, timeout=step)
        self.live.detach(viewer)  # ends it: its segments are freed with it
        with self._lock:
            if self._session is viewer:
                self._session = None
        self.on_end()

    def stop(self) -> None:
        with self._lock:
            session = self._session
        if session is not None:
            self.live.detach(session)
