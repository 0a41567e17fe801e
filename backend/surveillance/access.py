"""Who may see and change what: the one access rule that every selector and service asks.

A camera, and all that hangs off it (alerts, clips, recordings), a notification channel and an export
belong to a team (issue 25); a user may act on a team's rows when their role there allows the action
(``teams.permissions.ROLE_ACTIONS``). Memberships are read in the same query as the rows, on every
request, never cached: a removed member loses the rows at once.

A membership may be narrowed to camera groups (``teams.models.CameraGroup``): its role then holds for the
cameras of those groups and what hangs off them (``camera=``: how a row reaches its camera), not for the
rest of the team's cameras. Rows that are no camera's (a channel: the team's settings) a narrowed member
may read as their role allows (``view``), and nothing more: any other action on them, like adding a row
to the team, takes a membership of the whole team. Two overrides stay: staff with the
admin's ``view_alert`` permission see every snapshot and clip file (as they see every alert in the
admin), and the operator's service user (``view_active_cameras``) reads every team's cameras whose
workers it runs. Callers only say which action they want and how the rows they filter reach their team
(``via``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, OuterRef, Q, QuerySet

from surveillance.models import Alert, Camera, Clip
from teams.models import CameraGroup, Membership, MembershipGroup
from teams.permissions import Action, roles_allowing
from teams.selectors import narrowed, teams_allowing

__all__ = ["Action", "allowed", "check", "rule"]

# The admin's permission that lets staff open any user's media (surveillance.admin shows every alert).
STAFF_MEDIA_PERMISSION = "surveillance.view_alert"
# The operator's service user holds this one: it reads every user's active cameras (its desired state).
ACTIVE_CAMERAS_PERMISSION = "surveillance.view_active_cameras"

# Who sees every team's rows for an action, and by which permission.
_OVERRIDES = {Action.VIEW_MEDIA: STAFF_MEDIA_PERMISSION, Action.RUN: ACTIVE_CAMERAS_PERMISSION}


def cameras_in_groups_allowing(user: User, action: Action) -> QuerySet[Any, Any]:
    """The ids of the cameras in the groups of ``user``'s narrowed memberships whose role allows ``action``,
    as a subquery. A group counts only for a membership of its own team and a camera only in a group of its
    own team (the services keep both so; the rule does not rely on it)."""
    return CameraGroup.cameras.through.objects.filter(
        cameragroup__narrowing__membership__user_id=user.pk,
        cameragroup__narrowing__membership__role__in=roles_allowing(action),
        cameragroup__narrowing__membership__team_id=F("cameragroup__team_id"),
        camera__team_id=F("cameragroup__team_id"),
    ).values("camera_id")


def rule(user: User, action: Action, *, via: str = "", camera: str | None = None) -> Q:
    """The rows ``user`` may ``action``: rows whose team is reached through ``via`` (``""`` for a row
    with its own ``team`` field, ``"camera__"`` for an alert, ``"channel__"`` for a delivery...).

    ``camera``: the lookup of the row's camera id (``"pk"`` for a camera, ``"camera__id"`` for an alert,
    ``"camera_id"`` for an export); a narrowed member reaches the row when that camera is in their groups.
    ``None``: a row of the team's settings (a channel), which a narrowed member may only ``view``. A row
    whose team is its camera's (``camera`` is ``via`` + ``"id"``) is filtered by one subquery of the
    cameras allowed, so that PostgreSQL probes one hashed set per row (the event list: no join needed)."""
    permission = _OVERRIDES.get(action)
    if permission is not None and user.has_perm(permission):
        return Q()
    if camera is None:
        teams = teams_allowing(user, action, whole=action != Action.VIEW)
        return Q(**{f"{via}team_id__in": teams})
    if via and camera == f"{via}id":
        return Q(**{f"{camera}__in": Camera.objects.filter(rule(user, action, camera="pk")).values("pk")})
    return Q(**{f"{via}team_id__in": teams_allowing(user, action, whole=True)}) | Q(
        **{f"{camera}__in": cameras_in_groups_allowing(user, action)}
    )


def allowed(user: User, action: Action, *, team_id: int, camera_id: int | None = None) -> bool:
    """Whether ``user`` may ``action`` the rows of team ``team_id`` (one query): those of its camera
    ``camera_id``, or with ``None`` the team's settings (as ``rule`` with ``camera=None``)."""
    permission = _OVERRIDES.get(action)
    if permission is not None and user.has_perm(permission):
        return True
    memberships = Membership.objects.filter(user_id=user.pk, team_id=team_id, role__in=roles_allowing(action))
    if camera_id is None:
        if action != Action.VIEW:
            memberships = memberships.filter(~narrowed())
        return memberships.exists()
    in_groups = Exists(
        MembershipGroup.objects.filter(
            membership_id=OuterRef("pk"), group__team_id=team_id, group__cameras=camera_id
        )
    )
    return memberships.filter(~narrowed() | in_groups).exists()


def check(user: User, action: Action, *, team_id: int, camera_id: int | None = None) -> None:
    """``PermissionDenied`` (403) unless ``user`` may ``action`` team ``team_id``'s rows (of its camera
    ``camera_id``, as ``allowed``): for a row the caller already may see (a row they may not see is a 404
    before this)."""
    if not allowed(user, action, team_id=team_id, camera_id=camera_id):
        raise PermissionDenied(
            f"Your role in this team does not allow this ({action.value}; docs/contracts.md lists what each "
            "role may do, and a membership narrowed to camera groups changes nothing team-wide)."
        )


def cameras_visible_to(user: User, action: Action = Action.VIEW) -> QuerySet[Camera]:
    return Camera.objects.filter(rule(user, action, camera="pk"))


def alerts_visible_to(user: User, action: Action = Action.VIEW) -> QuerySet[Alert]:
    return Alert.objects.filter(rule(user, action, via="camera__", camera="camera__id"))


def clips_visible_to(user: User, action: Action = Action.VIEW) -> QuerySet[Clip]:
    return Clip.objects.filter(rule(user, action, via="alert__camera__", camera="alert__camera__id"))


def viewer_ids(camera: Camera) -> list[int]:
    """The users who may see ``camera``'s alerts: every member of its team whose role allows viewing, but
    a narrowed member only where the camera is in one of their groups."""
    in_groups = Exists(
        MembershipGroup.objects.filter(
            membership_id=OuterRef("pk"), group__team_id=camera.team_id, group__cameras=camera.pk
        )
    )
    return list(
        Membership.objects.filter(team_id=camera.team_id, role__in=roles_allowing(Action.VIEW))
        .filter(~narrowed() | in_groups)
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
