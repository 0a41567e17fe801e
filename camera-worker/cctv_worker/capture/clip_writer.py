"""One MP4 file written from a stream's packets without re-encoding (a remux).

``movflags=+faststart`` puts the index (moov) before the media data, so a browser starts playing
before it has the whole file. The file is written under a temporary name and renamed when complete:
a file with the final name is always a whole, playable clip.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av

from cctv_worker.capture.packets import TimedPacket


@dataclass(frozen=True, slots=True)
class ClipFile:
    path: Path
    started_at: float  # wall time of the first packet (a keyframe)
    ended_at: float  # wall time of the last packet
    duration: float  # seconds, from the stream's own timestamps
    size: int  # bytes
    # The stream's own decode timestamps of the first and last packet (the connection's, in
    # ``time_base``): where the clip lies inside recording segments of the same connection.
    first_dts: int = 0
    last_dts: int = 0
    time_base: Any = None


class ClipWriter:
    def __init__(self, path: Path, template: Any) -> None:
        self.path = path
        self._partial = path.with_name(path.name + ".part")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._out = av.open(str(self._partial), "w", format="mp4", options={"movflags": "+faststart"})
        self._stream = self._out.add_stream_from_template(template)
        self._base: int | None = None
        self._last_dts = -1
        self._end_ts = 0
        self._first_pts: int | None = None
        self._time_base: Any = None
        self._first_wall = 0.0
        self._last_wall = 0.0
        self._last_item_dts = 0
        self.packets = 0

    def write(self, item: TimedPacket) -> None:
        if self._base is None:
            if not item.keyframe:
                return  # a clip starts at a keyframe, or its first frames cannot be shown
            self._base = item.dts
            self._first_wall = item.wall
        dts = max(item.dts - self._base, self._last_dts + 1)  # muxers refuse non-increasing dts
        copy = av.Packet(bytes(item.packet))  # the ring's packet may go to other clips too: never mutate it
        copy.dts = dts
        copy.pts = max(dts, item.pts - self._base)
        copy.time_base = item.time_base
        copy.is_keyframe = item.keyframe
        copy.stream = self._stream
        pts = copy.pts
        self._out.mux(copy)
        self._last_dts = dts
        self._end_ts = max(self._end_ts, pts + max(1, (item.packet.duration or 0)))
        self._first_pts = pts if self._first_pts is None else min(self._first_pts, pts)
        self._time_base = item.time_base
        self._last_wall = item.wall
        self._last_item_dts = item.dts
        self.packets += 1

    @property
    def started_at(self) -> float | None:
        return self._first_wall if self._base is not None else None

    @property
    def last_wall(self) -> float:
        return self._last_wall

    def close(self, rename_to: Path | None = None) -> ClipFile | None:
        """Finishes the file (writes the index at the front); None when no packet was written.
        ``rename_to``: the complete file's name, when it is only known at the end (a recording segment's
        name carries its end)."""
        self._out.close()
        if not self.packets:
            self._partial.unlink(missing_ok=True)
            return None
        if rename_to is not None:
            self.path = rename_to
        os.replace(self._partial, self.path)
        # From the timestamps written, not by opening the file again (a probe per segment was a tenth
        # of recording's CPU): the span from the first picture's start to the last one's end.
        duration = float((self._end_ts - (self._first_pts or 0)) * self._time_base)
        return ClipFile(
            path=self.path,
            started_at=self._first_wall,
            ended_at=self._last_wall,
            duration=duration,
            size=self.path.stat().st_size,
            first_dts=self._base or 0,
            last_dts=self._last_item_dts,
            time_base=self._time_base,
        )

    def abort(self) -> None:
        try:
            self._out.close()
        finally:
            self._partial.unlink(missing_ok=True)
