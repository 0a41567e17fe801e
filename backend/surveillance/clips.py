"""Event clips: is an upload a real MP4 video (bounded check), and the range responses that serve them.

The check runs FFmpeg (PyAV) on bytes from the network, so it is bounded three ways: the size is capped
before anything is read (CLIP_MAX_BYTES), the stated duration is capped (CLIP_MAX_SECONDS) and only the
first frame is decoded, and at most CLIP_CHECK_CONCURRENCY checks run at once per process (more answer
503 with Retry-After instead of queueing up memory and CPU).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import av
from django.conf import settings
from django.core.exceptions import ValidationError

from surveillance import metrics
from surveillance.errors import ApplicationError, Refusal

# The video codecs browsers play in MP4 (and that cameras send).
PLAYABLE_CODECS = frozenset({"h264", "hevc", "av1", "vp9"})
# Packets read at most while looking for the first decodable frame.
_FIRST_FRAME_PACKETS = 300

_slots = threading.BoundedSemaphore(settings.CLIP_CHECK_CONCURRENCY)


class ClipInvalid(Refusal, ValidationError):
    """Not an MP4 video we can serve (HTTP 400; nothing is stored)."""


class ClipCheckBusy(ApplicationError, status_code=503, reason=metrics.REJECT_BUSY):
    """Every check slot is taken (``CLIP_CHECK_CONCURRENCY``)."""

    def __init__(self) -> None:
        super().__init__("Busy checking other clips; retry shortly.", retry_after=5)


@dataclass(frozen=True, slots=True)
class ClipFacts:
    duration: float
    codec: str
    width: int
    height: int


def check_clip(path: Path) -> ClipFacts:
    """Raises ``ClipInvalid`` unless ``path`` is an MP4 with a playable video stream and a decodable
    first frame; ``ClipCheckBusy`` when too many checks run already."""
    if not _slots.acquire(blocking=False):
        raise ClipCheckBusy
    try:
        return _check(path)
    finally:
        _slots.release()


def _check(path: Path) -> ClipFacts:
    with path.open("rb") as head:
        first = head.read(12)
    # Every MP4 starts with a box; "ftyp" first is what MP4 writers (and faststart files) produce.
    if len(first) < 12 or first[4:8] != b"ftyp":
        raise ClipInvalid("The clip is not an MP4 file (no ftyp box at its start).")
    try:
        with av.open(str(path), format="mp4", timeout=10.0) as container:
            if not container.streams.video:
                raise ClipInvalid("The clip has no video stream.")
            video = container.streams.video[0]
            codec = video.codec_context.name
            if codec not in PLAYABLE_CODECS:
                raise ClipInvalid(f"The clip's video is {codec}; expected one of {sorted(PLAYABLE_CODECS)}.")
            duration = float(container.duration or 0) / av.time_base
            if not 0 < duration <= settings.CLIP_MAX_SECONDS:
                raise ClipInvalid(
                    f"The clip lasts {duration:.1f} s; clips must last between 0 and "
                    f"CLIP_MAX_SECONDS={settings.CLIP_MAX_SECONDS} s."
                )
            if not _decodes_a_frame(container, video):
                raise ClipInvalid("The clip's video cannot be decoded.")
            return ClipFacts(duration, codec, video.width, video.height)
    except av.FFmpegError as error:
        raise ClipInvalid(f"The clip is not a readable MP4 video ({type(error).__name__}).") from None


def _decodes_a_frame(container, video) -> bool:
    for index, packet in enumerate(container.demux(video)):
        if index >= _FIRST_FRAME_PACKETS:
            return False
        if packet.size and packet.decode():
            return True
    return False


# --- range requests ----------------------------------------------------------------------------------

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


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
