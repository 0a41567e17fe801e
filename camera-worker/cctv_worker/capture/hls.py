"""HLS for players without MSE (Safari, iOS): the live view's own fMP4 fragments grouped into segments
and a playlist. No decode, no re-encode, and no muxer of its own: an HLS session is one more viewer of
the ``LiveSink`` (``HlsViewer``), so it shares the one RTSP session and the one muxer with every MSE
viewer, and it exists only while someone asks for its playlist.

``Segmenter`` is pure bookkeeping (bytes and times in, segments and a playlist out). A segment starts
at a keyframe once the current one is ``target`` seconds long (or at any frame once it is
``MAX_SEGMENT_FACTOR`` times that: a stream whose keyframes are rare still yields segments, and bounded
ones). Only the last ``keep`` complete segments are kept: memory is bounded by those and the segment
being built. A segment is listed once complete; its partial segments (LL-HLS: about ``PART_SECONDS``
each, the fragments as they come) are listed for the newest segments and the one being built, so a
player that supports them plays about a second behind instead of three segments.
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
# LL-HLS partial segments: a part is closed at the first fragment this long after its start, and the
# playlist's PART-TARGET is PART_TARGET_FACTOR times that (a part's duration must not exceed PART-TARGET,
# and it overshoots the cut by up to one frame interval: up to 0.1 s at 10 fps and faster).
PART_SECONDS = 0.2
PART_TARGET_FACTOR = 1.5
PARTS_LISTED_SEGMENTS = 2  # the parts of this many complete segments are listed, and the current one's


@dataclass
class Part:
    data: bytes
    duration: float
    independent: bool  # starts with a keyframe


@dataclass
class Segment:
    sequence: int
    start: float  # stream seconds of its first fragment
    wall: float  # Unix time its first fragment arrived (EXT-X-PROGRAM-DATE-TIME)
    keyframe: bool  # starts with a keyframe (decodable on its own)
    parts: list[Part] = field(default_factory=list)  # closed partial segments, in order
    open_part: list[bytes] = field(default_factory=list)  # the fragments of the part being built
    part_start: float = 0.0
    part_keyframe: bool = False
    size: int = 0
    duration: float = 0.0  # known once the next segment starts

    @property
    def data(self) -> bytes:
        return b"".join(part.data for part in self.parts)

    def close_part(self, now: float) -> None:
        if self.open_part:
            duration = max(now - self.part_start, 0.001)
            self.parts.append(Part(b"".join(self.open_part), duration, self.part_keyframe))
            self.open_part = []


class Segmenter:
    """Segments of one live session. Thread-safe: fed by the live sink's thread, read by servers."""

    def __init__(
        self,
        *,
        target: float = DEFAULT_TARGET_SECONDS,
        keep: int = DEFAULT_KEEP,
        part: float = PART_SECONDS,
    ) -> None:
        self.target, self.keep, self.part = target, keep, part
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
            if current.size and (
                (keyframe and length >= self.target)
                or length >= self.target * MAX_SEGMENT_FACTOR
                or current.size + len(fragment) > MAX_SEGMENT_BYTES
            ):
                current.close_part(seconds)
                current.duration = max(length, 0.001)
                self._segments.append(current)
                while len(self._segments) > self.keep:
                    self._segments.popleft()
                # TARGETDURATION must not change within a playlist: it only ever grows (rounded up).
                self._target_duration = max(self._target_duration, math.ceil(current.duration))
                current = self._current = self._new(seconds, wall, keyframe)
                self._cond.notify_all()
            elif current.open_part and seconds - current.part_start >= self.part:
                current.close_part(seconds)
                self._cond.notify_all()
            if not current.open_part:
                current.part_start, current.part_keyframe = seconds, keyframe
            current.open_part.append(fragment)
            current.size += len(fragment)

    def _new(self, seconds: float, wall: float, keyframe: bool) -> Segment:
        segment = Segment(self._next_sequence, seconds, wall, keyframe)
        self._next_sequence += 1
        return segment

    def end(self) -> None:
        with self._cond:
            self.ended = True
            self._cond.notify_all()

    def _has(self, sequence: int, part: int | None) -> bool:
        if self._segments and self._segments[-1].sequence >= sequence:
            return True  # complete: every part of it is there
        current = self._current
        return (
            part is not None
            and current is not None
            and current.sequence == sequence
            and len(current.parts) > part
        )

    def wait_for(self, sequence: int, timeout: float, part: int | None = None) -> bool:
        """Waits up to ``timeout`` until segment ``sequence`` is complete, or (``part``) has that partial
        segment, or the session ended."""
        with self._cond:
            return self._cond.wait_for(lambda: self.ended or self._has(sequence, part), timeout=timeout)

    def segment(self, sequence: int) -> bytes | None:
        with self._cond:
            for segment in self._segments:
                if segment.sequence == sequence:
                    return segment.data
        return None

    def partial(self, sequence: int, index: int) -> bytes | None:
        with self._cond:
            candidates = [*self._segments, *([self._current] if self._current else [])]
            for segment in candidates:
                if segment.sequence == sequence and index < len(segment.parts):
                    return segment.parts[index].data
        return None

    @property
    def next_part(self) -> tuple[int, int] | None:
        """(segment, part) of the next partial segment to come: what a blocking reload may ask for."""
        with self._cond:
            if self._current is None:
                return None
            return self._current.sequence, len(self._current.parts)

    def playlist(self) -> str | None:
        """The media playlist (RFC 8216 with its low-latency extension: partial segments and blocking
        reloads), None before the first segment is complete."""
        with self._cond:
            segments = list(self._segments)
            current = self._current
            parts_now = list(current.parts) if current is not None else []
            listed = {segment.sequence: list(segment.parts) for segment in segments[-PARTS_LISTED_SEGMENTS:]}
            target = self._target_duration
        if not segments:
            return None
        part_target = self.part * PART_TARGET_FACTOR
        lines = [
            "#EXTM3U",
            "#EXT-X-VERSION:9",
            f"#EXT-X-TARGETDURATION:{target}",
            # A player starts this far behind the newest part (at least three part targets).
            f"#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK={3 * part_target:.3f}",
            f"#EXT-X-PART-INF:PART-TARGET={part_target:.3f}",
            f"#EXT-X-MEDIA-SEQUENCE:{segments[0].sequence}",
            '#EXT-X-MAP:URI="init.mp4"',
        ]

        def part_lines(sequence: int, parts: list[Part]) -> list[str]:
            return [
                f'#EXT-X-PART:DURATION={part.duration:.3f},URI="part-{sequence}.{index}.m4s"'
                + (",INDEPENDENT=YES" if part.independent else "")
                for index, part in enumerate(parts)
            ]

        for segment in segments:
            stamp = datetime.fromtimestamp(segment.wall, UTC).isoformat(timespec="milliseconds")
            lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{stamp}")
            lines.extend(part_lines(segment.sequence, listed.get(segment.sequence, [])))
            lines.append(f"#EXTINF:{segment.duration:.3f},")
            lines.append(f"seg-{segment.sequence}.m4s")
        if current is not None:
            lines.extend(part_lines(current.sequence, parts_now))
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
        while viewer.idle_for() < self.idle_timeout and not viewer.wait_ended(step):
            pass
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
