"""Reads of the exports app, always scoped to the caller by the surveillance app's one access rule
(``surveillance.access.rule``): an export is its creator's alone; another user's is a 404, like a
missing one."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from exports.models import Export
from surveillance.access import Action, rule


def exports_of(user: User, action: Action = Action.VIEW) -> QuerySet[Export]:
    return Export.objects.filter(rule(user, action)).order_by("-created_at", "-id")


def export_of(*, user: User, export_id: int, action: Action = Action.VIEW) -> Export:
    return get_object_or_404(exports_of(user, action), pk=export_id)
