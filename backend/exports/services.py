"""Writes of the exports app: asking for an export (checked and logged: who, what, when) and deleting
one (its stored file with it). The copy itself is the job's (``exports.jobs``)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone

from exports.models import Export, ExportStatus
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
    """Queues the export of ``camera_id``'s recordings in [start, end) under ``name``. 400 for a camera
    the user may not see (as for a missing one: its existence is not told), a range not yet over or longer
    than EXPORT_MAX_SECONDS, or a user at EXPORT_KEPT_PER_USER; 429 at EXPORT_ACTIVE_PER_USER."""
    now = now or timezone.now()
    longest = settings.EXPORT_MAX_SECONDS
    if end <= start:
        raise ExportInvalid({"end": "end must be after start."})
    if end - start > timedelta(seconds=longest):
        raise ExportInvalid({"end": f"At most EXPORT_MAX_SECONDS={longest} s between start and end."})
    if end > now:
        raise ExportInvalid({"end": "The range has not been recorded yet: end lies in the future."})
    camera = cameras_visible_to(user, Action.VIEW_MEDIA).filter(pk=camera_id).first()
    if camera is None:
        raise ExportInvalid({"camera": f"You have no camera with id {camera_id}."})
    access.check(user, Action.EXPORT, team_id=camera.team_id)
    # The limits count what this user asked for, in whichever team (accounting, not access).
    mine = Export.objects.filter(user_id=user.pk)
    if mine.filter(status__in=[ExportStatus.PENDING, ExportStatus.RUNNING]).count() >= (
        active := settings.EXPORT_ACTIVE_PER_USER
    ):
        raise TooManyExports(
            f"You have {active} exports waiting or being made (EXPORT_ACTIVE_PER_USER); ask again when one "
            "is done.",
            retry_after=30,
        )
    if mine.count() >= (kept := settings.EXPORT_KEPT_PER_USER):
        raise ExportInvalid({"detail": f"You keep {kept} exports (EXPORT_KEPT_PER_USER): delete one first."})
    export = Export.objects.create(
        user=user, team_id=camera.team_id, camera=camera, name=name, start=start, end=end
    )
    audit.info(
        "export %s created by user %s (%s): camera %s (%s) from %s to %s, named %r",
        export.pk,
        user.pk,
        user.get_username(),
        camera.pk,
        camera.name,
        start.isoformat(),
        end.isoformat(),
        name,
    )
    return export


def export_delete(*, user: User, export_id: int) -> None:
    """Deletes the user's export and its stored file (404 for another user's). A job still making it
    notices at its next progress write and stores nothing."""
    export = export_of(user=user, export_id=export_id, action=Action.EXPORT)
    name = export.file.name
    export.delete()
    media_store.delete_many([name])
    audit.info("export %s deleted by user %s (%s)", export_id, user.pk, user.get_username())
