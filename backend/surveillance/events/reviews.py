"""Review state of events (issue 24): which alerts each user has reviewed. Reads and writes go through
the one access rule (``surveillance.access``): a user reviews, and learns the review state of, only the
alerts they may see; another user's alert is a 404 like a missing one."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from surveillance.access import Action, alerts_visible_to
from surveillance.events import shifts
from surveillance.models import Alert, AlertReview

# The annotation AlertOutputSerializer reads (``reviewed``): set by ``with_review_state``.
ANNOTATION = "reviewed_by_caller"


def with_review_state(queryset: QuerySet[Alert], user: User) -> QuerySet[Alert]:
    """``queryset`` with whether ``user`` reviewed each alert (one EXISTS per row, on the unique key)."""
    return queryset.annotate(**{ANNOTATION: _reviews_of(user)})


def _reviews_of(user: User) -> Exists:
    return Exists(AlertReview.objects.filter(alert=OuterRef("pk"), user_id=user.pk))


def filter_reviewed(queryset: QuerySet[Alert], user: User, reviewed: bool) -> QuerySet[Alert]:
    return queryset.filter(_reviews_of(user) if reviewed else ~_reviews_of(user))


def is_reviewed(*, alert: Alert, user: User) -> bool:
    annotated = getattr(alert, ANNOTATION, None)
    if annotated is not None:
        return bool(annotated)
    return AlertReview.objects.filter(alert_id=alert.pk, user_id=user.pk).exists()


def alerts_review(*, user: User, alert_ids: list[int], now: datetime | None = None) -> int:
    """Marks the user's visible alerts among ``alert_ids`` reviewed by them; returns how many changed
    (an alert already reviewed keeps its first time)."""
    visible = set(
        alerts_visible_to(user, Action.REVIEW).filter(pk__in=alert_ids).values_list("pk", flat=True)
    )
    done = set(
        AlertReview.objects.filter(user_id=user.pk, alert_id__in=visible).values_list("alert_id", flat=True)
    )
    new = sorted(visible - done)
    moment = now or timezone.now()
    AlertReview.objects.bulk_create(
        [AlertReview(alert_id=pk, user_id=user.pk, reviewed_at=moment) for pk in new], ignore_conflicts=True
    )
    return len(new)


def alert_unreview(*, user: User, alert: Alert) -> None:
    AlertReview.objects.filter(alert_id=alert.pk, user_id=user.pk).delete()


def review_backlog_since(now: datetime) -> datetime:
    """Where the "left to review since the last shift" count begins (surveillance.events.shifts)."""
    starts = [shifts.parse_clock_time(value) for value in settings.REVIEW_SHIFT_STARTS]
    return shifts.last_shift_start(now, starts=starts, zone=timezone.get_current_timezone())


def unreviewed_count(*, user: User, since: datetime, team_id: int | None = None) -> int:
    """The user's visible alerts at or after ``since`` that they have not reviewed (of one of their teams'
    cameras only, with ``team_id``: the dashboard's current team)."""
    visible = alerts_visible_to(user, Action.VIEW).filter(occurred_at__gte=since)
    if team_id is not None:
        visible = visible.filter(camera__team_id=team_id)
    return filter_reviewed(visible, user, False).order_by().count()
