"""Writes: every change to cameras and alerts goes through one of these functions.

Each service validates with ``full_clean()``, so the API, the dashboard and the admin apply the same rules.
Arguments are keyword-only (HackSoft style); callers pass objects they already scoped to the user.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from surveillance import metrics, snapshots
from surveillance.errors import IdempotencyConflict
from surveillance.models import DETECTION_FIELDS, Alert, Camera, StreamState, new_token_nonce
from surveillance.selectors import alerts_of, camera_ingest_token
from surveillance.validators import mask_rtsp_url

logger = logging.getLogger(__name__)

# Fields a user may set on a camera (the rest is the worker's status or bookkeeping).
CAMERA_CONFIG_FIELDS = frozenset({"is_active", *DETECTION_FIELDS})
CAMERA_EDITABLE_FIELDS = CAMERA_CONFIG_FIELDS | {"name", "rtsp_url"}


def _check_fields(fields: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"not editable camera fields: {', '.join(sorted(unknown))}")


def camera_create(*, user: AbstractBaseUser, name: str, rtsp_url: str, **config: Any) -> Camera:
    _check_fields(config, CAMERA_CONFIG_FIELDS)
    camera = Camera(user=user, name=name, rtsp_url=rtsp_url, **config)
    camera.full_clean()
    camera.save()
    logger.info("camera %s created by user %s: %s", camera.pk, user.pk, mask_rtsp_url(camera.rtsp_url))
    return camera


def camera_update(*, camera: Camera, **fields: Any) -> Camera:
    _check_fields(fields, CAMERA_EDITABLE_FIELDS)
    changed = [name for name, value in fields.items() if getattr(camera, name) != value]
    if not changed:
        return camera
    for name in changed:
        setattr(camera, name, fields[name])
    camera.full_clean()
    camera.save(update_fields=[*changed, "updated_at"])
    return camera


def camera_delete(*, camera: Camera) -> None:
    """Delete the camera, its alerts and their snapshot files."""
    names = list(camera.alerts.exclude(snapshot="").values_list("snapshot", flat=True))
    camera.delete()
    storage = Alert._meta.get_field("snapshot").storage
    for name in names:
        storage.delete(name)


def camera_set_active(*, camera: Camera, active: bool) -> Camera:
    return camera_update(camera=camera, is_active=active)


def camera_rotate_ingest_token(*, camera: Camera) -> str:
    """A new ingest token for the camera; the old one stops working at once. Returns the new token."""
    camera.ingest_token_nonce = new_token_nonce()
    # updated_at moves too, so the operator's sync hands the new token to the worker.
    camera.save(update_fields=["ingest_token_nonce", "updated_at"])
    return camera_ingest_token(camera=camera)


def camera_record_heartbeat(
    *, camera: Camera, stream_state: str, fps: float | None, now: datetime | None = None
) -> Camera:
    """Store what the camera's worker reports. Does not touch ``updated_at`` (that marks config changes)."""
    if stream_state not in StreamState.values:
        raise ValidationError({"stream_state": f"Unknown stream state {stream_state!r}."})
    now = now or timezone.now()
    Camera.objects.filter(pk=camera.pk).update(stream_state=stream_state, fps=fps, last_heartbeat_at=now)
    camera.stream_state, camera.fps, camera.last_heartbeat_at = stream_state, fps, now
    return camera


