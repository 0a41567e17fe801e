"""Per-camera and per-team limits: ingest rate, snapshot storage, media free space, camera counts.

A team's limits count what the team owns (its cameras and what hangs off them), whoever of its members
added it: the team is the owner (issue 25). The settings keep their seed-era names (``..._PER_USER``):
for a user on their own, their personal team is what those names meant. Staff set one team's own limits
in the admin (``teams.TeamQuota``).

Each check reads what it needs from the database (shared by every server process) and raises the error
the API maps to its status code: ``IngestRateLimited`` 429, ``InsufficientStorage`` 507, Django's
``ValidationError`` 400 for camera counts. The arithmetic is in small pure functions.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Sum

from surveillance import media_store
from surveillance.errors import IngestRateLimited, InsufficientStorage
from surveillance.models import Alert, Camera
from teams.models import TeamQuota

RATE_WINDOW = timedelta(minutes=1)


def _team_quota(team_id: int) -> TeamQuota | None:
    return TeamQuota.objects.filter(team_id=team_id).first()


def _limit(override: int | None, default: int) -> int:
    return default if override is None else override


def over_quota(used: int, adding: int, limit: int) -> bool:
    """Whether storing ``adding`` more bytes (or items) goes past ``limit``; 0 means no limit."""
    return limit > 0 and used + adding > limit


def retry_after_seconds(oldest_in_window: datetime, now: datetime) -> int:
    """Seconds until the oldest alert of the window leaves it (and a slot frees up)."""
    return max(1, int((oldest_in_window + RATE_WINDOW - now).total_seconds()) + 1)


def timestamp_window(now: datetime) -> tuple[datetime, datetime]:
    """The oldest and newest alert time the API accepts (ALERT_TIMESTAMP_MAX_AGE/FUTURE_SECONDS)."""
    return (
        now - timedelta(seconds=settings.ALERT_TIMESTAMP_MAX_AGE_SECONDS),
        now + timedelta(seconds=settings.ALERT_TIMESTAMP_MAX_FUTURE_SECONDS),
    )


def check_timestamp(occurred_at: datetime, *, now: datetime) -> None:
    """Refuses an alert time far from now: year 9999 would top every feed forever and never be purged."""
    oldest, newest = timestamp_window(now)
    if not oldest <= occurred_at <= newest:
        raise ValidationError(
            f"{occurred_at.isoformat()} is outside the accepted window "
            f"{oldest.isoformat(timespec='seconds')} .. {newest.isoformat(timespec='seconds')} "
            "(ALERT_TIMESTAMP_MAX_AGE_SECONDS, ALERT_TIMESTAMP_MAX_FUTURE_SECONDS); check the worker's clock."
        )


def check_ingest_rate(*, camera: Camera, now: datetime) -> None:
    limit = settings.ALERT_RATE_PER_MINUTE
    recent = Alert.objects.filter(camera=camera, created_at__gte=now - RATE_WINDOW).order_by("-created_at")
    times = list(recent.values_list("created_at", flat=True)[:limit])
    if len(times) >= limit:
        raise IngestRateLimited(limit=limit, retry_after=retry_after_seconds(times[-1], now))


def check_event_update_rate(*, camera: Camera, now: datetime) -> None:
    """Counts one event update of the camera in its one-minute window; past EVENT_UPDATE_RATE_PER_MINUTE
    ``IngestRateLimited`` (429). Locks the camera's row: call inside a transaction."""
    limit = settings.EVENT_UPDATE_RATE_PER_MINUTE
    row = (
        Camera.objects.select_for_update()
        .only("event_updates_since", "event_updates_in_window")
        .get(pk=camera.pk)
    )
    since, count = row.event_updates_since, row.event_updates_in_window
    if since is None or not since <= now < since + RATE_WINDOW:
        since, count = now, 0
    if count >= limit:
        raise IngestRateLimited(
            limit=limit,
            retry_after=retry_after_seconds(since, now),
            what="event updates",
            setting="EVENT_UPDATE_RATE_PER_MINUTE",
        )
    Camera.objects.filter(pk=camera.pk).update(event_updates_since=since, event_updates_in_window=count + 1)


def check_media_free_space(*, needed: int) -> None:
    minimum = settings.MEDIA_MIN_FREE_BYTES
    if minimum <= 0:
        return
    root = media_store.local_root()
    if root is None:  # a bucket has no free space to watch: the byte quotas bound what each owner stores
        return
    root.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(root).free
    if free - needed < minimum:
        raise InsufficientStorage(
            f"The media volume has {free} bytes free, under MEDIA_MIN_FREE_BYTES={minimum}: "
            "alerts are refused until space is freed (purge_alerts, a larger volume)."
        )


def check_storage_quota(*, camera: Camera, adding: int) -> None:
    camera_limit = settings.CAMERA_STORAGE_QUOTA_BYTES
    if camera_limit > 0:
        used = Alert.objects.filter(camera=camera).aggregate(total=Sum("snapshot_bytes"))["total"] or 0
        if over_quota(used, adding, camera_limit):
            raise InsufficientStorage(
                f"Camera {camera.pk} stores {used} snapshot bytes; {adding} more passes its quota of "
                f"{camera_limit} (CAMERA_STORAGE_QUOTA_BYTES). Delete or purge old alerts."
            )
    quota = _team_quota(camera.team_id)
    team_limit = _limit(quota.max_storage_bytes if quota else None, settings.USER_STORAGE_QUOTA_BYTES)
    if team_limit > 0:
        owned = Alert.objects.filter(camera__team_id=camera.team_id)
        used = owned.aggregate(total=Sum("snapshot_bytes"))["total"] or 0
        if over_quota(used, adding, team_limit):
            raise InsufficientStorage(
                f"The camera's team stores {used} snapshot bytes; {adding} more passes its quota of "
                f"{team_limit} (USER_STORAGE_QUOTA_BYTES, or the team's own in the admin). Delete or purge "
                "old alerts."
            )


def check_camera_count(*, team_id: int) -> None:
    """Refuses one more camera past the team's limit (callers lock the team's row first, as camera_create
    does, so that concurrent creates cannot pass it together)."""
    quota = _team_quota(team_id)
    limit = _limit(quota.max_cameras if quota else None, settings.MAX_CAMERAS_PER_USER)
    count = Camera.objects.filter(team_id=team_id).count()
    if count + 1 > limit:
        raise ValidationError(
            f"This team has {count} cameras, the most it may have (MAX_CAMERAS_PER_USER={limit}, or the "
            "team's own limit in the admin). Delete one, or ask an administrator to raise the limit."
        )


def check_active_camera_count(*, team_id: int, excluding: int | None = None) -> None:
    """Refuses one more active camera past the team's limit (each active camera runs a worker)."""
    quota = _team_quota(team_id)
    limit = _limit(quota.max_active_cameras if quota else None, settings.MAX_ACTIVE_CAMERAS_PER_USER)
    active = Camera.objects.filter(team_id=team_id, is_active=True)
    if excluding is not None:
        active = active.exclude(pk=excluding)
    count = active.count()
    if count + 1 > limit:
        raise ValidationError(
            {
                "is_active": f"This team has {count} active cameras, the most it may run at once "
                f"(MAX_ACTIVE_CAMERAS_PER_USER={limit}, or the team's own limit in the admin). Deactivate "
                "one, or ask an administrator."
            }
        )
