"""Reads on teams, scoped to the caller: their teams and roles, a team's members and camera groups."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404

from teams.models import CameraGroup, Membership, MembershipGroup, Team
from teams.permissions import Action, role_allows, roles_allowing


def memberships_of(user: User) -> QuerySet[Membership]:
    """The user's memberships with their teams, in team order."""
    return Membership.objects.filter(user_id=user.pk).select_related("team").order_by("team_id")


def is_narrowed(membership: Membership) -> bool:
    """Whether the membership is narrowed to camera groups (its role holds for their cameras only)."""
    return membership.narrowing.exists()


def narrowed() -> Exists:
    """Whether a membership (the outer row) is narrowed to camera groups, as a subquery."""
    return Exists(MembershipGroup.objects.filter(membership_id=OuterRef("pk")))


def teams_allowing(user: Any, action: Action, *, whole: bool = False) -> QuerySet[Membership, Any]:
    """The ids of the teams where ``user``'s role allows ``action``, as a subquery (one query with the
    rows it filters: no per-row permission queries); ``whole``: only memberships not narrowed to groups.
    The one definition: ``surveillance.access`` filters rows with it, the audit trail reads its
    ``view_audit`` teams through ``team_ids_allowing``."""
    memberships = Membership.objects.filter(user_id=user.pk, role__in=roles_allowing(action))
    if whole:
        memberships = memberships.filter(~narrowed())
    return memberships.values("team_id")


def team_ids_allowing(user: Any, action: Action) -> list[int]:
    """``teams_allowing`` read now, as values (one index-only read of the user's memberships): a list of
    ids lets the audit list's statement use its indexes where a subquery did not."""
    return [row["team_id"] for row in teams_allowing(user, action)]


def team_of(*, user: User, team_id: int, action: Action = Action.VIEW) -> Team:
    """The team ``team_id`` if the user is in it (``Http404`` otherwise, as for a missing one), and
    ``PermissionDenied`` when their role there does not allow ``action``, or when ``action`` is more than
    ``view`` and their membership is narrowed to camera groups (team-wide acts take the whole team)."""
    membership = memberships_of(user).filter(team_id=team_id).first()
    if membership is None:
        raise Http404("No such team.")
    if not role_allows(membership.role, action):
        raise PermissionDenied(f"Your role in this team ({membership.role}) does not allow {action.value}.")
    if action != Action.VIEW and is_narrowed(membership):
        raise PermissionDenied(
            f"Your membership is narrowed to camera groups: {action.value} on the team takes a membership of "
            "the whole team."
        )
    return membership.team


def members_of(team: Team) -> QuerySet[Membership]:
    return team.memberships.select_related("user").prefetch_related("groups").order_by("user_id")


def groups_of(team: Team) -> QuerySet[CameraGroup]:
    """The team's camera groups by id, each with its cameras' ids (one query more for the page)."""
    # The camera model through the relation: teams import nothing of surveillance (the layers).
    camera_model: Any = CameraGroup._meta.get_field("cameras").related_model
    cameras = Prefetch("cameras", queryset=camera_model.objects.only("id").order_by("id"))
    return team.camera_groups.prefetch_related(cameras).order_by("id")


def group_of(*, team: Team, group_id: int) -> CameraGroup:
    group = groups_of(team).filter(pk=group_id).first()
    if group is None:
        raise Http404("No such camera group.")
    return group


def membership_in(*, team: Team, user_id: int) -> Membership:
    membership = team.memberships.filter(user_id=user_id).first()
    if membership is None:
        raise Http404("No such member.")
    return membership