def _payload_digest(
    *,
    alert_type: str,
    confidence: float,
    description: str,
    image_base64: str | None,
    detections: list | None,
    occurred_at: datetime | None,
) -> str:
    """What makes two ingest requests "the same alert": everything the client sent, canonicalised."""
    canonical = json.dumps(
        {
            "alert_type": alert_type,
            "confidence": float(confidence),
            "description": description,
            "image": hashlib.sha256((image_base64 or "").encode()).hexdigest(),
            "detections": detections or [],
            "occurred_at": occurred_at.isoformat() if occurred_at else None,
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(existing: Alert, digest: str) -> tuple[Alert, bool]:
    if existing.payload_digest != digest:
        metrics.ALERTS_REJECTED.labels(reason=metrics.REJECT_CONFLICT).inc()
        raise IdempotencyConflict(existing.idempotency_key or "")
    metrics.ALERT_REPLAYS.inc()
    return existing, False


def _delete_snapshot(alert: Alert) -> None:
    if alert.snapshot:
        alert.snapshot.delete(save=False)


def alert_ingest(
    *,
    camera: Camera,
    alert_type: str,
    confidence: float,
    description: str = "",
    image_base64: str | None = None,
    detections: list | None = None,
    occurred_at: datetime | None = None,
    idempotency_key: str | None = None,
) -> tuple[Alert, bool]:
    """Store an alert with its snapshot file. Returns ``(alert, created)``.

    With an idempotency key, a repeat of the same payload returns the first alert (``created`` False) and
    stores nothing; another payload under the key raises ``IdempotencyConflict``. Concurrent repeats are
    settled by the unique constraint: the losers roll back their savepoint, delete their file and replay.
    Bad input raises ``ValidationError`` (``SnapshotTooLarge`` for size) before anything is written.
    """
    key = idempotency_key or None
    digest = _payload_digest(
        alert_type=alert_type,
        confidence=confidence,
        description=description,
        image_base64=image_base64,
        detections=detections,
        occurred_at=occurred_at,
    )
    if key is not None:
        existing = Alert.objects.filter(camera=camera, idempotency_key=key).first()
        if existing is not None:
            return _replay(existing, digest)

    alert = Alert(
        camera=camera,
        alert_type=alert_type,
        confidence=confidence,
        description=description,
        detections=detections or [],
        occurred_at=occurred_at or timezone.now(),
        idempotency_key=key,
        payload_digest=digest,
    )
    try:
        # Constraints are left to the database: the key's uniqueness is only decidable there.
        alert.full_clean(exclude=["snapshot", "camera"], validate_constraints=False)
        snapshot = snapshots.snapshot_from_base64(image_base64) if image_base64 else None
    except Exception as error:
        reason = metrics.REJECT_TOO_LARGE if isinstance(error, snapshots.SnapshotTooLarge) else None
        metrics.ALERTS_REJECTED.labels(reason=reason or metrics.REJECT_INVALID).inc()
        raise

    try:
        if snapshot is not None:
            alert.snapshot.save(snapshot.filename(), ContentFile(snapshot.data), save=False)
        with transaction.atomic():
            alert.save()
    except IntegrityError:
        _delete_snapshot(alert)
        if key is None:
            raise
        # Another request with this key won the race; its row is committed (the unique index waited for it).
        return _replay(Alert.objects.get(camera=camera, idempotency_key=key), digest)
    except BaseException:
        _delete_snapshot(alert)
        raise
    metrics.ALERTS_INGESTED.labels(alert_type=alert.alert_type).inc()
    return alert, True


def alert_acknowledge(*, alert: Alert, user: AbstractBaseUser, now: datetime | None = None) -> Alert:
    """Mark the alert acknowledged by the user; acknowledging twice keeps the first who and when."""
    if alert.acknowledged:
        return alert
    alert.acknowledged = True
    alert.acknowledged_at = now or timezone.now()
    alert.acknowledged_by = user
    alert.save(update_fields=["acknowledged", "acknowledged_at", "acknowledged_by"])
    return alert


def alerts_acknowledge(*, user: AbstractBaseUser, alert_ids: list[int], now: datetime | None = None) -> int:
    """Acknowledge the user's not yet acknowledged alerts among ``alert_ids``; returns how many changed."""
    return (
        alerts_of(user)
        .filter(pk__in=alert_ids, acknowledged=False)
        .update(acknowledged=True, acknowledged_at=now or timezone.now(), acknowledged_by=user)
    )


def alerts_purge(*, older_than: datetime) -> int:
    """Delete alerts that happened before ``older_than`` and their snapshot files; returns the count."""
    deleted = 0
    queryset = Alert.objects.filter(occurred_at__lt=older_than).order_by("pk")
    while True:
        batch = list(queryset.values_list("pk", "snapshot")[:500])
        if not batch:
            return deleted
        with transaction.atomic():
            Alert.objects.filter(pk__in=[pk for pk, _ in batch]).delete()
        # Files go after the rows are gone: a crash in between leaves an orphan file, never a broken row.
        storage = Alert._meta.get_field("snapshot").storage
        for _, name in batch:
            if name:
                storage.delete(name)
        deleted += len(batch)


OPERATOR_GROUP = "cctv-operator"


def operator_group_ensure(*, using: str = "default") -> Group:
    """The ``cctv-operator`` group with the one permission the operator needs (idempotent)."""
    create_permissions(apps.get_app_config("surveillance"), verbosity=0, using=using)
    group, _ = Group.objects.using(using).get_or_create(name=OPERATOR_GROUP)
    permission = Permission.objects.using(using).get(
        content_type__app_label="surveillance", codename="view_active_cameras"
    )
    group.permissions.add(permission)
    return group


def operator_token_create(*, username: str, rotate: bool = False) -> str:
    """A service user in the operator group (no password, no admin) and its API token."""
    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    user.groups.add(operator_group_ensure())
    if rotate:
        Token.objects.filter(user=user).delete()
    token, _ = Token.objects.get_or_create(user=user)
    return token.key
