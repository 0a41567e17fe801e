"""Reads of the exports app, always scoped to the caller by the surveillance app's one access rule
(``surveillance.access.rule``): an export belongs to its camera's team; it is footage, so listing and
downloading one take ``Action.VIEW_MEDIA`` and another team's is a 404, like a missing one. A member narrowed
to camera groups sees the exports of their groups' cameras only, whoever made them."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from exports.models import Export
from surveillance import access
from surveillance.access import Action, rule


def exports_of(user: User) -> QuerySet[Export]:
    visible = Export.objects.filter(rule(user, Action.VIEW_MEDIA, camera="camera_id"))
    return visible.order_by("-created_at", "-id")


def export_of(*, user: User, export_id: int, action: Action = Action.VIEW_MEDIA) -> Export:
    """The export if the user may see it (404 otherwise), and ``PermissionDenied`` (403) when their role
    in its team does not allow ``action``."""
    export = get_object_or_404(exports_of(user), pk=export_id)
    if action != Action.VIEW_MEDIA:
        access.check(user, action, team_id=export.team_id, camera_id=export.camera_id)
    return export
