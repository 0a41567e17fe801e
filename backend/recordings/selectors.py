"""Reads of the recordings app, always scoped to the caller through the surveillance app's one access
rule (``surveillance.cameras.selectors.camera_of``: another user's camera is a 404, like a missing one)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.expressions import RawSQL
from django.shortcuts import get_object_or_404
from django.utils import timezone

from recordings.gaps import DEFAULT_TOLERANCE, Gap, find_gaps
from recordings.models import RecordingSegment, StreamOutage
from surveillance.access import Action, cameras_visible_to
from surveillance.cameras.selectors import camera_of, cameras_of
from surveillance.models import Camera, RecordMode

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SegmentRow:
    """A segment as the recordings query answers it. Times are Unix microseconds: a camera-day is 8,640
    rows, and turning 17,280 database timestamps into datetime objects took most of the query's time
    (bench/bench_recording_index.py); ``start``/``end`` give the datetimes where one is wanted."""

    start_us: int
    end_us: int
    duration: float
    size: int

    @property
    def start(self) -> datetime:
        return moment_of(self.start_us)

    @property
    def end(self) -> datetime:
        return moment_of(self.end_us)


def moment_of(microseconds: int) -> datetime:
    """Unix microseconds as an aware UTC datetime, exactly (no float on the way)."""
    return _EPOCH + timedelta(microseconds=microseconds)


def _microseconds(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


@dataclass(frozen=True)
class Recordings:
    camera: Camera
    segments: list[SegmentRow]
    gaps: list[Gap]


def camera_recordings(
    *, user: User, camera_id: int, start: datetime, end: datetime, now: datetime | None = None
) -> Recordings:
    """The camera's segments overlapping [start, end) in time order, and the gaps between them."""
    camera = camera_of(user=user, camera_id=camera_id, action=Action.VIEW_MEDIA)
    now = now or timezone.now()
    segments = _segments(camera.pk, start, end)
    outages = StreamOutage.objects.filter(camera=camera, started_at__lt=end).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=start)
    )
    gaps = find_gaps(
        window=(start, end),
        # The covered runs, not the 8,640 segments: the same holes (find_gaps only looks for uncovered
        # time over the tolerance), from a loop over integers instead of datetimes.
        segments=_covered_runs(segments, tolerance=DEFAULT_TOLERANCE // timedelta(microseconds=1)),
        outages=outages.values_list("started_at", "ended_at"),
        continuous=camera.record_mode == RecordMode.CONTINUOUS,
        now=now,
    )
    return Recordings(camera, segments, gaps)


def _segments(camera_id: int, start: datetime, end: datetime) -> list[SegmentRow]:
    # A segment overlapping the window starts at most one segment's length before it: with that lower
    # bound the (camera, start) key is a range scan, whatever the camera's history, and its covering
    # columns make it an index-only scan on PostgreSQL.
    earliest = start - timedelta(seconds=settings.RECORDING_SEGMENT_MAX_SECONDS)
    rows = RecordingSegment.objects.filter(
        camera_id=camera_id, start__gte=earliest, start__lt=end, end__gt=start
    ).order_by("start")
    if connection.vendor == "postgresql":
        # The server turns the times into integers (exact: timestamptz is whole microseconds). Constant
        # SQL, no input in it.
        micros = '(extract(epoch from "recordings_recordingsegment"."{}") * 1000000)::bigint'
        rows = rows.annotate(
            start_us=RawSQL(micros.format("start"), ()),  # noqa: S611
            end_us=RawSQL(micros.format("end"), ()),  # noqa: S611
        )
        return [SegmentRow(*row) for row in rows.values_list("start_us", "end_us", "duration", "size")]
    return [
        SegmentRow(_microseconds(first), _microseconds(last), duration, size)
        for first, last, duration, size in rows.values_list("start", "end", "duration", "size")
    ]


def _covered_runs(segments: list[SegmentRow], *, tolerance: int) -> list[tuple[datetime, datetime]]:
    """Segments (by start) merged where they touch or leave at most ``tolerance`` microseconds between."""
    runs: list[tuple[datetime, datetime]] = []
    run_start: int | None = None
    run_end: int | None = None
    for segment in segments:
        if run_end is not None and segment.start_us - run_end <= tolerance:
            run_end = max(run_end, segment.end_us)
            continue
        if run_start is not None and run_end is not None:
            runs.append((moment_of(run_start), moment_of(run_end)))
        run_start, run_end = segment.start_us, segment.end_us
    if run_start is not None and run_end is not None:
        runs.append((moment_of(run_start), moment_of(run_end)))
    return runs


# One statement for the whole answer: the segments' JSON and the covered runs from the same index-only
# scan of the window. Per row, the text form of the UTC times as the ISO DateStyle writes it (no to_char,
# which took a third of the time), the 'T', and the microseconds padded to six digits as DRF writes them
# (the server drops trailing zeros); the start's milliseconds for the URL in float8 (exact to the
# microsecond for any year before 2200), not numeric. Each row is the text between '{"start":"' and
# '/"}': those are the aggregate's separator, so a row is a few pieces fewer to concatenate. ``before``
# is the latest end of the window's earlier segments: a row starting more than the tolerance after it
# opens a run (recordings.gaps), and that ``before`` closes the previous one. The aggregates take the rows
# in the window's order (by start: the order the window function computes ``before`` in, and the index's),
# as PostgreSQL's manual says aggregates over a sorted subquery do where the outer level has no join or
# grouping; an ORDER BY inside each aggregate would sort the 8,640 rows a second time (a fifth of the
# statement's time).
_WINDOW = 'camera_id = %s AND start >= %s AND start < %s AND "end" > %s'
_SEGMENTS_AND_RUNS = f"""
    SELECT
        string_agg(
            CASE WHEN length(start_text) = 19 THEN start_text ELSE rpad(start_text, 26, '0') END
            || 'Z","end":"'
            || CASE WHEN length(end_text) = 19 THEN end_text ELSE rpad(end_text, 26, '0') END
            || 'Z","duration":' || duration::text || ',"size":' || size::text || ',"url":"' || %s
            || round(date_part('epoch', start) * 1000)::bigint::text,
            '/"}},{{"start":"'
        ),
        array_agg(start) FILTER (WHERE before IS NULL OR start - before > %s),
        array_agg(before) FILTER (WHERE start - before > %s),
        max("end")
    FROM (
        SELECT
            start, "end", duration, size,
            replace((start AT TIME ZONE 'UTC')::text, ' ', 'T') AS start_text,
            replace(("end" AT TIME ZONE 'UTC')::text, ' ', 'T') AS end_text,
            max("end") OVER (ORDER BY start ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
        FROM recordings_recordingsegment WHERE {_WINDOW}
    ) AS segment
"""  # noqa: S608 - constant SQL, the values are parameters


@dataclass(frozen=True)
class RecordingsDocument:
    segments_json: str  # the API's "segments" array as JSON text
    gaps: list[Gap]


def camera_recordings_document(
    *,
    user: User,
    camera_id: int,
    start: datetime,
    end: datetime,
    url_prefix: str,
    now: datetime | None = None,
) -> RecordingsDocument | None:
    """The recordings answer with its segments as JSON text written by PostgreSQL (a camera-day is 8,640
    segments: no Python object per segment at all), and the gaps from the covered runs of the same
    statement. None where that path does not apply (SQLite, a TIME_ZONE other than UTC, a DateStyle other
    than ISO): the caller builds it from ``camera_recordings``, to the same output
    (tests/backend/test_recordings.py)."""
    if connection.vendor != "postgresql" or timezone.get_current_timezone_name() != "UTC":
        return None
    camera = camera_of(user=user, camera_id=camera_id, action=Action.VIEW_MEDIA)
    if not _iso_date_style():
        return None
    now = now or timezone.now()
    earliest = start - timedelta(seconds=settings.RECORDING_SEGMENT_MAX_SECONDS)
    params: list[Any] = [
        json.dumps(url_prefix)[1:-1],
        DEFAULT_TOLERANCE,
        DEFAULT_TOLERANCE,
        camera.pk,
        earliest,
        end,
        start,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_SEGMENTS_AND_RUNS, params)
        rows, openings, closings, last_end = cursor.fetchone()
    segments_json, runs = "[]", []
    if rows is not None:
        segments_json = f'[{{"start":"{rows}/"}}]'
        # Run i opens at openings[i] and closes where run i + 1 opens (closings[i]), the last at the last
        # end.
        runs = list(zip(openings, [*(closings or []), last_end], strict=True))
    outages = StreamOutage.objects.filter(camera=camera, started_at__lt=end).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=start)
    )
    gaps = find_gaps(
        window=(start, end),
        segments=runs,
        outages=outages.values_list("started_at", "ended_at"),
        continuous=camera.record_mode == RecordMode.CONTINUOUS,
        now=now,
    )
    return RecordingsDocument(segments_json, gaps)


