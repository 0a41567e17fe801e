"""A small MP4 box walker that runs before any demuxer opens an uploaded clip.

FFmpeg sizes its sample index from the counts a file declares: a 1.8 KB file whose ``stsz`` declares a
constant sample size and 20 million samples made it allocate ~850 MB (about 37 bytes per declared
sample). This walker reads only box headers and the counts of the sample tables, and refuses a file
whose boxes run past their parent (a ``moov`` claiming more bytes than the file), nest deeper than any
real MP4, are too many, or whose tables declare more entries than their bytes hold or more samples
than a clip within CLIP_MAX_SECONDS can have (at MAX_FRAME_RATE). Pure: a path and the limits in, the
reason out; memory is a few kilobytes whatever the file says.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

# Above what any camera records; audio frames (AAC at 48 kHz: 47 per second) stay well below it too.
MAX_FRAME_RATE = 120
# moov/trak/mdia/minf/stbl is five deep; fragments (moof/traf) three.
MAX_DEPTH = 8
MAX_BOXES = 10_000

# Boxes whose payload is more boxes (the ones a demuxer descends into to find its tables).
_CONTAINERS = frozenset(
    {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf", b"mvex", b"moof", b"traf"}
)
# Sample tables: bytes per entry after a full box's version/flags and its entry count.
_TABLES = {b"stco": 4, b"co64": 8, b"stss": 4, b"stsc": 12, b"stts": 8, b"ctts": 8, b"sdtp": 0}


class BoxError(ValueError):
    """The file's boxes are malformed or declare more than a clip can hold; the message says which."""


@dataclass(frozen=True)
class Limits:
    file_size: int
    max_samples: int

    @classmethod
    def for_clip(cls, file_size: int, max_seconds: float) -> Limits:
        return cls(file_size=file_size, max_samples=int(max_seconds * MAX_FRAME_RATE))


def check_boxes(path: Path, max_seconds: float) -> None:
    """Raises ``BoxError`` unless every box of ``path`` fits its parent and every table fits its limits."""
    size = path.stat().st_size
    with path.open("rb") as stream:
        _Walker(stream, Limits.for_clip(size, max_seconds)).walk(0, size, depth=0, parent=b"file")


class _Walker:
    def __init__(self, stream: BinaryIO, limits: Limits) -> None:
        self.stream = stream
        self.limits = limits
        self.boxes = 0

    def walk(self, start: int, end: int, *, depth: int, parent: bytes) -> None:
        if depth > MAX_DEPTH:
            raise BoxError(f"boxes nest deeper than {MAX_DEPTH} levels")
        offset = start
        while offset < end:
            self.boxes += 1
            if self.boxes > MAX_BOXES:
                raise BoxError(f"more than {MAX_BOXES} boxes")
            kind, header, size = self._header(offset, end, parent)
            if kind in _CONTAINERS:
                self.walk(offset + header, offset + size, depth=depth + 1, parent=kind)
            elif kind in _TABLES or kind in (b"stsz", b"stz2", b"trun"):
                self._table(kind, offset + header, size - header)
            offset += size

    def _header(self, offset: int, end: int, parent: bytes) -> tuple[bytes, int, int]:
        """(type, header length, box size) of the box at ``offset``, checked to end by ``end``."""
        if end - offset < 8:
            raise BoxError(f"{_name(parent)} ends with {end - offset} stray bytes")
        size, kind = struct.unpack(">I4s", self._read(offset, 8))
        header = 8
        if size == 1:  # a 64-bit size follows the type
            if end - offset < 16:
                raise BoxError(f"box {_name(kind)} is cut short")
            (size,) = struct.unpack(">Q", self._read(offset + 8, 8))
            header = 16
        elif size == 0:  # "to the end of the file": only at the top level
            if parent != b"file":
                raise BoxError(f"box {_name(kind)} inside {_name(parent)} has no size")
            size = end - offset
        if size < header or offset + size > end:
            where = "the file" if parent == b"file" else _name(parent)
            raise BoxError(
                f"box {_name(kind)} claims {size} bytes at offset {offset}; {where} has {end - offset} left"
            )
        return kind, header, size

    def _table(self, kind: bytes, start: int, length: int) -> None:
        limit = self.limits.max_samples
        if kind == b"stsz":
            sample_size, count = self._fields(kind, start, length, ">II")
            per_entry = 0 if sample_size else 4
            # Constant-size samples have no table, but their bytes must be in the file.
            if sample_size and sample_size * count > self.limits.file_size:
                raise BoxError(f"stsz declares {count} samples of {sample_size} bytes; the file is smaller")
            self._bound(kind, count, per_entry, length - 12, limit)
        elif kind == b"stz2":
            packed, count = self._fields(kind, start, length, ">II")
            bits = packed & 0xFF
            if bits not in (4, 8, 16):
                raise BoxError(f"stz2 has a field size of {bits} bits")
            self._bound(kind, count, 0, length - 12, limit)
            if (count * bits + 7) // 8 > length - 12:
                raise BoxError(f"stz2 declares {count} entries in {length - 12} bytes")
        elif kind == b"trun":
            flags, count = self._fields(kind, start, length, ">II")
            per_entry = 4 * sum(1 for bit in (0x100, 0x200, 0x400, 0x800) if flags & bit)
            self._bound(kind, count, per_entry, length - 12, limit)
        elif kind == b"sdtp":
            return  # one byte per sample, no count of its own: bounded by the box
        else:
            (count,) = self._fields(kind, start, length, ">I")
            self._bound(kind, count, _TABLES[kind], length - 8, limit)
            if kind in (b"stts", b"ctts"):
                # Each entry is (sample count, delta): their sum is samples the demuxer indexes.
                self._bound_sum(kind, start + 8, count, limit)

    def _fields(self, kind: bytes, start: int, length: int, layout: str) -> tuple[int, ...]:
        """The full box's fields after version/flags (for ``trun``: its flags, then the count)."""
        need = 4 + struct.calcsize(layout) - (4 if kind == b"trun" else 0)
        if length < need:
            raise BoxError(f"box {_name(kind)} is cut short")
        if kind == b"trun":
            return struct.unpack(layout, self._read(start, 8))
        return struct.unpack(layout, self._read(start + 4, struct.calcsize(layout)))

    def _bound(self, kind: bytes, count: int, per_entry: int, payload: int, limit: int) -> None:
        if count > limit:
            raise BoxError(
                f"box {_name(kind)} declares {count} entries; a clip may have at most {limit} samples"
            )
        if per_entry and count * per_entry > payload:
            raise BoxError(f"box {_name(kind)} declares {count} entries in {payload} bytes")

    def _bound_sum(self, kind: bytes, start: int, count: int, limit: int) -> None:
        total = 0
        self.stream.seek(start)
        remaining = count
        while remaining:
            batch = min(remaining, 4096)
            data = self.stream.read(batch * 8)
            total += sum(struct.unpack(f">{batch * 2}I", data)[0::2])
            if total > limit:
                raise BoxError(f"box {_name(kind)} declares {total} samples; a clip may have at most {limit}")
            remaining -= batch

    def _read(self, offset: int, length: int) -> bytes:
        self.stream.seek(offset)
        data = self.stream.read(length)
        if len(data) != length:
            raise BoxError("the file ends inside a box header")
        return data


def _name(kind: bytes) -> str:
    return kind.decode("latin-1") if kind.isascii() and kind.decode("latin-1").isprintable() else repr(kind)
