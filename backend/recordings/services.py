"""Writes of the recordings app: storing an uploaded segment (idempotent), and the retention pass
(each camera's days per kind, then the per-owner and overall storage caps), which deletes the stored
objects in batches and not only the rows."""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from recordings import metrics, storage
from recordings.models import RecordingSegment, SegmentKind
from surveillance import metrics as base_metrics
from surveillance.errors import ApplicationError
from surveillance.events import clips
from surveillance.models import Alert, Camera, Clip

log = logging.getLogger(__name__)

_MAX_START_MS = 10**15  # year 33658: anything longer is not a time


class SegmentConflict(ApplicationError, status_code=422, reason=base_metrics.REJECT_CONFLICT):
    """Another segment of this camera starts at the same time (a segment's key)."""


class SegmentInvalid(ValidationError):
    """A segment's head (start, end, kind) is not one the backend takes (HTTP 400)."""


def segment_start(start_ms: int) -> datetime:
    """The segment start a URL names (Unix milliseconds) as an aware time; 400 for nonsense."""
    if not 0 < start_ms < _MAX_START_MS:
        raise SegmentInvalid({"start": "Unix time in milliseconds."})
    return datetime.fromtimestamp(start_ms / 1000, tz=UTC)


def _retention_days(camera: Camera, kind: str) -> int:
    days = camera.retain_continuous_days if kind == SegmentKind.CONTINUOUS else camera.retain_motion_days
    return max(days, camera.retain_events_days)


def _check_head(*, camera: Camera, start: datetime, end: datetime | None, kind: str, now: datetime) -> None:
    if kind not in SegmentKind.values:
        raise SegmentInvalid({"X-Segment-Kind": f"One of {', '.join(SegmentKind.values)}."})
    if end is None:
        raise SegmentInvalid({"X-Segment-Ended-At": "An ISO 8601 time with a time zone."})
    longest = settings.RECORDING_SEGMENT_MAX_SECONDS
    if not timedelta(0) < end - start <= timedelta(seconds=longest):
        raise SegmentInvalid(
            {
                "X-Segment-Ended-At": f"A segment ends after its start and lasts at most "
                f"RECORDING_SEGMENT_MAX_SECONDS={longest} s."
            }
        )
    if end > now + timedelta(seconds=settings.ALERT_TIMESTAMP_MAX_FUTURE_SECONDS):
        raise SegmentInvalid({"start": "The segment lies in the future; check the worker's clock."})
    days = _retention_days(camera, kind)
    if end < now - timedelta(days=days):
        raise SegmentInvalid({"start": f"The segment is older than this camera's retention ({days} days)."})


@dataclass(frozen=True, slots=True)
class Stored:
    segment: RecordingSegment
    created: bool


def segment_store(
    *,
    camera: Camera,
    start: datetime,
    end: datetime | None,
    kind: str,
    upload: Path,
    now: datetime | None = None,
) -> Stored:
    """Stores an uploaded segment of ``camera`` starting at ``start``. The same segment again (same start
    and size) answers the stored one: a worker's retry never adds a second; another file for that start
    is a ``SegmentConflict`` (422). ``ClipInvalid`` (400) for what is not a playable MP4 of at most
    RECORDING_SEGMENT_MAX_SECONDS (the clips' bounded checks: box walk, then FFmpeg in a capped child)."""
    now = now or timezone.now()
    _check_head(camera=camera, start=start, end=end, kind=kind, now=now)
    assert end is not None
    size = upload.stat().st_size
    existing = RecordingSegment.objects.filter(camera=camera, start=start).first()
    if existing is not None:
        return _replay(existing, size)
    facts = clips.check_clip(upload, max_seconds=settings.RECORDING_SEGMENT_MAX_SECONDS)
    segment = RecordingSegment(
        camera=camera, start=start, end=end, duration=round(facts.duration, 3), size=size, kind=kind
    )
    with upload.open("rb") as body:
        segment.file.save(f"{int(start.timestamp() * 1000)}-{kind}.mp4", File(body), save=False)
    try:
        with transaction.atomic():
            segment.save()
    except IntegrityError:  # the same segment, stored by a concurrent retry a moment ago
        segment.file.delete(save=False)
        return _replay(RecordingSegment.objects.get(camera=camera, start=start), size)
    except BaseException:
        segment.file.delete(save=False)
        raise
    metrics.SEGMENTS_STORED.inc()
    metrics.SEGMENT_BYTES_STORED.inc(size)
    return Stored(segment, True)


