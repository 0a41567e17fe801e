"""Reads on teams, scoped to the caller: their teams and roles, a team's members."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from teams.models import Membership, Team
from teams.permissions import Action, role_allows, roles_allowing


def memberships_of(user: User) -> QuerySet[Membership]:
    """The user's memberships with their teams, in team order."""
    return Membership.objects.filter(user_id=user.pk).select_related("team").order_by("team_id")


def team_ids_allowing(user: Any, action: Action) -> list[int]:
    """The ids of the teams where ``user``'s role allows ``action`` (one index-only read of their
    memberships; the audit trail reads its ``view_audit`` teams through it)."""
    memberships = Membership.objects.filter(user_id=user.pk, role__in=roles_allowing(action))
    return list(memberships.values_list("team_id", flat=True))


def team_of(*, user: User, team_id: int, action: Action = Action.VIEW) -> Team:
    """The team ``team_id`` if the user is in it (``Http404`` otherwise, as for a missing one), and
    ``PermissionDenied`` when their role there does not allow ``action``."""
    membership = memberships_of(user).filter(team_id=team_id).first()
    if membership is None:
        raise Http404("No such team.")
    if not role_allows(membership.role, action):
        raise PermissionDenied(f"Your role in this team ({membership.role}) does not allow {action.value}.")
    return membership.team


def members_of(team: Team) -> QuerySet[Membership]:
    return team.memberships.select_related("user").order_by("user_id")


def membership_in(*, team: Team, user_id: int) -> Membership:
    membership = team.memberships.filter(user_id=user_id).first()
    if membership is None:
        raise Http404("No such member.")
    return membership
