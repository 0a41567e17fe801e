"""The export's copy: the recorded packets of a time range, from consecutive MP4 segments, into one MP4,
without decoding or encoding a frame (PyAV's demuxer and muxer only).

The first frame is the keyframe at or before the range's start (a player needs it to show anything);
packets at or after the end are left out. Each segment's packets are placed at the segment's wall-clock
start (the index), so a gap in the recordings stays a gap in time, never squeezed out; a segment that
overlaps the one before is pushed back just enough that decoding times keep rising. Only the first video
stream is copied (the worker records video only). The output is written to a local file by the caller's
choice: nothing reaches the media store unless the whole copy succeeded (``exports.jobs``).

Django-free: segments come in as ``Piece``s with an ``open`` the caller supplies.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av


class RemuxFailed(Exception):
    """The export cannot be made; the message says why in words a user can act on."""


@dataclass(frozen=True, slots=True)
class Piece:
    label: str  # how the error messages name the segment (its start time)
    offset: float  # seconds from the range's start to the segment's start (negative for the first)
    size: int  # bytes, for the progress
    source: Any  # what av.open takes: a path or a binary file object


@dataclass(frozen=True, slots=True)
class Remuxed:
    duration: float  # seconds, from the output's own timestamps
    packets: int
    first_key_offset: float  # seconds from the range's start to the first frame (<= 0 when recorded)


def _params(stream) -> tuple:
    context = stream.codec_context
    return (context.name, context.width, context.height, bytes(context.extradata or b""))


def remux(
    pieces: Sequence[Piece],
    *,
    span: float,
    target: Path,
    opener: Callable[[Piece], Any],
    on_progress: Callable[[float], None] = lambda fraction: None,
) -> Remuxed:
    """Copies the packets of [0, span) seconds (relative to the range's start) of ``pieces`` (in time
    order) into ``target``. ``opener`` turns a piece into what ``av.open`` reads; a ``FileNotFoundError``
    from it (or from PyAV) means the segment was deleted meanwhile. Raises ``RemuxFailed``."""
    if not pieces:
        raise RemuxFailed("There are no recordings in this range.")
    total = sum(piece.size for piece in pieces) or 1
    done_bytes = 0
    with av.open(str(target), "w", format="mp4") as output:
        writer = _Writer(output, span)
        for piece in pieces:
            try:
                with av.open(opener(piece), "r") as source:
                    writer.copy(piece, source)
            except FileNotFoundError:
                raise RemuxFailed(
                    f"The recording segment of {piece.label} was deleted (retention) while the export ran; "
                    "export a later range."
                ) from None
            except av.error.FFmpegError as error:
                raise RemuxFailed(
                    f"The recording segment of {piece.label} could not be read: {error}"
                ) from None
            done_bytes += piece.size
            on_progress(min(1.0, done_bytes / total))
            if writer.finished:
                break
        if writer.packets == 0:
            raise RemuxFailed("There is no recorded frame in this range.")
        result = Remuxed(writer.duration(), writer.packets, writer.first_key_offset or 0.0)
    return result


class _Writer:
    """The output stream and the running timestamps of the copy (in the output's time base)."""

    def __init__(self, output, span: float) -> None:
        self.output = output
        self.span = span
        self.stream = None
        self.params: tuple | None = None
        self.time_base: Fraction | None = None
        self.origin: int | None = None  # the first copied packet's decoding time, wall-clock units
        self.last_dts: int | None = None  # output units
        self.last_end = 0  # output units: the latest pts + duration written
        self.packets = 0
        self.finished = False
        self.first_key_offset: float | None = None
        self._held: list = []  # the packets since the latest keyframe at or before the start

    def copy(self, piece: Piece, source) -> None:
        try:
            video = source.streams.video[0]
        except IndexError:
            raise RemuxFailed(f"The recording segment of {piece.label} holds no video.") from None
        if self.stream is None:
            self.stream = self.output.add_stream_from_template(video)
            self.params = _params(video)
            self.time_base = Fraction(video.time_base)
        elif _params(video) != self.params:
            raise RemuxFailed(
                f"The camera's stream changed format (codec or size) at {piece.label}: export the ranges "
                "before and after it separately."
            )
        assert self.time_base is not None
        in_base = Fraction(video.time_base)
        wall_start = round(Fraction(piece.offset).limit_denominator(1_000_000) / self.time_base)
        base: int | None = None
        shift = 0
        for packet in source.demux(video):
            if packet.dts is None or packet.pts is None:  # the demuxer's end-of-stream marker
                continue
            if base is None:
                base = packet.dts
                first = wall_start + round((packet.dts - base) * in_base / self.time_base)
                if (
                    self.last_dts is not None
                    and self.origin is not None
                    and first - self.origin <= self.last_dts
                ):
                    shift = self.last_dts + 1 - (first - self.origin)  # overlap: keep the times rising
            dts = wall_start + round((packet.dts - base) * in_base / self.time_base) + shift
            pts = wall_start + round((packet.pts - base) * in_base / self.time_base) + shift
            seconds = float(pts * self.time_base)
            if seconds >= self.span:
                self.finished = True
                return
            duration = round((packet.duration or 0) * in_base / self.time_base)
            if self.origin is None:
                if seconds <= 0:
                    if packet.is_keyframe:
                        self._held = [(packet, dts, pts, duration, seconds)]
                    elif self._held:
                        self._held.append((packet, dts, pts, duration, seconds))
                    continue
                if not self._held:
                    if not packet.is_keyframe:
                        continue  # no keyframe at or before the start: begin at the first after it
                    self._held = [(packet, dts, pts, duration, seconds)]
                else:
                    self._held.append((packet, dts, pts, duration, seconds))
                held, self._held = self._held, []
                self.origin = held[0][1]
                self.first_key_offset = held[0][4]
                for entry in held:
                    self._write(*entry[:4])
                continue
            self._write(packet, dts, pts, duration)

    def _write(self, packet, dts: int, pts: int, duration: int) -> None:
        assert self.origin is not None
        packet.dts = dts - self.origin
        packet.pts = pts - self.origin
        packet.duration = duration
        packet.time_base = self.time_base
        packet.stream = self.stream
        self.output.mux(packet)
        self.last_dts = packet.dts
        self.last_end = max(self.last_end, packet.pts + duration)
        self.packets += 1

    def duration(self) -> float:
        assert self.time_base is not None
        return float(self.last_end * self.time_base)
