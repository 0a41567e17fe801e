"""Who may see and change what: the one access rule that every selector and service asks.

Today a camera, and all that hangs off it (alerts, clips), belongs to the user who added it, as does a
notification channel; staff with the admin's ``view_alert`` permission also see every snapshot and clip
file (as they see every alert in the admin), and the operator's service user (``view_active_cameras``)
reads every user's cameras whose workers it runs. Teams change ``rule`` and nothing else: callers only say
which action they want and how the rows they filter reach their owner (``via``).
"""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet

from surveillance.models import Alert, Camera, Clip

# The admin's permission that lets staff open any user's media (surveillance.admin shows every alert).
STAFF_MEDIA_PERMISSION = "surveillance.view_alert"
# The operator's service user holds this one: it reads every user's active cameras (its desired state).
ACTIVE_CAMERAS_PERMISSION = "surveillance.view_active_cameras"


class Action(StrEnum):
    VIEW = "view"  # list and read in the API and the dashboard
    CHANGE = "change"  # edit, delete, and what counts against the account's quotas
    VIEW_MEDIA = "view_media"  # open a snapshot or clip file by its name
    RUN = "run"  # the cameras whose workers are run for the caller (the operator: every user's)


# Who sees every user's rows for an action, and by which permission.
_OVERRIDES = {Action.VIEW_MEDIA: STAFF_MEDIA_PERMISSION, Action.RUN: ACTIVE_CAMERAS_PERMISSION}


def rule(user: User, action: Action, *, via: str = "") -> Q:
    """The rows ``user`` may ``action``: rows whose owner is reached through ``via`` (``""`` for a row
    with its own ``user`` field, ``"camera__"`` for an alert, ``"channel__"`` for a delivery...)."""
    permission = _OVERRIDES.get(action)
    if permission is not None and user.has_perm(permission):
        return Q()
    return Q(**{f"{via}user_id": user.pk})


def cameras_visible_to(user: User, action: Action = Action.VIEW) -> QuerySet[Camera]:
    return Camera.objects.filter(rule(user, action))


def alerts_visible_to(user: User, action: Action = Action.VIEW) -> QuerySet[Alert]:
    return Alert.objects.filter(rule(user, action, via="camera__"))


def clips_visible_to(user: User, action: Action = Action.VIEW) -> QuerySet[Clip]:
    return Clip.objects.filter(rule(user, action, via="alert__camera__"))


def viewer_ids(camera: Camera) -> list[int]:
    """The users who may see ``camera``'s alerts (whose channels may be told about them)."""
    return [camera.user_id]


def cameras_by_viewer(user_ids: set[int]) -> dict[int, list[Camera]]:
    """Each of these users' visible cameras, in one query (the availability sweep's channels)."""
    by_user: dict[int, list[Camera]] = {}
    for camera in Camera.objects.filter(user_id__in=user_ids).order_by("id"):
        for user_id in viewer_ids(camera):
            by_user.setdefault(user_id, []).append(camera)
    return by_user
