"""Reads of channels and deliveries, always scoped to the caller by the one access rule
(``surveillance.access``)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db.models import Count, Min, QuerySet
from django.shortcuts import get_object_or_404

from notifications.models import Channel, Delivery, DeliveryStatus
from surveillance import access
from surveillance.access import Action, rule


def channels_of(user: User) -> QuerySet[Channel]:
    # A channel is the team's settings (no camera's row): a member narrowed to camera groups reads the
    # team's channels as their role allows and changes none (surveillance.access.rule).
    return Channel.objects.filter(rule(user, Action.VIEW)).order_by("id")


def channel_of(*, user: User, channel_id: int, action: Action = Action.VIEW) -> Channel:
    """The channel if the user may see it (``Http404`` for a missing id and another team's channel alike),
    and ``PermissionDenied`` (403) when their role there does not allow ``action``."""
    channel = get_object_or_404(channels_of(user), pk=channel_id)
    if action != Action.VIEW:
        access.check(user, action, team_id=channel.team_id)
    return channel


def deliveries_of(
    user: User, *, channel_id: int | None = None, status: str | None = None
) -> QuerySet[Delivery]:
    queryset = Delivery.objects.filter(
        # A delivery tells of its alert: a member narrowed to camera groups sees those of their groups'
        # cameras' alerts (none of the team's test or availability messages, which name no alert).
        rule(user, Action.VIEW, via="channel__", camera="alert__camera_id")
    )
    if channel_id is not None:
        queryset = queryset.filter(channel_id=channel_id)
    if status is not None:
        queryset = queryset.filter(status=status)
    return queryset.select_related("channel").order_by("-created_at", "-id")


def delivery_of(*, user: User, delivery_id: int) -> Delivery:
    return get_object_or_404(deliveries_of(user), pk=delivery_id)


def outbox_state(*, now: datetime) -> dict[str, float]:
    """Pending deliveries of all users and the age of the oldest, for the metrics endpoint."""
    row = Delivery.objects.filter(status=DeliveryStatus.PENDING).aggregate(
        depth=Count("pk"), oldest=Min("created_at")
    )
    oldest = row["oldest"]
    return {"depth": row["depth"], "oldest_age": (now - oldest).total_seconds() if oldest else 0.0}
