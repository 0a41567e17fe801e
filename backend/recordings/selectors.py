"""Reads of the recordings app, always scoped to the caller through the surveillance app's one access
rule (``surveillance.selectors.camera_of``: another user's camera is a 404, like a missing one)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Count, Max, Min, Q, Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone

from recordings.gaps import Gap, find_gaps
from recordings.models import RecordingSegment, StreamOutage
from surveillance.access import Action, cameras_visible_to
from surveillance.models import Camera, RecordMode
from surveillance.selectors import camera_of, cameras_of


@dataclass(frozen=True, slots=True)
class SegmentRow:
    start: datetime
    end: datetime
    duration: float
    size: int


@dataclass(frozen=True)
class Recordings:
    camera: Camera
    segments: list[SegmentRow]
    gaps: list[Gap]


def camera_recordings(
    *, user: User, camera_id: int, start: datetime, end: datetime, now: datetime | None = None
) -> Recordings:
    """The camera's segments overlapping [start, end) in time order, and the gaps between them."""
    camera = camera_of(user=user, camera_id=camera_id)
    now = now or timezone.now()
    # A segment overlapping the window starts at most one segment's length before it: with that lower
    # bound the (camera, start) index is a range scan, whatever the camera's history.
    longest = timedelta(seconds=settings.RECORDING_SEGMENT_MAX_SECONDS)
    # Plain rows, not model instances: a camera-day is 8,640 of them, and building models costs most of
    # the query's time (bench/bench_recording_index.py).
    segments = [
        SegmentRow(*row)
        for row in RecordingSegment.objects.filter(
            camera=camera, start__gte=start - longest, start__lt=end, end__gt=start
        )
        .order_by("start")
        .values_list("start", "end", "duration", "size")
    ]
    outages = StreamOutage.objects.filter(camera=camera, started_at__lt=end).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=start)
    )
    gaps = find_gaps(
        window=(start, end),
        segments=[(segment.start, segment.end) for segment in segments],
        outages=outages.values_list("started_at", "ended_at"),
        continuous=camera.record_mode == RecordMode.CONTINUOUS,
        now=now,
    )
    return Recordings(camera, segments, gaps)


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