def _replay(existing: RecordingSegment, size: int) -> Stored:
    if existing.size != size:
        raise SegmentConflict(
            f"Camera {existing.camera_id} already has a segment starting at {existing.start.isoformat()} "
            f"of {existing.size} bytes; this one has {size}."
        )
    metrics.SEGMENT_REPLAYS.inc()
    return Stored(existing, False)


# --- retention ---------------------------------------------------------------------------------------


@dataclass
class PurgeResult:
    retention: int = 0
    cap: int = 0
    bytes: int = 0


def recordings_purge(*, now: datetime | None = None) -> PurgeResult:
    """The retention pass: every camera's segments past their kind's days (a segment overlapping one of
    its camera's events lives RETAIN_EVENTS_DAYS when that is longer), then the storage caps."""
    now = now or timezone.now()
    result = PurgeResult()
    cameras = Camera.objects.filter(Exists(RecordingSegment.objects.filter(camera=OuterRef("pk")))).only(
        "pk", "retain_continuous_days", "retain_motion_days", "retain_events_days"
    )
    store = _StoreDeletes()
    try:
        for camera in cameras.iterator(chunk_size=500):
            count, size = _delete_in_batches(_expired(camera, now), store=store)
            result.retention += count
            result.bytes += size
    finally:
        store.close()
    if result.retention:
        metrics.SEGMENTS_DELETED.labels(reason=metrics.DELETED_RETENTION).inc(result.retention)
    capped, size = recordings_enforce_caps()
    result.cap, result.bytes = capped, result.bytes + size
    return result


def _expired(camera: Camera, now: datetime):
    """The camera's segments past their kind's days, as one query (one statement per camera and batch)."""
    events_cutoff = now - timedelta(days=camera.retain_events_days)
    expired = Q()
    cutoffs = []
    for kind in SegmentKind.values:
        days = camera.retain_continuous_days if kind == SegmentKind.CONTINUOUS else camera.retain_motion_days
        cutoff = now - timedelta(days=days)
        cutoffs.append(cutoff)
        old = Q(kind=kind, end__lt=cutoff)
        if camera.retain_events_days > days:
            # Footage around an event is kept longer: spare the segments that overlap one of the camera's
            # events until RETAIN_EVENTS_DAYS (a seed client's alert has no start/end: its time is
            # occurred_at).
            events = Alert.objects.annotate(
                event_start=Coalesce("started_at", "occurred_at"),
                event_end=Coalesce("ended_at", "started_at", "occurred_at"),
            ).filter(camera=camera, event_start__lte=OuterRef("end"), event_end__gte=OuterRef("start"))
            # An event clip the recordings hold (issue 23) keeps every segment of its span as long: its
            # pre-roll and post-roll lie outside the event's own times.
            spans = Clip.objects.filter(
                alert__camera=camera,
                recording_start__lte=OuterRef("end"),
                recording_end__gte=OuterRef("start"),
            )
            old = Q(old, Q(end__lt=events_cutoff) | (~Exists(events) & ~Exists(spans)))
        expired |= old
    # ``start`` before the latest cut-off too (implied: a segment ends after it starts): a range of the
    # camera's (camera, start) key, the only index the table has.
    return RecordingSegment.objects.filter(expired, camera=camera, start__lt=max(cutoffs))


def _delete_in_batches(
    queryset, *, limit_bytes: int | None = None, store: _StoreDeletes | None = None
) -> tuple[int, int]:
    """Deletes the queryset's segments oldest first, rows then their stored objects, a batch at a time;
    with ``limit_bytes``, stops once that many bytes are gone. Returns (segments, bytes)."""
    if limit_bytes is None and store is not None and connection.vendor == "postgresql":
        return _delete_returning(queryset, store)
    count = freed = 0
    batch_size = settings.RECORDING_DELETE_BATCH
    while limit_bytes is None or freed < limit_bytes:
        rows = list(queryset.order_by("start").values_list("pk", "size", "file")[:batch_size])
        if not rows:
            break
        if limit_bytes is not None:
            kept: list[tuple[int, int, str]] = []
            running = freed
            for row in rows:
                if running >= limit_bytes:
                    break
                kept.append(row)
                running += row[1]
            rows = kept
        RecordingSegment.objects.filter(pk__in=[pk for pk, _, _ in rows]).delete()
        # After the rows: a crash in between leaves objects without rows (the reconcile job's to find),
        # never rows that point at nothing.
        storage.delete_objects(name for _, _, name in rows)
        count += len(rows)
        freed += sum(size for _, size, _ in rows)
        if len(rows) < batch_size:
            break
    return count, freed


