"""What the team page shows of the team's camera groups (issue 25): each group with the names of its
cameras that the reader may see, who it narrows, and its edit form for those who change groups.

Any member reads the groups (the API's list answers them too), but a camera's name is a camera's row: a
member narrowed to other groups sees only how many cameras of a group lie outside their reach."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import User

from dashboard.group_forms import CameraGroupForm
from surveillance.access import team_cameras
from surveillance.cameras.selectors import cameras_of
from teams import selectors
from teams.models import CameraGroup, Membership, Team


@dataclass
class GroupRow:
    group: CameraGroup
    cameras: list[str]  # names of the cameras the reader may see, by name
    hidden: int  # cameras of the group the reader may not see
    narrows: list[str] = field(default_factory=list)  # usernames of the members narrowed to it
    form: CameraGroupForm | None = None  # the edit form, for those who change groups


def camera_choices(team: Team) -> list[tuple[int, str]]:
    """The team's cameras as the group forms offer them, by name."""
    return list(team_cameras(team.pk).order_by("name", "id").values_list("pk", "name"))


def group_rows(
    team: Team,
    user: User,
    *,
    members: Iterable[Membership],
    editable: bool,
    edited: tuple[int, CameraGroupForm] | None = None,
) -> list[GroupRow]:
    """The team's groups by id; ``members``: the team's (``teams.selectors.members_of``, their groups
    prefetched). ``editable``: each row gets its edit form (``edited``: the bound form of the group whose
    change was refused, shown with its errors)."""
    names = dict(camera_choices(team))
    visible = set(cameras_of(user).filter(team_id=team.pk).values_list("pk", flat=True))
    narrowed: dict[int, list[str]] = {}
    for membership in members:
        for group in membership.groups.all():
            narrowed.setdefault(group.pk, []).append(membership.user.username)
    choices = list(names.items()) if editable else []  # in camera_choices' order: by name
    rows = []
    for group in selectors.groups_of(team):
        ids = [camera.pk for camera in group.cameras.all()]
        seen = sorted(names[pk] for pk in ids if pk in visible)
        row = GroupRow(group, seen, len(ids) - len(seen), narrowed.get(group.pk, []))
        if editable:
            if edited is not None and edited[0] == group.pk:
                row.form = edited[1]
            else:
                initial = {"name": group.name, "cameras": ids}
                row.form = CameraGroupForm(initial=initial, cameras=choices, auto_id=f"group{group.pk}_%s")
        rows.append(row)
    return rows
