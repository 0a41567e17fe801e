"""Camera list, add/edit form, activate/deactivate."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from recordings.selectors import camera_recording_summary

from audit.actions import AuditAction
from audit.services import audit_object
from cctv_common.redact import mask_url
from dashboard import selectors
from dashboard import teams as current
from dashboard.forms import CAMERA_FIELDS, CameraForm
from dashboard.presentation import STATE_LABELS, camera_state
from surveillance.access import Action
from surveillance.accounts.users import signed_in_user
from surveillance.cameras import services
from surveillance.cameras.selectors import camera_of
from surveillance.models import Camera, default_alert_types


@dataclass(frozen=True)
class CameraRow:
    """A row of the camera list: the camera (with its activity annotations) and what the page derives."""

    camera: Camera
    state: str
    state_label: str
    masked_url: str
    can_change: bool  # the user's role in the camera's team allows editing it (the buttons show)


@login_required
def camera_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    now = timezone.now()
    team_id = current.current_team_id(request, user)
    changeable = current.team_ids_allowing(user, Action.CHANGE)
    cameras = []
    counts = {state: 0 for state in STATE_LABELS}
    for camera in current.in_team(selectors.cameras_with_activity(user, now=now), team_id):
        state = camera_state(
            is_active=camera.is_active,
            stream_state=camera.stream_state,
            last_heartbeat_at=camera.last_heartbeat_at,
            now=now,
            online_seconds=settings.CAMERA_ONLINE_SECONDS,
        )
        cameras.append(
            CameraRow(
                camera, state, STATE_LABELS[state], mask_url(camera.rtsp_url), camera.team_id in changeable
            )
        )
        counts[state] += 1
    return render(
        request,
        "dashboard/camera_list.html",
        {
            "cameras": cameras,
            "summary": [(state, label, counts[state]) for state, label in STATE_LABELS.items()],
            # States come from heartbeats: the page refreshes its table on its own (cameras.js).
            "refresh_ms": int(settings.DASHBOARD_POLL_SECONDS * 5000),
            # "+ Add camera" where a camera may be added: the current team, or any of the user's teams.
            "can_add": (team_id in changeable) if team_id is not None else bool(changeable),
            "nav": "cameras",
        },
    )


def _with_team_field(request: HttpRequest, user, form: CameraForm) -> CameraForm:
    current.add_team_choice(form, request, user, Action.CHANGE)
    return form


@login_required
def camera_create(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if request.method == "POST":
        form = _with_team_field(request, user, CameraForm(request.POST, user=user))
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                camera = services.camera_create(
                    user=user, name=data.pop("name"), rtsp_url=data.pop("rtsp_url"), **data
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                audit_object(request, AuditAction.CAMERA_CREATED, camera)
                messages.success(request, f"Camera “{camera.name}” added. Activate it to start detection.")
                return redirect("dashboard:cameras")
    else:
        form = _with_team_field(
            request, user, CameraForm(user=user, initial={"alert_types": default_alert_types()})
        )
    return render(request, "dashboard/camera_form.html", {"form": form, "camera": None, "nav": "cameras"})


@login_required
def camera_edit(request: HttpRequest, camera_id: int) -> HttpResponse:
    user = signed_in_user(request)
    camera = camera_of(user=user, camera_id=camera_id, action=Action.CHANGE)
    if request.method == "POST":
        form = CameraForm(request.POST, user=user, camera=camera)
        if form.is_valid():
            fields = dict(form.cleaned_data)
            try:
                services.camera_update(camera=camera, **fields)
            except ValidationError as error:
                form.add_service_errors(error)
                camera.refresh_from_db()
            else:
                audit_object(request, AuditAction.CAMERA_UPDATED, camera)
                messages.success(request, f"Camera “{camera.name}” saved.")
                return redirect("dashboard:cameras")
        # An invalid form shows back what the user typed (never the stored URL), so nothing they typed
        # is lost; a kept "***" stays "***".
    else:
        initial = {name: getattr(camera, name) for name in CAMERA_FIELDS}
        initial["rtsp_url"] = mask_url(camera.rtsp_url)
        # Both masked; the camera service puts the stored password back for a *** left in place.
        initial["detect_rtsp_url"] = mask_url(camera.detect_rtsp_url) if camera.detect_rtsp_url else ""
        form = CameraForm(user=user, camera=camera, initial=initial)
    recording = camera_recording_summary(user=user, camera_id=camera.pk)
    latest_start_ms = round(recording.latest.start.timestamp() * 1000) if recording.latest else None
    return render(
        request,
        "dashboard/camera_form.html",
        {
            "form": form,
            "camera": camera,
            "nav": "cameras",
            "recording": recording,
            "latest_start_ms": latest_start_ms,
        },
    )


@require_POST
@login_required
def camera_activate(request: HttpRequest, camera_id: int) -> HttpResponse:
    return _set_active(request, camera_id, active=True)


@require_POST
@login_required
def camera_deactivate(request: HttpRequest, camera_id: int) -> HttpResponse:
    return _set_active(request, camera_id, active=False)


def _set_active(request: HttpRequest, camera_id: int, *, active: bool) -> HttpResponse:
    camera = camera_of(user=signed_in_user(request), camera_id=camera_id, action=Action.CHANGE)
    try:
        services.camera_set_active(camera=camera, active=active)
    except ValidationError as error:
        # A camera saved before today's rules (e.g. an old URL) cannot start until it is fixed.
        messages.error(
            request, f"“{camera.name}” cannot be changed: {'; '.join(error.messages)} Edit it first."
        )
    else:
        audit_object(
            request, AuditAction.CAMERA_UPDATED, camera, detail="activated" if active else "deactivated"
        )
        messages.success(request, f"“{camera.name}” {'activated' if active else 'deactivated'}.")
    return redirect("dashboard:cameras")
