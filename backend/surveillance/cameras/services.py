"""Writes of cameras: every change to a camera goes through one of these functions.

Each service validates with ``full_clean()``, so the API, the dashboard and the admin apply the same rules.
Arguments are keyword-only (HackSoft style); callers pass objects they already scoped to the user.
A camera's lifecycle reaches its events (deactivating closes them, deleting removes their files), so
this module sits on ``surveillance.events``, never the other way round.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cctv_common.redact import MASK, mask_url, restore_masked, same_origin
from surveillance import media_store, quotas, signals
from surveillance.access import Action
from surveillance.cameras.live import parse_live_url
from surveillance.cameras.selectors import camera_ingest_token
from surveillance.events.services import OWN_BYTES, events_close_orphans
from surveillance.models import DETECTION_FIELDS, AlertType, Camera, Clip, StreamState, new_token_nonce
from teams.models import Team
from teams.services import team_for_new_row

logger = logging.getLogger(__name__)


# Fields a user may set on a camera (the rest is the worker's status or bookkeeping).
CAMERA_CONFIG_FIELDS = frozenset({"is_active", *DETECTION_FIELDS})
CAMERA_EDITABLE_FIELDS = CAMERA_CONFIG_FIELDS | {"name", "rtsp_url", "detect_rtsp_url"}


def _check_fields(fields: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"not editable camera fields: {', '.join(sorted(unknown))}")


def _lock_team(team_id: int) -> None:
    """Serialise one team's camera writes, so concurrent creates cannot pass its quota together."""
    Team.objects.select_for_update().filter(pk=team_id).exists()


def camera_create(
    *, user: User, name: str, rtsp_url: str, detect_rtsp_url: str = "", team: int | None = None, **config: Any
) -> Camera:
    """A new camera of ``team`` (default: the user's personal team), where the user's role must allow
    changing cameras (``PermissionDenied`` otherwise; ``ValidationError`` for a team they are not in)."""
    _check_fields(config, CAMERA_CONFIG_FIELDS)
    owner = team_for_new_row(user=user, team_id=team, action=Action.CHANGE)
    camera = Camera(
        user=user, team=owner, name=name, rtsp_url=rtsp_url, detect_rtsp_url=detect_rtsp_url, **config
    )
    camera.full_clean()
    with transaction.atomic():
        _lock_team(owner.pk)
        quotas.check_camera_count(team_id=owner.pk)
        if camera.is_active:
            quotas.check_active_camera_count(team_id=owner.pk)
        camera.save()
    logger.info("camera %s created by user %s: %s", camera.pk, user.pk, mask_url(camera.rtsp_url))
    return camera


# The camera's URLs are only ever shown masked (API, dashboard, admin).
CAMERA_SECRET_URL_FIELDS = ("rtsp_url", "detect_rtsp_url")


def url_with_kept_secrets(*, submitted: str, stored: str) -> str:
    """The URL to store when one that was shown masked comes back: a ``***`` left in place keeps the
    stored secret, for the same scheme, host and port only (a kept password must not follow a URL to
    another host: ``ValidationError`` asks for it again). Used for cameras and channels alike."""
    if MASK not in submitted or not stored:
        return submitted
    if not same_origin(submitted, stored):
        raise ValidationError(
            "The address changed, so the hidden secret (***) is not kept: type the password or token again."
        )
    return restore_masked(submitted, stored)


def camera_update(*, camera: Camera, **fields: Any) -> Camera:
    team = fields.pop("team", None)
    if team is not None and team != camera.team_id:
        raise ValidationError({"team": ["A camera stays in the team it was added to."]})
    _check_fields(fields, CAMERA_EDITABLE_FIELDS)
    for name in CAMERA_SECRET_URL_FIELDS:
        if fields.get(name):
            try:
                fields[name] = url_with_kept_secrets(submitted=fields[name], stored=getattr(camera, name))
            except ValidationError as error:
                raise ValidationError({name: error.messages}) from None
    changed = [name for name, value in fields.items() if getattr(camera, name) != value]
    if not changed:
        return camera
    for name in changed:
        setattr(camera, name, fields[name])
    camera.full_clean()
    with transaction.atomic():
        if "is_active" in changed and camera.is_active:
            _lock_team(camera.team_id)
            quotas.check_active_camera_count(team_id=camera.team_id, excluding=camera.pk)
        camera.save(update_fields=[*changed, "updated_at"])
        if "is_active" in changed and not camera.is_active:
            # Its worker is stopped, and the ingest token of an inactive camera is refused: a close it
            # still had to send would never arrive. Its open events end here, at their last sighting, in
            # the same transaction: never a camera saved inactive with events left open for ever.
            events_close_orphans(camera=camera, open_keys=[], min_age=0)
    return camera


def camera_delete(*, camera: Camera) -> None:
    """Delete the camera, its alerts and their snapshot and clip files."""
    names = list(camera.alerts.exclude(snapshot="").values_list("snapshot", flat=True))
    clip_names = list(Clip.objects.filter(alert__camera=camera, **OWN_BYTES).values_list("file", flat=True))
    camera.delete()
    media_store.delete_many([*names, *clip_names])


def camera_set_active(*, camera: Camera, active: bool) -> Camera:
    return camera_update(camera=camera, is_active=active)


def camera_rotate_ingest_token(*, camera: Camera) -> str:
    """A new ingest token for the camera; the old one stops working at once. Returns the new token."""
    camera.ingest_token_nonce = new_token_nonce()
    # updated_at moves too, so the operator's sync hands the new token to the worker.
    camera.save(update_fields=["ingest_token_nonce", "updated_at"])
    return camera_ingest_token(camera=camera)


def camera_record_heartbeat(
    *,
    camera: Camera,
    stream_state: str,
    fps: float | None,
    problem: str | None = None,
    producible_types: list[str] | None = None,
    now: datetime | None = None,
    live: dict[str, str] | None = None,
) -> Camera:
    """Store what the camera's worker reports. Does not touch ``updated_at`` (that marks config changes).

    ``problem`` None: not reported, kept as it was. ``live``: where the worker serves the live view (url,
    key, codec, and the sub-stream's codec where it serves one apart); an address the backend may not
    dial (``live.parse_live_url``) counts as none.
    """
    if stream_state not in StreamState.values:
        raise ValidationError({"stream_state": f"Unknown stream state {stream_state!r}."})
    now = now or timezone.now()
    address = parse_live_url(live["url"]) if live else None
    fields: dict[str, Any] = {
        "stream_state": stream_state,
        "fps": fps,
        "last_heartbeat_at": now,
        "live_host": address.host if address else None,
        "live_port": address.port if address else None,
        "live_key": live["key"] if live and address else "",
        "live_codec": live["codec"] if live and address else "",
        "live_sub_codec": (live.get("sub_codec") or "") if live and address else "",
    }
    if problem is not None:
        fields["problem"] = problem[:300]
    if producible_types is not None:
        fields["producible_types"] = sorted(set(producible_types) & set(AlertType.values))
    previous = camera.stream_state
    Camera.objects.filter(pk=camera.pk).update(**fields)
    for name, value in fields.items():
        setattr(camera, name, value)
    signals.heartbeat_recorded.send(
        sender=Camera, camera=camera, previous=previous, state=stream_state, at=now
    )
    return camera
