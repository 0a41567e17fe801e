"""Footage review (issue 24): one camera's day on a timeline (recorded spans, gaps with their cause,
motion activity, events), a player over the recordings' HLS playlist (static/dashboard/timeline.js, its own
MSE code) with up to three more cameras played in sync, and exports of a chosen range. The page holds the
frame only; everything comes from the API in the session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render

from dashboard import teams as current
from surveillance import access
from surveillance.access import Action
from surveillance.accounts.users import signed_in_user
from surveillance.cameras.selectors import camera_of, cameras_of
from surveillance.ids import parse_id
from surveillance.models import Camera

# Cameras played in sync with the page's own (?with=ID, repeated): four players in all at most, what one
# screen shows legibly and what a browser decodes at once without dropping frames.
MAX_FOLLOWERS = 3


def _day(text: str | None) -> datetime:
    """The UTC day ``?day=YYYY-MM-DD`` names (today for none or nonsense), as its first instant."""
    try:
        return datetime.strptime(text or "", "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


class _BadFollowers(ValueError):
    pass


def _followers(request: HttpRequest, camera: Camera) -> list[Camera]:
    """The cameras ``?with=`` names, in order: the user's own (another's is a 404, as the page's camera),
    distinct, not the page's camera, at most ``MAX_FOLLOWERS``."""
    raw = request.GET.getlist("with")
    if len(raw) > MAX_FOLLOWERS:
        raise _BadFollowers(f"At most {MAX_FOLLOWERS} cameras play in sync with this one.")
    ids = [parse_id(value) for value in raw]
    if any(camera_id is None for camera_id in ids) or len(set(ids)) != len(ids) or camera.pk in ids:
        raise _BadFollowers("with= takes the ids of other cameras, each once.")
    user = signed_in_user(request)
    return [
        camera_of(user=user, camera_id=camera_id, action=Action.VIEW_MEDIA)
        for camera_id in ids
        if camera_id is not None
    ]


@login_required
def camera_timeline(request: HttpRequest, camera_id: int) -> HttpResponse:
    user = signed_in_user(request)
    camera = camera_of(user=user, camera_id=camera_id, action=Action.VIEW_MEDIA)
    try:
        followers = _followers(request, camera)
    except _BadFollowers as problem:
        return HttpResponseBadRequest(str(problem), content_type="text/plain; charset=utf-8")
    start = _day(request.GET.get("day"))
    context = {
        "camera": camera,
        "followers": followers,
        "follower_ids": [follower.pk for follower in followers],
        "other_cameras": current.in_team(cameras_of(user), current.current_team_id(request, user))
        .exclude(pk=camera.pk)
        .only("id", "name"),
        # The export form shows where the user's role in the camera's team allows exporting.
        "can_export": access.allowed(user, Action.EXPORT, team_id=camera.team_id),
        "max_followers": MAX_FOLLOWERS,
        "day_start": start,
        "day_end": start + timedelta(days=1),
        "previous_day": (start - timedelta(days=1)).date(),
        "next_day": (start + timedelta(days=1)).date(),
        "nav": "live",
    }
    return render(request, "dashboard/timeline.html", context)
