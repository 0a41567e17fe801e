"""The API's request body parsers: the one JSON parser, 400 (never 500) on bad syntax, too deep nesting or
a body over the limit; and the clip upload's body streamed to a file (``spooled_clip``).

Python's ``json`` recurses once per nesting level, so ``[[[[...]]]]`` a few thousand deep raises
``RecursionError``; DRF's parser lets that through as a 500. No request of this API nests deeper than
``MAX_DEPTH`` (an alert's detection box sits at depth 4), so anything deeper is refused before a
serializer walks it.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from surveillance import metrics
from surveillance.exceptions import PayloadTooLarge
from surveillance.ids import is_id

MAX_DEPTH = 16
_CHUNK = 1024 * 1024


def depth_of(value: Any) -> int:
    """Nesting depth of a parsed JSON value (a scalar is 0, ``[]`` is 1); iterative, so any depth is safe."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            deepest = max(deepest, depth)
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def loads_bounded(raw: bytes, *, max_bytes: int, max_depth: int = MAX_DEPTH) -> Any:
    """Parse a JSON body, raising DRF's ``ParseError`` (400) or ``PayloadTooLarge`` (413) for bad input."""
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"The JSON body is {len(raw)} bytes; the limit is {max_bytes}.")
    try:
        value = json.loads(raw)
    except RecursionError:
        raise ParseError(f"JSON nested deeper than {max_depth} levels.") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise ParseError(f"JSON parse error: {error}") from None
    if depth_of(value) > max_depth:
        raise ParseError(f"JSON nested deeper than {max_depth} levels.")
    return value


class BoundedJSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        # One byte over the limit is enough to know it is too large, without reading an endless body.
        raw = stream.read(limit + 1) if stream is not None else b""
        return loads_bounded(raw, max_bytes=limit)


@contextmanager
def spooled_clip(
    request, *, setting: str = "CLIP_MAX_BYTES", what: str = "clip", rejections=None
) -> Iterator[Path]:
    """A clip upload's body (raw MP4 bytes, never base64) streamed in chunks to a temporary file, whose
    path is yielded and which is deleted afterwards. Content-Length is required and at most the
    ``setting`` (CLIP_MAX_BYTES; recording segments: RECORDING_SEGMENT_MAX_BYTES; the ASGI guard has
    refused larger ones before a byte was read); a body shorter than it declared is a 400."""
    limit = getattr(settings, setting)
    raw = (request.META.get("CONTENT_LENGTH") or "").strip()
    if not is_id(raw) and raw != "0":
        raise ParseError(f"Send the {what} with a Content-Length header.")
    length = int(raw)
    if length > limit:
        (rejections or metrics.CLIPS_REJECTED).labels(reason=metrics.REJECT_TOO_LARGE).inc()
        raise PayloadTooLarge(f"The {what} is {length} bytes; the limit is {setting}={limit}.")
    with tempfile.NamedTemporaryFile(suffix=".mp4", dir=settings.FILE_UPLOAD_TEMP_DIR) as scratch:
        received = 0
        stream = request._request  # Django's request: its read() streams the body
        while received < length:
            chunk = stream.read(min(_CHUNK, length - received))
            if not chunk:
                break
            scratch.write(chunk)
            received += len(chunk)
        if received != length:
            raise ParseError(f"Got {received} of {length} bytes.")
        scratch.flush()
        yield Path(scratch.name)
