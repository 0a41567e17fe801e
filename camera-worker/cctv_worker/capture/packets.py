"""The stream's own packets with the wall-clock time they arrived, and the pre-roll ring that keeps
the last seconds of them, starting at a keyframe (a clip can only start at one).

Pure bookkeeping: packets are opaque objects here (PyAV packets in the worker, anything in tests).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from fractions import Fraction
from typing import Any


@dataclass(frozen=True, slots=True)
class TimedPacket:
    packet: Any  # av.Packet: the compressed bytes, never decoded here
    wall: float  # Unix time the packet arrived (paced time for files)
    dts: int  # decode timestamp in ``time_base`` units, filled in when the stream left it out
    pts: int
    time_base: Fraction
    keyframe: bool
    size: int

    @property
    def seconds(self) -> float:
        return float(self.dts * self.time_base)


class PreRoll:
    """The packets of the last ``seconds``, from the last keyframe at or before ``now - seconds``.

    Kept as whole groups of pictures (a keyframe and what follows it): a group is dropped only when the
    next one already starts before the pre-roll window, so the window is always covered. ``max_bytes``
    bounds memory for streams whose keyframes are rare.
    """

    def __init__(self, seconds: float, *, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.seconds = seconds
        self.max_bytes = max_bytes
        self._groups: deque[list[TimedPacket]] = deque()
        self._bytes = 0

    def add(self, item: TimedPacket) -> None:
        if item.keyframe:
            self._groups.append([])
        elif not self._groups:
            return  # nothing before the first keyframe can be decoded
        self._groups[-1].append(item)
        self._bytes += item.size
        horizon = item.wall - self.seconds
        while len(self._groups) > 1 and (self._groups[1][0].wall <= horizon or self._bytes > self.max_bytes):
            self._bytes -= sum(p.size for p in self._groups.popleft())

    def since(self, wall: float) -> list[TimedPacket]:
        """Packets from the last keyframe at or before ``wall`` (the oldest kept one if none is)."""
        start = 0
        for index, group in enumerate(self._groups):
            if group[0].wall <= wall:
                start = index
        return [p for group in list(self._groups)[start:] for p in group]

    def clear(self) -> None:
        self._groups.clear()
        self._bytes = 0

    @property
    def oldest_wall(self) -> float | None:
        return self._groups[0][0].wall if self._groups else None