# Rows per DELETE statement on PostgreSQL: large enough that a day of 1,000 cameras (8.64 M rows) is a few
# hundred statements, small enough that each commits in well under a second (locks, WAL, the names held
# in memory). The store's deletes go RECORDING_DELETE_BATCH names at a time (recordings.storage).
DELETE_ROWS_PER_STATEMENT = 20_000


def _delete_returning(queryset, store: _StoreDeletes) -> tuple[int, int]:
    """The retention pass on PostgreSQL: one statement per batch, ``DELETE … WHERE ctid = ANY(the
    queryset's oldest rows LIMIT n) RETURNING size, file``, summed up by the server, so the rows are
    chosen, deleted and their stored names read back in one round trip, without the rows' keys
    travelling to Python and back. Each statement commits on its own before its objects are deleted from
    the store (rows first, as in the portable path)."""
    table = connection.ops.quote_name(RecordingSegment._meta.db_table)
    # By the rows' physical addresses (ctid), read from the same snapshot in the same statement: the
    # delete goes straight to each row (a TID scan) instead of one primary-key lookup per row, which took
    # half the statement's time (bench/bench_recording_index.py). A row another transaction changed in
    # between is rechecked against its new version and left to the next pass.
    chosen = (
        queryset.annotate(row_address=RawSQL(f"{table}.ctid", ()))  # noqa: S611 - constant SQL
        .order_by("start")
        .values("row_address")[:DELETE_ROWS_PER_STATEMENT]
    )
    select, params = chosen.query.sql_with_params()
    # = ANY(ARRAY(…)): the rows are chosen once (an InitPlan); with IN (…) the planner may hash-join a
    # scan of the whole table for each statement.
    # The deleted rows come back as one row (their count, bytes and names as one array): no Python tuple
    # per row, which took more of the pass's time than the database's deletes.
    statement = f"""
        WITH deleted AS (
            DELETE FROM {table} WHERE ctid = ANY(ARRAY({select})) RETURNING size, file
        )
        SELECT count(*), coalesce(sum(size), 0)::bigint, coalesce(array_agg(file), '{{}}') FROM deleted
    """  # noqa: S608 - compiled by the ORM
    count = freed = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            deleted, size, names = cursor.fetchone()
        store.submit(names)
        count += deleted
        freed += size
        if deleted < DELETE_ROWS_PER_STATEMENT:
            return count, freed


class _StoreDeletes:
    """The store's deletes of one batch run while the database deletes the next (a remote store's round
    trips then add no time); one batch at a time, so the names held stay bounded at two batches."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recordings-store-delete")
        self._pending: Future | None = None

    def submit(self, names: list[str]) -> None:
        self.wait()
        self._pending = self._pool.submit(storage.delete_objects, names)

    def wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self._pool.shutdown()


def recordings_enforce_caps(*, per_user: int | None = None, total: int | None = None) -> tuple[int, int]:
    """Holds each owner (a camera's team, issue 25) under RECORDING_STORAGE_PER_USER_BYTES and everyone
    under RECORDING_STORAGE_TOTAL_BYTES (0: no cap). Past the overall cap, each owner over an equal share
    loses their own oldest segments, down to that share, until the total fits: never another owner's
    footage to make room. Returns (segments, bytes) deleted."""
    per_user = settings.RECORDING_STORAGE_PER_USER_BYTES if per_user is None else per_user
    total = settings.RECORDING_STORAGE_TOTAL_BYTES if total is None else total
    usage = dict(
        RecordingSegment.objects.values_list("camera__team_id")
        .annotate(bytes=Sum("size"))
        .values_list("camera__team_id", "bytes")
    )
    excess: dict[int, int] = {}
    if per_user:
        excess = {owner: used - per_user for owner, used in usage.items() if used > per_user}
    if total:
        after = {owner: used - excess.get(owner, 0) for owner, used in usage.items()}
        over_total = sum(after.values()) - total
        if over_total > 0:
            share = total // max(1, len(after))
            for owner, used in sorted(after.items(), key=lambda pair: pair[1] - share, reverse=True):
                if over_total <= 0 or used <= share:
                    break
                cut = min(used - share, over_total)
                excess[owner] = excess.get(owner, 0) + cut
                over_total -= cut
    count = freed = 0
    for owner, wanted in excess.items():
        deleted, size = _delete_in_batches(
            RecordingSegment.objects.filter(camera__team_id=owner), limit_bytes=wanted
        )
        count, freed = count + deleted, freed + size
        if deleted:
            log.info(
                "recording storage cap: deleted %d segment(s), %d bytes, of team %s", deleted, size, owner
            )
    if count:
        metrics.SEGMENTS_DELETED.labels(reason=metrics.DELETED_CAP).inc(count)
    return count, freed
