"""Crafted MP4 files that declare far more than they hold (issue 20, High 3), built from a real clip.

A clip is parsed into its box tree, one table or size is changed, and the tree written back with its
sizes recomputed (or, for "more bytes than the file", deliberately wrong). Each bomb is a few kilobytes.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf", b"mvex", b"moof", b"traf"}
HUGE = 20_000_000


@dataclass
class Box:
    kind: bytes
    payload: bytes = b""
    children: list[Box] = field(default_factory=list)

    def find(self, kind: bytes) -> Box:
        for child in self.children:
            if child.kind == kind:
                return child
            if child.children:
                try:
                    return child.find(kind)
                except KeyError:
                    pass
        raise KeyError(kind)

    def to_bytes(self) -> bytes:
        inner = (
            b"".join(child.to_bytes() for child in self.children) if self.kind in CONTAINERS else self.payload
        )
        return struct.pack(">I4s", 8 + len(inner), self.kind) + inner


def parse(data: bytes) -> Box:
    root = Box(b"root")
    root.children = _parse(data)
    return root


def _parse(data: bytes) -> list[Box]:
    boxes, offset = [], 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        size = size or len(data) - offset
        payload = data[offset + 8 : offset + size]
        box = Box(kind, payload)
        if kind in CONTAINERS:
            box.children = _parse(payload)
        boxes.append(box)
        offset += size
    return boxes


def write(root: Box) -> bytes:
    return b"".join(child.to_bytes() for child in root.children)


def _full(count_and_rest: bytes) -> bytes:
    return b"\0\0\0\0" + count_and_rest  # version 0, flags 0


def stsz_constant(root: Box) -> None:
    """The reviewed file: a constant sample size and 20 million samples (no table needed)."""
    root.find(b"stsz").payload = _full(struct.pack(">II", 1, HUGE))


def stsz_table(root: Box) -> None:
    root.find(b"stsz").payload = _full(struct.pack(">II", 0, HUGE) + b"\0\0\0\1" * 4)


def stco_count(root: Box) -> None:
    root.find(b"stco").payload = _full(struct.pack(">I", HUGE) + b"\0\0\0\x30")


def stts_samples(root: Box) -> None:
    root.find(b"stts").payload = _full(struct.pack(">III", 1, HUGE, 1))


def ctts_samples(root: Box) -> None:
    stbl = root.find(b"stbl")
    stbl.children.append(Box(b"ctts", _full(struct.pack(">III", 1, HUGE, 0))))


def deep_nesting(root: Box) -> None:
    inner = Box(b"trak")
    for _ in range(200):
        inner = Box(b"trak", children=[inner])
    root.find(b"moov").children.append(inner)


def moov_larger_than_file(root: Box) -> None:
    """Written by ``build``: the moov box's size field says 2**32 - 1."""


BOMBS: dict[str, Callable[[Box], None]] = {
    "stsz-constant": stsz_constant,
    "stsz-table": stsz_table,
    "stco-count": stco_count,
    "stts-samples": stts_samples,
    "ctts-samples": ctts_samples,
    "deep-nesting": deep_nesting,
    "moov-larger-than-file": moov_larger_than_file,
}


def build(name: str, clip: Path, out: Path) -> Path:
    root = parse(clip.read_bytes())
    BOMBS[name](root)
    data = write(root)
    if name == "moov-larger-than-file":
        at = data.index(b"moov") - 4
        data = data[:at] + struct.pack(">I", 2**32 - 1) + data[at + 4 :]
    out.write_bytes(data)
    return out
