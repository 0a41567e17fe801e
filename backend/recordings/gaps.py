"""Where a camera's recordings have holes, and why: pure, from the segments' times and the outages the
camera's heartbeats reported (no database here).

A gap is time inside the asked window, up to now, that no segment covers, longer than ``tolerance``
(segments of one connection touch; a reconnect or a late keyframe leaves well under a second). Each gap is
split where the stream-down reports say: the parts inside an outage are ``stream_down``; the rest is
``not_recorded`` when the camera's mode does not record continuously (events, motion, off: quiet time is
not recorded by design), else ``unknown`` (a worker that was not running, a segment dropped on the way).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

STREAM_DOWN, NOT_RECORDED, UNKNOWN = "stream_down", "not_recorded", "unknown"
DEFAULT_TOLERANCE = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class Gap:
    start: datetime
    end: datetime
    cause: str


def find_gaps(
    *,
    window: tuple[datetime, datetime],
    segments: Iterable[tuple[datetime, datetime]],
    outages: Iterable[tuple[datetime, datetime | None]],
    continuous: bool,
    now: datetime,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> list[Gap]:
    """``segments`` sorted by start; an outage without an end lasts until now."""
    start, end = window[0], min(window[1], now)
    holes: list[tuple[datetime, datetime]] = []
    cursor = start
    for seg_start, seg_end in segments:
        if seg_start - cursor > tolerance:
            holes.append((cursor, min(seg_start, end)))
        cursor = max(cursor, seg_end)
    if end - cursor > tolerance:
        holes.append((cursor, end))
    spans = sorted((s, e or now) for s, e in outages)
    other = UNKNOWN if continuous else NOT_RECORDED
    gaps: list[Gap] = []
    for hole_start, hole_end in holes:
        gaps.extend(_split(hole_start, hole_end, spans, other))
    return [gap for gap in gaps if gap.end > gap.start]


def _split(start: datetime, end: datetime, outages: list[tuple[datetime, datetime]], other: str) -> list[Gap]:
    parts: list[Gap] = []
    cursor = start
    for down_start, down_end in outages:
        if down_end <= cursor or down_start >= end:
            continue
        if down_start > cursor:
            parts.append(Gap(cursor, down_start, other))
        parts.append(Gap(max(cursor, down_start), min(end, down_end), STREAM_DOWN))
        cursor = min(end, down_end)
        if cursor >= end:
            break
    if cursor < end:
        parts.append(Gap(cursor, end, other))
    return _merge(parts)


def _merge(parts: list[Gap]) -> list[Gap]:
    merged: list[Gap] = []
    for part in parts:
        if merged and merged[-1].cause == part.cause and merged[-1].end >= part.start:
            merged[-1] = Gap(merged[-1].start, max(merged[-1].end, part.end), part.cause)
        else:
            merged.append(part)
    return merged
