"""Who may see and change what: the one access rule that every selector and service asks.

A camera, and all that hangs off it (alerts, clips, recordings), a notification channel and an export
belong to a team (issue 25); a user may act on a team's rows when their role there allows the action
(``teams.permissions.ROLE_ACTIONS``). Memberships are read in the same query as the rows, on every
request, never cached: a removed member loses the rows at once. Two overrides stay: staff with the
admin's ``view_alert`` permission see every snapshot and clip file (as they see every alert in the
admin), and the operator's service user (``view_active_cameras``) reads every team's cameras whose
workers it runs. Callers only say which action they want and how the rows they filter reach their team
(``via``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from surveillance.models import Alert, Camera, Clip
from teams.models import Membership
from teams.permissions import Action, roles_allowing

__all__ = ["Action", "allowed", "check", "rule", "teams_allowing"]

# The admin's permission that lets staff open any user's media (surveillance.admin shows every alert).
STAFF_MEDIA_PERMISSION = "surveillance.view_alert"
# The operator's service user holds this one: it reads every user's active cameras (its desired state).
ACTIVE_CAMERAS_PERMISSION = "surveillance.view_active_cameras"

# Who sees every team's rows for an action, and by which permission.
_OVERRIDES = {Action.VIEW_MEDIA: STAFF_MEDIA_PERMISSION, Action.RUN: ACTIVE_CAMERAS_PERMISSION}


def teams_allowing(user: User, action: Action) -> QuerySet[Membership, Any]:
    """The ids of the teams where ``user``'s role allows ``action``, as a subquery (one query with the
    rows it filters: no per-row permission queries)."""
    return Membership.objects.filter(user_id=user.pk, role__in=roles_allowing(action)).values("team_id")


def rule(user: User, action: Action, *, via: str = "") -> Q:
    """The rows ``user`` may ``action``: rows whose team is reached through ``via`` (``""`` for a row
    with its own ``team`` field, ``"camera__"`` for an alert, ``"channel__"`` for a delivery...)."""
    permission = _OVERRIDES.get(action)
    if permission is not None and user.has_perm(permission):
        return Q()
    return Q(**{f"{via}team_id__in": teams_allowing(user, action)})


def allowed(user: User, action: Action, *, team_id: int) -> bool:
    """Whether ``user`` may ``action`` the rows of team ``team_id`` (one query)."""
    permission = _OVERRIDES.get(action)
    if permission is not None and user.has_perm(permission):
        return True
    return teams_allowing(user, action).filter(team_id=team_id).exists()


def check(user: User, action: Action, *, team_id: int) -> None:
    """``PermissionDenied`` (403) unless ``user`` may ``action`` team ``team_id``'s rows: for a row the
    caller already may see (a row they may not see is a 404 before this)."""
    if not allowed(user, action, team_id=team_id):
        raise PermissionDenied(
            f"Your role in this team does not allow this ({action.value}; docs/contracts.md lists what each "
            "role may do)."
        )


def cameras_visible_to(user: User, action: Action = Action.VIEW) -> QuerySet[Camera]:
    return Camera.objects.filter(rule(user, action))


def alerts_visible_to(user: User, action: Action = Action.VIEW) -> QuerySet[Alert]:
    return Alert.objects.filter(rule(user, action, via="camera__"))


def clips_visible_to(user: User, action: Action = Action.VIEW) -> QuerySet[Clip]:
    return Clip.objects.filter(rule(user, action, via="alert__camera__"))


def viewer_ids(camera: Camera) -> list[int]:
    """The users who may see ``camera``'s alerts: every member of its team whose role allows viewing."""
    return list(
        Membership.objects.filter(team_id=camera.team_id, role__in=roles_allowing(Action.VIEW))
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def team_cameras(team_id: int) -> QuerySet[Camera]:
    """The cameras a team owns: what its notification channels hear about (no user's view: callers
    checked the user's role on the team itself)."""
    return Camera.objects.filter(team_id=team_id)


def cameras_by_team(team_ids: set[int]) -> dict[int, list[Camera]]:
    """Each of these teams' cameras, in one query (the availability sweep's channels)."""
    by_team: dict[int, list[Camera]] = {}
    for camera in Camera.objects.filter(team_id__in=team_ids).order_by("id"):
        by_team.setdefault(camera.team_id, []).append(camera)
    return by_team
