"""A recorded segment (a plain MP4, its index first) as HLS wants it: fragmented MP4, an initialisation
section (``ftyp`` + ``moov`` without samples) and the media (``moof`` + ``mdat`` pairs), remuxed by PyAV
from the segment's own packets (no decoding, no encoding) in memory.

Each fragment's decode time (``tfdt``) is set to the segment's wall-clock start (Unix time in the track's
timescale), so the segments of a playlist lie on one timeline whatever the window the playlist was asked
for: a player plays from one into the next without a discontinuity, and a gap in the recordings is a gap
on that timeline. FFmpeg starts every file at 0; the boxes are rewritten in place (``tfdt`` version 1 is
64 bits, which FFmpeg writes for fragments).

Django-free: the caller opens the segment.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from typing import Any

import av

_MOVFLAGS = "frag_keyframe+empty_moov+default_base_moof"


class NotFragmentable(Exception):
    """The segment could not be remuxed (no video, or boxes not as FFmpeg writes them)."""


@dataclass(frozen=True, slots=True)
class Fragmented:
    init: bytes  # ftyp + moov
    media: bytes  # moof + mdat, ...


def fragment(source: Any, *, start_seconds: float) -> Fragmented:
    """The segment ``source`` (what ``av.open`` reads) as fMP4 whose decode times start at
    ``start_seconds`` (the segment's wall-clock start, Unix seconds)."""
    buffer = io.BytesIO()
    try:
        with av.open(source, "r") as segment:
            if not segment.streams.video:
                raise NotFragmentable("the segment holds no video")
            video = segment.streams.video[0]
            with av.open(buffer, "w", format="mp4", options={"movflags": _MOVFLAGS}) as output:
                stream = output.add_stream_from_template(video)
                for packet in segment.demux(video):
                    if packet.dts is None:
                        continue
                    packet.stream = stream
                    output.mux(packet)
    except FileNotFoundError:
        raise  # the segment is gone (retention): the caller's 404, not a broken file
    except av.error.FFmpegError as error:
        raise NotFragmentable(str(error)) from None
    data = bytearray(buffer.getvalue())
    boxes = list(_boxes(data, 0, len(data)))
    first_moof = next((offset for kind, offset, _ in boxes if kind == b"moof"), None)
    if first_moof is None:
        raise NotFragmentable("no fragment was written")
    timescale = _timescale(data, boxes)
    shift = round(start_seconds * timescale)
    for kind, offset, size in boxes:
        if kind == b"moof":
            _shift_tfdt(data, offset, size, shift)
    return Fragmented(bytes(data[:first_moof]), bytes(data[first_moof:]))


def _boxes(data: bytearray | bytes, start: int, end: int):
    """(type, offset, size) of each box in data[start:end], one level."""
    offset = start
    while offset + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, offset)
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, offset + 8)
        elif size == 0:
            size = end - offset
        if size < 8 or offset + size > end:
            raise NotFragmentable(f"a malformed {kind!r} box")
        yield kind, offset, size
        offset += size


def _children(data: bytearray, offset: int, size: int):
    return _boxes(data, offset + 8, offset + size)


def _timescale(data: bytearray, boxes: list) -> int:
    for kind, offset, size in boxes:
        if kind != b"moov":
            continue
        for child, child_offset, child_size in _children(data, offset, size):
            if child != b"trak":
                continue
            for grandchild, g_offset, g_size in _children(data, child_offset, child_size):
                if grandchild != b"mdia":
                    continue
                for box, b_offset, _ in _children(data, g_offset, g_size):
                    if box == b"mdhd":
                        version = data[b_offset + 8]
                        at = b_offset + 12 + (16 if version == 1 else 8)
                        return struct.unpack_from(">I", data, at)[0]
    raise NotFragmentable("no track timescale")


def _shift_tfdt(data: bytearray, offset: int, size: int, shift: int) -> None:
    for kind, traf, traf_size in _children(data, offset, size):
        if kind != b"traf":
            continue
        for child, at, _ in _children(data, traf, traf_size):
            if child != b"tfdt":
                continue
            if data[at + 8] != 1:
                raise NotFragmentable("a 32-bit tfdt")
            (value,) = struct.unpack_from(">Q", data, at + 12)
            struct.pack_into(">Q", data, at + 12, value + shift)
