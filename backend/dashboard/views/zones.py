"""The zone editor: zones and motion masks drawn on the camera's latest snapshot, saved to its
detection config."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from audit.actions import AuditAction
from audit.services import audit_object
from dashboard import selectors
from dashboard.forms import ZonesForm
from surveillance.access import Action
from surveillance.accounts.users import signed_in_user
from surveillance.cameras import services
from surveillance.cameras.selectors import camera_of


@login_required
def zone_editor(request: HttpRequest, camera_id: int) -> HttpResponse:
    user = signed_in_user(request)
    camera = camera_of(user=user, camera_id=camera_id, action=Action.CHANGE)
    if request.method == "POST":
        form = ZonesForm(request.POST)
        if form.is_valid():
            try:
                # A client that posts zones only (older scripts) leaves the masks as they are.
                fields = {"zones": form.cleaned_data["zones"]}
                if "motion_masks" in form.data:
                    fields["motion_masks"] = form.cleaned_data["motion_masks"]
                services.camera_update(camera=camera, **fields)
            except ValidationError as error:
                errors = error.message_dict
                if "motion_masks" in errors:
                    form.add_error("motion_masks", errors["motion_masks"])
                elif "zones" in errors or error.messages:
                    form.add_error("zones", errors.get("zones", error.messages))
                camera.refresh_from_db()
            else:
                audit_object(request, AuditAction.CAMERA_UPDATED, camera, detail="zones")
                count, mask_count = len(camera.zones), len(camera.motion_masks)
                saved = f"{count} zone{'s' if count != 1 else ''}"
                if mask_count:
                    saved += f" and {mask_count} motion mask{'s' if mask_count != 1 else ''}"
                messages.success(request, f"{saved} saved for “{camera.name}”.")
                return redirect("dashboard:zones", camera_id=camera.id)
        # The editor starts from what the user sent (if it parsed) so a rejected drawing is not lost.
        zones = _parsed_or(form.data.get("zones"), camera.zones)
        masks = _parsed_or(form.data.get("motion_masks"), camera.motion_masks)
    else:
        form = ZonesForm()
        zones, masks = camera.zones, camera.motion_masks
    return render(
        request,
        "dashboard/zone_editor.html",
        {
            "camera": camera,
            "form": form,
            "zones": zones,
            "masks": masks,
            "snapshot": selectors.latest_snapshot_alert(user, camera_id=camera.id),
            "nav": "cameras",
        },
    )


def _parsed_or(raw: str | None, fallback: list) -> list:
    """The posted zones if the editor can draw them again (even if invalid), else ``fallback``."""
    try:
        value = json.loads(raw or "")
    except json.JSONDecodeError:
        return fallback
    drawable = isinstance(value, list) and all(
        isinstance(zone, dict)
        and isinstance(zone.get("points"), list)
        and all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(v, int | float) for v in p)
            for p in zone["points"]
        )
        for zone in value
    )
    return value if drawable else fallback
