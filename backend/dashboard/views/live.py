"""Live view: one camera's page and the camera wall (the user's cameras, or the saved choice of them, in
the saved number of columns; each tile opening the camera's page). The pages hold players only; the video
comes from the API's live stream (``/api/cameras/<id>/live/stream/``, the wall's tiles the sub-stream's,
the same session), played by static/dashboard/live.js."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from dashboard import teams as current
from dashboard.live_forms import WallLayoutForm
from surveillance.access import Action
from surveillance.accounts.services import wall_layout_save
from surveillance.accounts.users import signed_in_user
from surveillance.cameras.selectors import camera_of, cameras_of
from surveillance.models import WallLayout


@login_required
def camera_live(request: HttpRequest, camera_id: int) -> HttpResponse:
    camera = camera_of(user=signed_in_user(request), camera_id=camera_id, action=Action.VIEW_MEDIA)
    return render(request, "dashboard/live.html", {"camera": camera, "nav": "live"})


@login_required
@require_http_methods(["GET", "POST"])
def camera_wall(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    # The current team's cameras (all teams' by default); a saved layout keeps the ones shown here.
    mine = current.in_team(cameras_of(user), current.current_team_id(request, user)).order_by("name", "id")
    layout = WallLayout.objects.filter(user=user).first()
    if request.method == "POST":
        form = WallLayoutForm(request.POST, cameras=mine)
        if form.is_valid():
            chosen = [camera.pk for camera in form.cleaned_data["cameras"]]
            wall_layout_save(user=user, columns=form.cleaned_data["columns"], camera_ids=chosen)
            messages.success(request, "Wall layout saved.")
            return redirect("dashboard:wall")
    else:
        initial = {"columns": layout.columns, "cameras": layout.cameras} if layout else {"columns": 2}
        form = WallLayoutForm(initial=initial, cameras=mine)
    cameras = list(mine)
    if layout and layout.cameras:
        # The saved choice, filtered through the user's cameras now (one deleted since is left out).
        by_id = {camera.pk: camera for camera in cameras}
        cameras = [by_id[pk] for pk in layout.cameras if pk in by_id] or cameras
    columns = layout.columns if layout else 2
    context = {"cameras": cameras, "columns": columns, "form": form, "nav": "live"}
    return render(request, "dashboard/wall.html", context, status=400 if form.errors else 200)
