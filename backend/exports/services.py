"""Writes of the exports app: asking for an export (checked and logged: who, what, when) and deleting
one (its stored file with it). The copy itself is the job's (``exports.jobs``)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from exports.models import NAME_MAX_LENGTH, Export, ExportStatus
from exports.selectors import export_of
from surveillance import access, media_store
from surveillance import metrics as base_metrics
from surveillance.access import Action, cameras_visible_to
from surveillance.errors import ApplicationError

# Who asked for which footage, and when: an export takes footage out of the product (an audit trail).
audit = logging.getLogger("exports.audit")


class ExportInvalid(ValidationError):
    """The export asked for is not one the backend makes (HTTP 400)."""


class TooManyExports(ApplicationError, status_code=429, reason=base_metrics.REJECT_RATE_LIMITED):
    """The user has EXPORT_ACTIVE_PER_USER exports waiting or being made."""


def export_create(
    *, user: User, camera_id: int, start: datetime, end: datetime, name: str, now: datetime | None = None
) -> Export:
    """Queues the export of ``camera_id``'s recordings in [start, end) under ``name`` (``exports_create``
    with one camera; its errors name the field ``camera``)."""
    (export,) = exports_create(
        user=user, camera_ids=[camera_id], start=start, end=end, name=name, now=now, camera_field="camera"
    )
    return export


def exports_create(
    *,
    user: User,
    camera_ids: list[int],
    start: datetime,
    end: datetime,
    name: str,
    now: datetime | None = None,
    camera_field: str = "cameras",
) -> list[Export]:
    """Queues one export per camera of ``camera_ids`` (distinct), each of [start, end), all or none.

    400 for a camera the user may not see (as for a missing one: its existence is not told), a range not
    yet over or longer than EXPORT_MAX_SECONDS, more cameras than EXPORT_ACTIVE_PER_USER, or a user who
    would keep more than EXPORT_KEPT_PER_USER; 429 when the user's pending and running exports and these
    would be more than EXPORT_ACTIVE_PER_USER. With several cameras each export is named
    ``"<name> - <camera name>"`` (cut to the name's limit), so that their downloads do not share a name.
    """
    now = now or timezone.now()
    longest = settings.EXPORT_MAX_SECONDS
    if end <= start:
        raise ExportInvalid({"end": "end must be after start."})
    if end - start > timedelta(seconds=longest):
        raise ExportInvalid({"end": f"At most EXPORT_MAX_SECONDS={longest} s between start and end."})
    if end > now:
        raise ExportInvalid({"end": "The range has not been recorded yet: end lies in the future."})
    active = settings.EXPORT_ACTIVE_PER_USER
    if len(camera_ids) > active:
        raise ExportInvalid({camera_field: f"At most EXPORT_ACTIVE_PER_USER={active} cameras at once."})
    # Every camera is checked before anything is made: one that is not the user's refuses the request.
    cameras = {
        camera.pk: camera for camera in cameras_visible_to(user, Action.VIEW_MEDIA).filter(pk__in=camera_ids)
    }
    for camera_id in camera_ids:
        if camera_id not in cameras:
            raise ExportInvalid({camera_field: f"You have no camera with id {camera_id}."})
    for camera in cameras.values():  # each camera's team must let the user export (403 otherwise)
        access.check(user, Action.EXPORT, team_id=camera.team_id, camera_id=camera.pk)
    # The limits count what this user asked for, in whichever team (accounting, not access).
    mine = Export.objects.filter(user_id=user.pk)
    if (
        mine.filter(status__in=[ExportStatus.PENDING, ExportStatus.RUNNING]).count() + len(camera_ids)
        > active
    ):
        raise TooManyExports(
            f"You would have more than {active} exports waiting or being made (EXPORT_ACTIVE_PER_USER); ask "
            "again when one is done.",
            retry_after=30,
        )
    if mine.count() + len(camera_ids) > (kept := settings.EXPORT_KEPT_PER_USER):
        raise ExportInvalid({"detail": f"You keep {kept} exports (EXPORT_KEPT_PER_USER): delete one first."})
    with transaction.atomic():
        exports = [
            Export.objects.create(
                user=user,
                team_id=cameras[camera_id].team_id,
                camera=cameras[camera_id],
                name=name if len(camera_ids) == 1 else _name_with_camera(name, cameras[camera_id].name),
                start=start,
                end=end,
            )
            for camera_id in camera_ids
        ]
    for export in exports:
        audit.info(
            "export %s created by user %s (%s): camera %s (%s) from %s to %s, named %r",
            export.pk,
            user.pk,
            user.get_username(),
            export.camera.pk,
            export.camera.name,
            start.isoformat(),
            end.isoformat(),
            export.name,
        )
    return exports


def _name_with_camera(name: str, camera_name: str) -> str:
    suffix = f" - {camera_name}"
    return (name[: max(NAME_MAX_LENGTH - len(suffix), 1)] + suffix)[:NAME_MAX_LENGTH]


def export_delete(*, user: User, export_id: int) -> None:
    """Deletes the user's export and its stored file (404 for another user's). A job still making it
    notices at its next progress write and stores nothing."""
    export = export_of(user=user, export_id=export_id, action=Action.EXPORT)
    name = export.file.name
    export.delete()
    media_store.delete_many([name])
    audit.info("export %s deleted by user %s (%s)", export_id, user.pk, user.get_username())
