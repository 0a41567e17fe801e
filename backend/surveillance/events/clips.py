"""Event clips: is an upload a real MP4 video (bounded check), and when did a clip start.

The check runs FFmpeg (PyAV) on bytes from the network, so it is bounded: the size is capped before
anything is read (CLIP_MAX_BYTES); a box walker (``mp4_boxes``) refuses declared tables and boxes larger
than the file or the clip limits before any demuxer sees the file (FFmpeg sizes its index from them);
FFmpeg then runs in a child process with its address space capped (CLIP_CHECK_MEMORY_BYTES,
``clip_probe``), checks the stated duration (CLIP_MAX_SECONDS) and decodes only the first frame; and at
most CLIP_CHECK_CONCURRENCY checks run at once per process (more answer 503 with Retry-After instead of
queueing up memory and CPU).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from surveillance import metrics
from surveillance.errors import ApplicationError, Refusal
from surveillance.events import mp4_boxes

_BACKEND_DIR = str(Path(__file__).resolve().parents[2])  # backend/, for the child's ``-m``
_PROBE_TIMEOUT_SECONDS = 30

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


def check_clip(path: Path, *, max_seconds: float | None = None) -> ClipFacts:
    """Raises ``ClipInvalid`` unless ``path`` is an MP4 with a playable video stream and a decodable
    first frame; ``ClipCheckBusy`` when too many checks run already. ``max_seconds``: the longest stated
    duration (default CLIP_MAX_SECONDS; recording segments have their own)."""
    if not _slots.acquire(blocking=False):
        raise ClipCheckBusy
    try:
        return _check(path, settings.CLIP_MAX_SECONDS if max_seconds is None else max_seconds)
    finally:
        _slots.release()


def _check(path: Path, max_seconds: float) -> ClipFacts:
    with path.open("rb") as head:
        first = head.read(12)
    # Every MP4 starts with a box; "ftyp" first is what MP4 writers (and faststart files) produce.
    if len(first) < 12 or first[4:8] != b"ftyp":
        raise ClipInvalid("The clip is not an MP4 file (no ftyp box at its start).")
    try:
        mp4_boxes.check_boxes(path, max_seconds)
    except mp4_boxes.BoxError as error:
        raise ClipInvalid(f"The clip is not a well-formed MP4 file: {error}.") from None
    answer = _probe_in_child(path, max_seconds)
    if "error" in answer:
        raise ClipInvalid(str(answer["error"]))
    facts: dict[str, Any] = answer
    return ClipFacts(float(facts["duration"]), str(facts["codec"]), int(facts["width"]), int(facts["height"]))


def _probe_in_child(path: Path, max_seconds: float) -> dict[str, object]:
    """``clip_probe`` in a child process whose address space is capped at CLIP_CHECK_MEMORY_BYTES."""
    limit = settings.CLIP_CHECK_MEMORY_BYTES

    def bound_memory() -> None:  # in the child, before it runs Python
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([_BACKEND_DIR, os.environ.get("PYTHONPATH", "")])}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "surveillance.events.clip_probe", str(path), str(max_seconds)],
            capture_output=True,
            timeout=_PROBE_TIMEOUT_SECONDS,
            preexec_fn=bound_memory,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ClipInvalid(f"The clip could not be checked within {_PROBE_TIMEOUT_SECONDS} s.") from None
    try:
        answer = json.loads(done.stdout.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        answer = {"error": "memory"} if done.returncode else {"error": "The clip could not be checked."}
    if answer.get("error") == "memory" or (done.returncode and "error" not in answer):
        return {
            "error": "The clip needs more memory than CLIP_CHECK_MEMORY_BYTES="
            f"{limit} to open; it is not one event's clip."
        }
    return answer


# --- an upload's head -------------------------------------------------------------------------------

MAX_SEGMENTS = 1000  # clips per event


def clip_started_at(*, segment: int, header: str | None) -> datetime | None:
    """Checks an upload's segment number and parses its ``X-Clip-Started-At`` (ISO 8601 with a time
    zone, inside the alert timestamp window); DRF's ``ValidationError`` (400) otherwise."""
    from rest_framework.exceptions import ValidationError as BadRequest

    from surveillance import quotas

    if segment > MAX_SEGMENTS:
        raise BadRequest({"segment": f"At most {MAX_SEGMENTS} segments per event."})
    if not header:
        return None
    try:
        value = parse_datetime(header.strip())
    except ValueError:  # well-formed but not a date (2024-02-30)
        value = None
    if value is None or value.tzinfo is None:
        raise BadRequest(
            {"X-Clip-Started-At": "An ISO 8601 time with a time zone, such as 2024-05-01T10:00:00Z."}
        )
    try:
        quotas.check_timestamp(value, now=timezone.now())
    except ValidationError as error:
        raise BadRequest({"X-Clip-Started-At": error.messages}) from None
    return value
