"""Reads of cameras, always scoped to the caller by the one access rule (``surveillance.access``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from surveillance import access
from surveillance.access import Action, cameras_visible_to
from surveillance.accounts import tokens
from surveillance.models import Camera


def cameras_of(user: User) -> QuerySet[Camera]:
    return cameras_visible_to(user, Action.VIEW).order_by("id")


def camera_of(*, user: User, camera_id: int, action: Action = Action.VIEW) -> Camera:
    """The camera with this id if the user may see it (``Http404`` for a missing id and for another
    team's camera alike), and ``PermissionDenied`` (403) when their role does not allow ``action``."""
    camera = get_object_or_404(cameras_of(user), pk=camera_id)
    if action != Action.VIEW:
        access.check(user, action, team_id=camera.team_id, camera_id=camera.pk)
    return camera


def active_cameras_of(user: User) -> QuerySet[Camera]:
    """The active cameras whose workers run for ``user``: the operator sees every user's, a user theirs."""
    return cameras_visible_to(user, Action.RUN).filter(is_active=True).order_by("id")


def cameras_active() -> QuerySet[Camera]:
    """Every user's active cameras, whoever asks (what ``active_cameras_of`` gives the operator)."""
    return Camera.objects.filter(is_active=True).order_by("id")


def camera_ingest_token(*, camera: Camera) -> str:
    return tokens.ingest_token_for(camera.pk, camera.ingest_token_nonce)


def camera_state_counts(*, now: datetime) -> dict[str, int]:
    """Cameras of all users by state: ``inactive``, ``online`` (active, fresh heartbeat, stream up),
    ``offline`` (active otherwise). For the metrics endpoint."""
    fresh = now - timedelta(seconds=settings.CAMERA_ONLINE_SECONDS)
    counts = Camera.objects.aggregate(
        inactive=Count("pk", filter=Q(is_active=False)),
        online=Count("pk", filter=Q(is_active=True, stream_state="up", last_heartbeat_at__gt=fresh)),
        active=Count("pk", filter=Q(is_active=True)),
    )
    return {
        "inactive": counts["inactive"],
        "online": counts["online"],
        "offline": counts["active"] - counts["online"],
    }