def _iso_date_style() -> bool:
    """Whether the session writes timestamps as ISO (the server's default; the driver reads every time in
    that form too). Read from what the server reported at connect, no query."""
    connection.ensure_connection()
    style = connection.connection.get_parameter_status("DateStyle") or ""
    return style.startswith("ISO")


def segment_of(*, user: User, camera_id: int, start: datetime) -> RecordingSegment:
    """The segment of a camera ``user`` may see, by its start; 404 otherwise."""
    cameras = cameras_visible_to(user, Action.VIEW_MEDIA)
    return get_object_or_404(RecordingSegment, camera__in=cameras, camera_id=camera_id, start=start)


@dataclass(frozen=True)
class CameraUsage:
    camera_id: int
    name: str
    record_mode: str
    segments: int
    bytes: int
    oldest: datetime | None
    newest: datetime | None


@dataclass(frozen=True)
class Usage:
    segments: int
    bytes: int
    cap_bytes: int  # 0: no cap
    cameras: list[CameraUsage]


def recordings_usage(*, user: User) -> Usage:
    """What ``user``'s cameras' recordings take, per camera and in all: from the index rows, never by
    listing the store."""
    cameras = cameras_of(user)
    by_camera = {
        row["camera_id"]: row
        for row in RecordingSegment.objects.filter(camera__in=cameras)
        .values("camera_id")
        .annotate(segments=Count("pk"), bytes=Sum("size"), oldest=Min("start"), newest=Max("end"))
    }
    per_camera = []
    for camera in cameras.only("pk", "name", "record_mode"):
        row: dict[str, Any] = dict(by_camera.get(camera.pk) or {})
        per_camera.append(
            CameraUsage(
                camera.pk,
                camera.name,
                camera.record_mode,
                row.get("segments", 0),
                row.get("bytes") or 0,
                row.get("oldest"),
                row.get("newest"),
            )
        )
    return Usage(
        segments=sum(item.segments for item in per_camera),
        bytes=sum(item.bytes for item in per_camera),
        cap_bytes=settings.RECORDING_STORAGE_PER_USER_BYTES,
        cameras=per_camera,
    )


@dataclass(frozen=True)
class RecordingSummary:
    """What the dashboard's camera page shows: what is recorded and the storage it takes."""

    segments: int
    bytes: int
    oldest: datetime | None
    newest: datetime | None
    latest: RecordingSegment | None


def camera_recording_summary(*, user: User, camera_id: int) -> RecordingSummary:
    camera = camera_of(user=user, camera_id=camera_id)
    rows = RecordingSegment.objects.filter(camera=camera)
    found = rows.aggregate(segments=Count("pk"), bytes=Sum("size"), oldest=Min("start"), newest=Max("end"))
    latest = rows.order_by("-start").only("pk", "camera_id", "start", "end", "duration", "size").first()
    return RecordingSummary(
        found["segments"] or 0, found["bytes"] or 0, found["oldest"], found["newest"], latest
    )
