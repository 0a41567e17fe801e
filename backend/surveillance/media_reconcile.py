"""Rows and stored files, compared: objects without rows (orphans) and rows without objects (missing).

Each kind of media is a key prefix of the store and the rows that name files under it (``MediaKind``);
snapshots and clips are registered here, recordings register theirs with ``register``. The comparison
(``compare``) is pure; ``scan`` reads the database, then lists the store, and ``repair`` deletes orphans
and forgets missing files only after checking each one again (a file may come or go between the two
reads). An object younger than the grace period is never an orphan: an upload writes its object
before its row commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction

from surveillance import media_store
from surveillance.media_store import StoredObject
from surveillance.models import Alert, Clip


@dataclass(frozen=True)
class MediaKind:
    prefix: str  # "snapshots/"
    names: Callable[[], Iterable[str]]  # the file names the rows hold
    forget: Callable[[list[str]], int]  # repair rows whose files are gone; returns how many changed


@dataclass
class Findings:
    orphans: list[StoredObject] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def compare(*, rows: set[str], objects: Iterable[StoredObject], now: datetime, grace: timedelta) -> Findings:
    """Orphans: listed objects no row names, older than ``grace``. Missing: named by rows, not listed."""
    found = Findings()
    listed = set()
    for stored in objects:
        listed.add(stored.name)
        if stored.name not in rows and now - stored.modified > grace:
            found.orphans.append(stored)
    found.missing = sorted(rows - listed)
    return found


def _forget_snapshots(names: list[str]) -> int:
    # The alert stays (it is the event's record); it loses the picture it no longer has.
    return Alert.objects.filter(snapshot__in=names).update(snapshot="", snapshot_bytes=0)


def _forget_clips(names: list[str]) -> int:
    with transaction.atomic():
        deleted, _ = Clip.objects.filter(file__in=names).delete()
    return deleted


KINDS: dict[str, MediaKind] = {}


def register(kind: MediaKind) -> None:
    KINDS[kind.prefix] = kind


register(
    MediaKind(
        "snapshots/",
        lambda: Alert.objects.exclude(snapshot="").values_list("snapshot", flat=True).iterator(),
        _forget_snapshots,
    )
)
register(
    MediaKind(
        "clips/",
        # A clip the recordings hold names no object (``Clip.recording_end``): never "missing".
        lambda: Clip.objects.filter(recording_end__isnull=True).values_list("file", flat=True).iterator(),
        _forget_clips,
    )
)


def scan(kind: MediaKind, *, now: datetime, grace: timedelta) -> Findings:
    rows = set(kind.names())  # rows first: a file uploaded after this is young, so never an orphan
    return compare(rows=rows, objects=media_store.walk(kind.prefix), now=now, grace=grace)


def repair(kind: MediaKind, findings: Findings) -> tuple[int, int]:
    """Deletes the orphans that still have no row and forgets rows whose files are still gone; returns
    (objects deleted, rows changed)."""
    still_named = set(kind.names())
    orphans = [stored.name for stored in findings.orphans if stored.name not in still_named]
    left = media_store.delete_many(orphans)
    store = media_store.store()
    gone = [name for name in findings.missing if not store.exists(name)]
    return len(orphans) - left, kind.forget(gone) if gone else 0
