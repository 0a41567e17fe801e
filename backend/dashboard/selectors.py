"""Aggregate reads for the dashboard, each built on the user-scoped selectors of ``surveillance``.

Everything here is counted and grouped in the database (one query per chart), so the pages cost the
same with 100 alerts and with 100k.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.contrib.auth.models import User
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from surveillance.cameras.selectors import cameras_of
from surveillance.events.selectors import alerts_of
from surveillance.models import Alert, Camera


def _alerts(user: User, team_id: int | None, **filters) -> QuerySet[Alert]:
    """``alerts_of``, narrowed to one of the user's teams (the dashboard's current team) with ``team_id``."""
    alerts = alerts_of(user, **filters)
    return alerts if team_id is None else alerts.filter(camera__team_id=team_id)


def cameras_with_activity(user: User, *, now: datetime) -> QuerySet[Camera]:
    """The user's cameras, each annotated with its last alert (time, type) and its alert count of 24 h."""
    latest = Alert.objects.filter(camera=OuterRef("pk")).order_by("-occurred_at", "-id")
    # A correlated count walks the (camera, -occurred_at) index for one day only.
    recent = (
        Alert.objects.filter(camera=OuterRef("pk"), occurred_at__gte=now - timedelta(days=1))
        .order_by()
        .values("camera")
        .annotate(n=Count("id"))
        .values("n")
    )
    return cameras_of(user).annotate(
        last_alert_at=Subquery(latest.values("occurred_at")[:1]),
        last_alert_type=Subquery(latest.values("alert_type")[:1]),
        last_alert_id=Subquery(latest.values("id")[:1]),
        alerts_24h=Subquery(recent),
    )


def latest_snapshot_alert(user: User, *, camera_id: int) -> Alert | None:
    """The camera's newest alert that has a snapshot (the zone editor draws on it)."""
    return alerts_of(user, camera_id=camera_id).exclude(snapshot="").first()


def unacknowledged_count(user: User, *, team_id: int | None = None) -> int:
    return _alerts(user, team_id, acknowledged=False).order_by().count()


def last_days(today: date, days: int) -> list[date]:
    """The ``days`` calendar days ending with ``today``, oldest first."""
    return [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def alerts_per_day_and_type(
    user: User, *, days: list[date], team_id: int | None = None
) -> dict[tuple[date, str], int]:
    """``{(day, alert_type): count}`` for the given days (in the current time zone)."""
    if not days:
        return {}
    tz = timezone.get_current_timezone()
    since = datetime.combine(days[0], datetime.min.time(), tzinfo=tz)
    until = datetime.combine(days[-1] + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    rows = (
        _alerts(user, team_id, since=since, until=until)
        .order_by()
        .annotate(day=TruncDate("occurred_at", tzinfo=tz))
        .values("day", "alert_type")
        .annotate(n=Count("id"))
        .values_list("day", "alert_type", "n")
    )
    return {(day, kind): n for day, kind, n in rows}


def alerts_per_camera_and_type(
    user: User, *, since: datetime, limit: int, team_id: int | None = None
) -> tuple[list[tuple[str, dict[str, int]]], int]:
    """Cameras with the most alerts since ``since`` (at most ``limit``, busiest first), counted per type.

    Returns the rows and the number of cameras with alerts that did not fit.
    """
    rows = (
        _alerts(user, team_id, since=since)
        .order_by()
        .values("camera_id", "camera__name", "alert_type")
        .annotate(n=Count("id"))
        .values_list("camera_id", "camera__name", "alert_type", "n")
    )
    per_camera: dict[int, dict[str, int]] = defaultdict(dict)
    names: dict[int, str] = {}
    for camera_id, name, kind, n in rows:
        per_camera[camera_id][kind] = n
        names[camera_id] = name
    ranked = sorted(per_camera, key=lambda cid: (-sum(per_camera[cid].values()), names[cid]))
    shown = [(names[cid], per_camera[cid]) for cid in ranked[:limit]]
    return shown, max(len(ranked) - limit, 0)
