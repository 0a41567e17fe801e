"""Live view: one camera's page and the camera wall (every camera of the user, each tile opening the
camera's page). The pages hold players only; the video comes from the API's live stream
(``/api/cameras/<id>/live/stream/``, the same session), played by static/dashboard/live.js."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from surveillance.selectors import camera_of, cameras_of
from surveillance.users import signed_in_user


@login_required
def camera_live(request: HttpRequest, camera_id: int) -> HttpResponse:
    camera = camera_of(user=signed_in_user(request), camera_id=camera_id)
    return render(request, "dashboard/live.html", {"camera": camera, "nav": "live"})


@login_required
def camera_wall(request: HttpRequest) -> HttpResponse:
    cameras = cameras_of(signed_in_user(request)).order_by("name", "id")
    return render(request, "dashboard/wall.html", {"cameras": cameras, "nav": "live"})
