"""Footage review (issue 24): one camera's day on a timeline (recorded spans, gaps with their cause,
events), a player over the recordings' HLS playlist (static/dashboard/timeline.js, its own MSE code), and
exports of a chosen range. The page holds the frame only; everything comes from the API in the session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from surveillance.access import Action
from surveillance.selectors import camera_of
from surveillance.users import signed_in_user


def _day(text: str | None) -> datetime:
    """The UTC day ``?day=YYYY-MM-DD`` names (today for none or nonsense), as its first instant."""
    try:
        return datetime.strptime(text or "", "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


@login_required
def camera_timeline(request: HttpRequest, camera_id: int) -> HttpResponse:
    camera = camera_of(user=signed_in_user(request), camera_id=camera_id, action=Action.VIEW_MEDIA)
    start = _day(request.GET.get("day"))
    context = {
        "camera": camera,
        "day_start": start,
        "day_end": start + timedelta(days=1),
        "previous_day": (start - timedelta(days=1)).date(),
        "next_day": (start + timedelta(days=1)).date(),
        "nav": "live",
    }
    return render(request, "dashboard/timeline.html", context)
