"""Recording segments: the stream's own packets (no decoding, no re-encoding) cut into MP4 files of about
``SEGMENT_SECONDS`` each, every one starting at a keyframe (RECORD_MODE continuous or motion).

A packet sink (``capture.sinks``), run behind its own queue: capture never waits for a file. A segment
ends at the first keyframe at or past its target length, and that keyframe starts the next one, so that
consecutive segments of one connection touch (the end of one is the start of the next). A segment is
written under a temporary name and renamed when complete (``SegmentName``): a file with a segment's name
is always whole; a worker killed mid-segment loses that segment and nothing else.

The sink remembers the spans of the segments it finished lately (``covers``): an event clip whose span
one unbroken run of them holds is not cut a second time (the worker sends the backend a reference to the
recordings instead of the clip's bytes).

Motion mode records while ``MotionWindow`` says so: from ``pre_roll`` before the motion (kept in a ring
of packets, from a keyframe) to ``post_roll`` after the last motion seen.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cctv_worker.capture.clip_writer import ClipFile, ClipWriter
from cctv_worker.capture.packets import PreRoll, TimedPacket

log = logging.getLogger(__name__)

CONTINUOUS, MOTION = "continuous", "motion"
KINDS = (CONTINUOUS, MOTION)

# Finished segments remembered for ``covers``: about 40 minutes of 10 s segments, far more than a clip
# waits for its last segment.
_SPANS_KEPT = 256

_NAME = re.compile(r"^(?P<start>\d{1,17})-(?P<end>\d{1,17})-(?P<kind>continuous|motion)\.mp4$")


@dataclass(frozen=True, slots=True)
class SegmentName:
    """What a finished segment's file name says: its wall-clock span (microseconds) and kind. The name
    is the segment's identity: the backend's key is camera + start."""

    start_us: int
    end_us: int
    kind: str

    @property
    def file_name(self) -> str:
        return f"{self.start_us}-{self.end_us}-{self.kind}.mp4"

    @property
    def start(self) -> float:
        return self.start_us / 1e6

    @property
    def end(self) -> float:
        return self.end_us / 1e6

    @classmethod
    def parse(cls, name: str) -> SegmentName | None:
        match = _NAME.match(name)
        if match is None:
            return None
        return cls(int(match["start"]), int(match["end"]), match["kind"])

    @classmethod
    def of(cls, start: float, end: float, kind: str) -> SegmentName:
        start_us = round(start * 1e6)
        return cls(start_us, max(start_us + 1, round(end * 1e6)), kind)


@dataclass(frozen=True, slots=True)
class FinishedSegment:
    name: SegmentName
    file: ClipFile


class MotionWindow:
    """Whether motion mode records at a given wall time: up to ``post_roll`` after the last motion.

    The main loop calls ``saw_motion`` (frames the motion gate found moving, and the frames of open
    events); the segment sink's thread calls ``wants``. One float is shared: its assignment is atomic.
    """

    def __init__(self, post_roll: float) -> None:
        self.post_roll = post_roll
        self._last: float | None = None

    def saw_motion(self, at: float) -> None:
        last = self._last
        if last is None or at > last:
            self._last = at

    def wants(self, wall: float) -> bool:
        last = self._last
        return last is not None and wall <= last + self.post_roll


class SegmentSink:
    """Writes segments of ``kind`` into ``directory``; hands each finished one to ``on_finished``."""

    def __init__(
        self,
        directory: Path,
        *,
        kind: str,
        seconds: float,
        on_finished: Callable[[FinishedSegment], None],
        window: MotionWindow | None = None,
        pre_roll: float = 0.0,
        lag: float = 0.0,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown segment kind {kind!r}")
        if kind == MOTION and window is None:
            raise ValueError("motion segments need a motion window")
        self.directory = directory
        self.kind, self.seconds = kind, seconds
        self.on_finished = on_finished
        self.window = window if kind == MOTION else None
        self.pre_roll = pre_roll
        # Motion is seen on decoded frames, up to ``lag`` after their packets passed here: the ring keeps
        # that much more than the pre-roll.
        self.ring = PreRoll(pre_roll + lag) if self.window is not None else None
        self._lock = threading.Lock()
        self._template: Any = None
        self._writer: ClipWriter | None = None
        self._start = 0.0
        self._last: TimedPacket | None = None
        self._written_until = float("-inf")  # wall time up to which packets went into segments
        # (start, end) of the segments finished lately, and the wall times packets were lost before this
        # sink saw them (its queue was full): what ``covers`` answers from.
        self._spans: deque[tuple[float, float]] = deque(maxlen=_SPANS_KEPT)
        # Each of those segments' start and first packet's decode timestamp and time base (``locate``).
        self._bases: deque[tuple[float, int, Any]] = deque(maxlen=_SPANS_KEPT)
        self._breaks: deque[float] = deque(maxlen=_SPANS_KEPT)

    def on_connect(self, template: Any) -> None:
        with self._lock:
            self._template = template
            self._last = None
        if self.ring is not None:
            self.ring.clear()

    def on_packet(self, item: TimedPacket) -> None:
        if self.ring is not None:
            self.ring.add(item)
        wanted = self.window is None or self.window.wants(item.wall)
        finished = None
        with self._lock:
            writer = self._writer
            long_enough = item.wall - self._start >= self.seconds
            if writer is not None and item.keyframe and (not wanted or long_enough):
                finished = (writer, self._start, item.wall)  # this keyframe starts the next segment
                self._writer = writer = None
            if writer is None and wanted:
                writer = self._open(item)
            if writer is not None:
                writer.write(item)
                self._written_until = item.wall
            self._last = item
        if finished is not None:
            self._finish(*finished)

    def on_disconnect(self) -> None:
        """The stream broke: the running segment ends with the last packet (a gap follows)."""
        with self._lock:
            writer, start, last = self._writer, self._start, self._last
            self._writer, self._template, self._last = None, None, None
        if writer is not None:
            self._finish(writer, start, _end_of(last) if last is not None else start)
        if self.ring is not None:
            self.ring.clear()

    def close(self) -> None:
        """Shutdown: the running segment is kept as it is (shorter than the others)."""
        self.on_disconnect()

    def mark_gap(self, at: float) -> None:
        """Packets around wall time ``at`` never reached this sink (its queue dropped them): a segment
        holding ``at`` misses pictures, so it covers no clip."""
        with self._lock:
            self._breaks.append(at)

    def locate(self, wall: float, dts: int) -> tuple[int, float] | None:
        """Where the packet that arrived at ``wall`` with decode timestamp ``dts`` lies in the finished
        segments: (the segment's start in whole milliseconds, its key on the backend; seconds from the
        segment's first packet), or None when no finished segment holds that time."""
        with self._lock:
            spans = list(zip(self._spans, self._bases, strict=True))
        for (first, last), (_, base, time_base) in spans:
            if first <= wall < last and time_base is not None:
                return SegmentName.of(first, last, self.kind).start_us // 1000, float(
                    (dts - base) * time_base
                )
        return None

    def covers(self, start: float, end: float) -> bool | None:
        """Whether finished segments hold every packet from wall time ``start`` to ``end`` (an event
        clip's first and last packet): True when one unbroken run of touching segments does; False when
        they cannot any more (a gap, lost packets, or this sink is past ``end`` without them); None while
        the segment that would hold ``end`` is still being written."""
        with self._lock:
            spans = sorted(self._spans)
            breaks = list(self._breaks)
            writing = self._writer is not None
            last_wall = self._last.wall if self._last is not None else None
        if any(start - 1.0 <= at <= end + 1.0 for at in breaks):
            return False
        reach: float | None = None  # the end of the unbroken run that holds ``start``
        for first, last in spans:
            if reach is None:
                if first <= start < last:
                    reach = last
            elif first <= reach:  # touching: a connection's segments share their boundary keyframe
                reach = max(reach, last)
            else:
                break
            if reach is not None and reach > end:
                return True
        passed = (spans and max(last for _, last in spans) > end) or (
            not writing and last_wall is not None and last_wall >= end
        )
        return False if passed else None

    def _open(self, item: TimedPacket) -> ClipWriter | None:
        """A writer for a new segment starting at ``item`` (a keyframe), or in motion mode at the ring's
        keyframe ``pre_roll`` before it (never before what earlier segments already hold)."""
        if self._template is None:
            return None
        backlog: list[TimedPacket] = []
        if self.ring is not None:
            since = max(item.wall - self.pre_roll, self._written_until)
            backlog = [p for p in self.ring.since(since) if p is not item and p.wall > self._written_until]
            if backlog and not backlog[0].keyframe:
                backlog = []
        first = backlog[0] if backlog else item
        if not first.keyframe:
            return None  # a segment starts at a keyframe, or its first frames cannot be shown
        try:
            writer = ClipWriter(self.directory / f"{round(first.wall * 1e6)}.open.mp4", self._template)
        except Exception:
            log.exception("cannot start a recording segment")
            return None
        self._writer, self._start = writer, first.wall
        for old in backlog:
            writer.write(old)
        return writer

    def _finish(self, writer: ClipWriter, start: float, end: float) -> None:
        name = SegmentName.of(start, end, self.kind)
        try:
            done = writer.close(rename_to=self.directory / name.file_name)
        except Exception:
            log.exception("cannot finish a recording segment")
            writer.abort()
            return
        if done is not None:
            with self._lock:
                self._spans.append((start, end))
                self._bases.append((start, done.first_dts, done.time_base))
            self.on_finished(FinishedSegment(name, done))


def _end_of(item: TimedPacket) -> float:
    """The wall time a packet's picture ends: its arrival plus its duration (one frame)."""
    duration = float((getattr(item.packet, "duration", 0) or 0) * item.time_base)
    return item.wall + max(0.0, min(duration, 1.0))
