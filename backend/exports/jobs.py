"""The export job: takes the oldest waiting export, copies its recorded packets into one MP4
(``exports.remux``) in a local scratch file, and only then stores it in the media store and marks it
done. A job that dies leaves the export ``running`` with an old heartbeat; the next job takes it up
again after EXPORT_STALE_SECONDS.

The queue is the exports table itself: an export is claimed by a conditional UPDATE (the status and
heartbeat it was read with), which exactly one of several jobs wins on PostgreSQL and on SQLite alike.
``manage.py run_exports`` runs it (scripts/run starts one; the chart runs one beside each backend).

Retention may delete a segment while its export is made: a segment already opened is read to its end
(the filesystem keeps an unlinked file's bytes; S3 reads are of a downloaded copy), a segment whose file
is gone fails the export with that reason. The scratch file is deleted either way, so a failed export
never leaves a partial MP4 in the store.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage
from django.db.models import Q
from django.utils import timezone
from recordings.models import RecordingSegment

from exports.models import Export, ExportStatus, export_path
from exports.remux import Piece, RemuxFailed, remux
from surveillance import media_store
from surveillance.errors import StoreUnavailable

log = logging.getLogger(__name__)

# Progress is written at most this often (a database write per segment would be 12 per second).
PROGRESS_INTERVAL_SECONDS = 0.5
# The filesystem store's folder of exports in the making (a job deletes its own; run_forever
# deletes those a killed job left).
SCRATCH_FOLDER = ".export-scratch"


class _Gone(Exception):
    """The export was deleted (or taken over by another job) while it was being made."""


def claim_next(*, now: datetime | None = None) -> Export | None:
    """The oldest waiting export (or one a dead job left), now ``running`` and this job's; None if none."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.EXPORT_STALE_SECONDS)
    due = Q(status=ExportStatus.PENDING) | Q(status=ExportStatus.RUNNING, heartbeat_at__lt=stale)
    for pk, status, heartbeat in (
        Export.objects.filter(due)
        .order_by("created_at", "id")
        .values_list("pk", "status", "heartbeat_at")[:10]
    ):
        won = Export.objects.filter(pk=pk, status=status, heartbeat_at=heartbeat).update(
            status=ExportStatus.RUNNING, heartbeat_at=now, progress=0.0
        )
        if won:
            return Export.objects.select_related("camera").get(pk=pk)
    return None


def pieces_of(export: Export) -> list[Piece]:
    """The camera's segments overlapping the export's range, in time order, as the remux reads them."""
    earliest = export.start - timedelta(seconds=settings.RECORDING_SEGMENT_MAX_SECONDS)
    rows = (
        RecordingSegment.objects.filter(
            camera_id=export.camera_id, start__gte=earliest, start__lt=export.end, end__gt=export.start
        )
        .order_by("start")
        .values_list("start", "file", "size")
    )
    return [
        Piece(f"{start:%Y-%m-%d %H:%M:%S} UTC", (start - export.start).total_seconds(), size, name)
        for start, name, size in rows
    ]


def _scratch_folder() -> str | None:
    """Where the export is written before it is stored: beside the filesystem store's files (outside any
    media prefix, so reconcile_media never sees it), so storing it is a rename and not a second copy;
    the system's temporary folder for a bucket."""
    root = media_store.local_root()
    if root is None:
        return None
    folder = root / SCRATCH_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder)


class _Scratch(File):
    """The finished scratch file: FileSystemStorage moves a file that names its temporary path (a rename
    on the same disk) instead of copying it."""

    def temporary_file_path(self) -> str:
        return str(self.name)


def _open(piece: Piece) -> Any:
    store = media_store.store()
    if isinstance(store, FileSystemStorage):
        return store.path(piece.source)  # FFmpeg reads the file itself: no Python call per read
    return store.open(piece.source, "rb")


def no_beat() -> None:
    pass


class _Progress:
    def __init__(self, export: Export, beat: Callable[[], None]) -> None:
        self.export = export
        self.beat = beat
        self.written = 0.0

    def __call__(self, fraction: float) -> None:
        moment = time.monotonic()
        if moment - self.written < PROGRESS_INTERVAL_SECONDS:
            return
        self.written = moment
        self.beat()
        _update(self.export, progress=round(fraction * 0.99, 4), heartbeat_at=timezone.now())


def _update(export: Export, **fields: Any) -> None:
    """Writes to the export only while it is still this job's (running, not deleted); else ``_Gone``."""
    if not Export.objects.filter(pk=export.pk, status=ExportStatus.RUNNING).update(**fields):
        raise _Gone


def run(export: Export, *, beat: Callable[[], None] = no_beat) -> str:
    """Makes a claimed export; returns its final status (``done`` or ``failed``, or ``deleted``)."""
    handle, scratch_name = tempfile.mkstemp(
        prefix=f"export-{export.pk}-", suffix=".mp4", dir=_scratch_folder()
    )
    os.close(handle)
    scratch = Path(scratch_name)
    stored = ""
    try:
        result = remux(
            pieces_of(export),
            span=(export.end - export.start).total_seconds(),
            target=scratch,
            opener=_open,
            on_progress=_Progress(export, beat),
        )
        size = scratch.stat().st_size
        with scratch.open("rb") as body:
            stored = media_store.store().save(export_path(export, f"{uuid.uuid4().hex}.mp4"), _Scratch(body))
        _update(
            export,
            status=ExportStatus.DONE,
            progress=1.0,
            file=stored,
            size=size,
            duration=result.duration,
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
        )
        log.info("export %s done: %d bytes, %.1f s", export.pk, size, result.duration)
        return ExportStatus.DONE
    except _Gone:
        media_store.delete_many([stored])
        log.info("export %s was deleted while it was being made", export.pk)
        return "deleted"
    except (RemuxFailed, StoreUnavailable) as error:
        reason = (
            str(error) if isinstance(error, RemuxFailed) else f"The media store did not answer ({error})."
        )
        return _fail(export, reason, stored)
    except Exception:
        log.exception("export %s failed", export.pk)
        return _fail(export, "The export failed on the server; its log has the details.", stored)
    finally:
        scratch.unlink(missing_ok=True)


def _fail(export: Export, reason: str, stored: str) -> str:
    media_store.delete_many([stored])
    log.warning("export %s failed: %s", export.pk, reason)
    try:
        _update(export, status=ExportStatus.FAILED, error=reason[:300], finished_at=timezone.now())
    except _Gone:
        return "deleted"
    return ExportStatus.FAILED


def run_once(*, beat: Callable[[], None] = no_beat) -> bool:
    """Makes one due export; False when there was none."""
    export = claim_next()
    if export is None:
        return False
    run(export, beat=beat)
    return True


def _forget_dead_scratch() -> None:
    """Deletes the scratch files a killed job left (not written for EXPORT_STALE_SECONDS)."""
    folder = _scratch_folder()
    if folder is None:
        return
    oldest = time.time() - settings.EXPORT_STALE_SECONDS
    for path in Path(folder).glob("export-*.mp4"):
        try:
            if path.stat().st_mtime < oldest:
                path.unlink()
        except OSError:
            pass


def run_forever(stop: threading.Event, *, beat: Callable[[], None] = no_beat) -> None:
    """Makes exports until ``stop``; ``beat`` is called at least every EXPORT_POLL_SECONDS and as an export
    progresses (the chart's liveness probe reads the file it touches)."""
    _forget_dead_scratch()
    while not stop.is_set():
        beat()
        if not run_once(beat=beat):
            stop.wait(settings.EXPORT_POLL_SECONDS)
