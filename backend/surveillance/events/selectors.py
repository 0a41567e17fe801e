"""Reads of alerts, snapshots and clips, always scoped to the caller by the one access rule
(``surveillance.access``)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from surveillance import access
from surveillance.access import Action, alerts_visible_to, clips_visible_to
from surveillance.events import event_zones, reviews
from surveillance.models import Alert, Clip


def alerts_of(
    user: User,
    *,
    camera_id: int | None = None,
    alert_type: str | None = None,
    acknowledged: bool | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    reviewed: bool | None = None,
    zone: str | None = None,
) -> QuerySet[Alert]:
    """The user's alerts, newest first, optionally filtered; ``since`` inclusive, ``until`` exclusive;
    ``reviewed``: by this user (surveillance.events.reviews); ``zone``: an object seen in it."""
    queryset = alerts_visible_to(user, Action.VIEW)
    if zone is not None:
        queryset = event_zones.filter_in_zone(queryset, zone)
    if reviewed is not None:
        queryset = reviews.filter_reviewed(queryset, user, reviewed)
    if camera_id is not None:
        queryset = queryset.filter(camera_id=camera_id)
    if alert_type is not None:
        queryset = queryset.filter(alert_type=alert_type)
    if acknowledged is not None:
        queryset = queryset.filter(acknowledged=acknowledged)
    if since is not None:
        queryset = queryset.filter(occurred_at__gte=since)
    if until is not None:
        queryset = queryset.filter(occurred_at__lt=until)
    return (
        queryset.select_related("camera", "acknowledged_by")
        .prefetch_related("clips")
        .order_by("-occurred_at", "-id")
    )


def alert_of(*, user: User, alert_id: int, action: Action = Action.VIEW) -> Alert:
    """As ``camera_of``, for an alert (its camera's team decides)."""
    alert = get_object_or_404(alerts_of(user), pk=alert_id)
    if action != Action.VIEW:
        access.check(user, action, team_id=alert.camera.team_id, camera_id=alert.camera_id)
    return alert


def snapshot_alert_of(*, user: User, name: str) -> Alert:
    """The alert whose snapshot file is ``name``, if the user may see it (404 otherwise).

    Staff with the admin's ``view_alert`` permission see every snapshot (``Action.VIEW_MEDIA``).
    """
    queryset = alerts_visible_to(user, Action.VIEW_MEDIA).select_related("camera")
    return get_object_or_404(queryset.exclude(snapshot=""), snapshot=name)


def clip_of(*, user: User, name: str) -> Clip:
    """The clip stored as ``name``, if the user may see its alert (404 otherwise), as for snapshots."""
    queryset = clips_visible_to(user, Action.VIEW_MEDIA).select_related("alert")
    return get_object_or_404(queryset, file=name)
