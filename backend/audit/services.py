"""Writing the audit trail: one record per action, and the retention pass that removes old ones.

Callers pass the request they serve; who and from where are read from it here, so every record derives
the client's address the one way the login throttle does (``AXES_CLIENT_IP_CALLABLE``, which trusts
X-Forwarded-For only behind NUM_PROXIES proxies).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from axes.helpers import get_client_ip_address
from django.db import connection, transaction

from audit.actions import AuditAction
from audit.models import ADDRESS_MAX_LENGTH, SUMMARY_MAX_LENGTH, USERNAME_MAX_LENGTH, AuditRecord

# The models whose records name a camera: for these the object's camera is the object itself.
_CAMERA_MODEL = "surveillance.camera"
PURGE_BATCH = 10_000


def client_address(request: Any) -> str:
    if request is None:
        return ""
    raw = getattr(request, "_request", request)  # a DRF Request wraps Django's
    return (get_client_ip_address(raw) or "")[:ADDRESS_MAX_LENGTH]


def _signed_in(request: Any) -> Any:
    user = getattr(request, "user", None)
    return user if user is not None and getattr(user, "is_authenticated", False) and user.pk else None


def audit_record(
    *,
    request: Any,
    action: AuditAction,
    user: Any = None,
    username: str | None = None,
    object_type: str = "",
    object_id: object = "",
    summary: str = "",
    camera_id: int | None = None,
    team_id: int | None = None,
    address: str | None = None,
) -> AuditRecord:
    """Writes one record. ``user`` defaults to the request's signed-in user; ``username`` (the name tried
    in a failed sign-in) is kept where there is no user; ``address`` where the request is gone;
    ``team_id``: the team of the object acted on (None for what belongs to no team: a sign-in)."""
    user = user if user is not None else _signed_in(request)
    name = user.get_username() if user is not None else (username or "")
    return AuditRecord.objects.create(
        user_id=user.pk if user is not None else None,
        username=name[:USERNAME_MAX_LENGTH],
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        summary=summary[:SUMMARY_MAX_LENGTH],
        client_address=(address if address is not None else client_address(request))[:ADDRESS_MAX_LENGTH],
        camera_id=camera_id,
        team_id=team_id,
    )


def audit_object(
    request: Any, action: AuditAction, obj: Any, *, pk: object = None, detail: str = ""
) -> AuditRecord:
    """A record about a model instance (a camera, a channel, an export, a token): its type, id, name and
    team (its ``team_id``: a token has none).

    ``pk``: the id where the instance no longer has one (after its deletion)."""
    object_id = pk if pk is not None else obj.pk
    label = obj._meta.label_lower
    camera_id = int(str(object_id)) if label == _CAMERA_MODEL else getattr(obj, "camera_id", None)
    summary = str(obj) + (f": {detail}" if detail else "")
    return audit_record(
        request=request,
        action=action,
        object_type=obj._meta.model_name,
        object_id=object_id,
        summary=summary,
        camera_id=camera_id,
        team_id=getattr(obj, "team_id", None),
    )


def audit_purge(*, older_than: datetime) -> int:
    """Deletes the records from before ``older_than`` in batches (short transactions on a large table);
    the one way records leave the trail. Returns how many went."""
    table = connection.ops.quote_name(AuditRecord._meta.db_table)
    deleted = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            # Raw SQL: the model and its queryset refuse deletion by design.
            cursor.execute(
                f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE at < %s LIMIT %s)",  # noqa: S608
                [older_than, PURGE_BATCH],
            )
            count = cursor.rowcount
        deleted += count
        if count < PURGE_BATCH:
            return deleted


def audit_footage_played(request: Any, *, camera: Any, window: dict) -> AuditRecord:
    """A recordings playlist of ``camera`` handed out (its segments, fetched one by one after it, are not
    recorded)."""
    start, end = window["start"], window["end"]
    return audit_record(
        request=request,
        action=AuditAction.FOOTAGE_PLAYED,
        object_type="camera",
        object_id=camera.pk,
        summary=f"{start:%Y-%m-%dT%H:%M:%SZ} to {end:%Y-%m-%dT%H:%M:%SZ}",
        camera_id=camera.pk,
        team_id=camera.team_id,
    )


def audit_export_downloaded(request: Any, export: Any) -> AuditRecord | None:
    """An export's download: a request from its first byte (a player's later range requests for the rest
    of the same file are the same download and leave no record)."""
    ranges = request.headers.get("Range", "")
    if ranges and not ranges.replace(" ", "").startswith("bytes=0-"):
        return None
    return audit_object(request, AuditAction.EXPORT_DOWNLOADED, export)
