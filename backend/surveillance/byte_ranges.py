"""HTTP range requests (RFC 9110): which bytes of a stored file one ``Range`` header asks for, for every
media response (snapshots, clips, recordings) that the media store serves."""

from __future__ import annotations

import re
from typing import Literal

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_MAX_OFFSET_DIGITS = 18


def parse_range(header: str | None, size: int) -> tuple[int, int] | Literal[False] | None:
    """The one byte range asked for as ``(first, last)`` inclusive; None: the whole file; False:
    unsatisfiable (416). Several ranges in one request are answered with the whole file (allowed)."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None
    start, end = match.groups()
    if not start and not end:
        return None
    # Python refuses to read numbers of more than 4300 digits (a 500); no file has 19-digit offsets.
    if len(start) > _MAX_OFFSET_DIGITS:
        return False
    if len(end) > _MAX_OFFSET_DIGITS:
        end = str(size)  # past the end: up to the last byte (a suffix: the whole file)
    if not start:  # the last N bytes
        length = int(end)
        if length == 0:
            return False
        return max(0, size - length), size - 1
    first = int(start)
    last = min(int(end), size - 1) if end else size - 1
    if first >= size or last < first:
        return False
    return first, last
