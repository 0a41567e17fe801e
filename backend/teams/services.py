"""Writes on teams and memberships: personal teams, new teams, members added, re-roled, narrowed to camera
groups and removed; camera groups made, changed and deleted.

Each change of a team's members leaves one audit record (``member_added``, ``member_role_changed``,
``member_removed``; the team's id, the member, the roles) written here, in the change's own transaction:
a change that is refused or rolled back leaves none, and no change goes unrecorded. Callers pass the
request they serve (who and from where); single sign-on's grants name the signing-in user instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import RestrictedError

from audit.actions import AuditAction
from audit.services import audit_record
from teams.migration_fill import PERSONAL_TEAM_NAME
from teams.models import CameraGroup, Membership, Team
from teams.permissions import Action, Role, role_allows
from teams.service_accounts import is_service_account, service_account_team_id


@dataclass(frozen=True)
class _By:
    """Who changed a team's members, for the audit record."""

    request: Any = None  # the request that made the change: its user and client address
    user: User | None = None  # who, where no request says it (a sign-in's own grants)
    how: str = ""  # appended to the record's summary


_SSO = " (single sign-on)"
_NAME_IN_SUMMARY = 60  # a long user or team name is cut so that the roles stay in the 200 characters


def _name(text: str) -> str:
    return text if len(text) <= _NAME_IN_SUMMARY else text[: _NAME_IN_SUMMARY - 1] + "…"


def _audit_member(by: _By, action: AuditAction, *, team: Team, member: User, summary: str) -> None:
    """One record of a change to ``team``'s members: the team's id, the member (``object_id``: their user
    id), and a summary naming both with the roles."""
    audit_record(
        request=by.request,
        user=by.user,
        action=action,
        object_type="member",
        object_id=member.pk,
        summary=summary + by.how,
        team_id=team.pk,
    )


def personal_team_of(user: User) -> Team:
    """The user's personal team, made (with the user as owner) if it is missing; a service account's
    own team (it has no personal team: teams.service_accounts)."""
    team = Team.objects.filter(personal_of_id=user.pk).first()
    if team is not None:
        return team
    own = service_account_team_id(user)
    if own is not None:
        return Team.objects.get(pk=own)
    try:
        with transaction.atomic():
            team = Team.objects.create(
                name=PERSONAL_TEAM_NAME.format(username=user.username), personal_of=user
            )
            Membership.objects.create(team=team, user=user, role=Role.OWNER)
    except IntegrityError:  # made at the same moment by another request of the same user
        team = Team.objects.get(personal_of_id=user.pk)
    return team


def team_for_new_row(*, user: User, team_id: int | None, action: Action) -> Team:
    """The team a row the user adds belongs to: ``team_id``, or their personal team when none is given.

    ``ValidationError`` (400) for a team the user is not in, ``PermissionDenied`` (403) for one where
    their role does not allow ``action``.
    """
    if team_id is None:
        team_id = service_account_team_id(user)  # its one team, with its role checked below
        if team_id is None:
            return personal_team_of(user)
    membership = Membership.objects.select_related("team").filter(user_id=user.pk, team_id=team_id).first()
    if membership is None:
        raise ValidationError({"team": [f"You are not a member of team {team_id}."]})
    if not role_allows(membership.role, action):
        raise PermissionDenied(
            f"Your role in team {team_id} ({membership.role}) does not allow this ({action.value})."
        )
    if membership.narrowing.exists():
        # A row added to the team is no group's yet: only a member of the whole team adds one.
        raise PermissionDenied(
            f"Your membership of team {team_id} is narrowed to camera groups: adding to the team takes a "
            "membership of the whole team."
        )
    return membership.team


def _check_room_for(user: User) -> None:
    if Membership.objects.filter(user_id=user.pk).count() >= (most := settings.TEAMS_PER_USER_MAX):
        raise ValidationError(
            {"non_field_errors": [f"{user.get_username()} is in {most} teams already (TEAMS_PER_USER_MAX)."]}
        )


@transaction.atomic
def team_create(*, user: User, name: str, request: Any = None) -> Team:
    """A new shared team with ``user`` as its owner (recorded as the team's first member added); never a
    service account's (it stays in its one team)."""
    if is_service_account(user):
        raise PermissionDenied("A service account acts within its own team only; it cannot create teams.")
    _check_room_for(user)
    team = Team.objects.create(name=name)
    Membership.objects.create(team=team, user=user, role=Role.OWNER)
    summary = f"{_name(user.get_username())} made team {_name(team.name)}, as its owner"
    _audit_member(_By(request, user), AuditAction.MEMBER_ADDED, team=team, member=user, summary=summary)
    return team


def _owners_left(team: Team, *, without: Membership) -> bool:
    return team.memberships.filter(role=Role.OWNER).exclude(pk=without.pk).exists()


def _groups_of_team(team: Team, group_ids: Iterable[int]) -> list[CameraGroup]:
    """The team's groups of ``group_ids`` (distinct); 400 naming the ids that are not the team's groups."""
    wanted = set(group_ids)
    groups = list(team.camera_groups.filter(pk__in=wanted).order_by("id"))
    missing = sorted(wanted - {group.pk for group in groups})
    if missing:
        raise ValidationError({"groups": [f"Not camera groups of this team: {_some(missing)}."]})
    return groups


def _some(ids: list[int], most: int = 10) -> str:
    shown = ", ".join(str(i) for i in ids[:most])
    return shown + (f" and {len(ids) - most} more" if len(ids) > most else "")


def _narrow(
    membership: Membership, group_ids: Iterable[int] | None
) -> tuple[list[CameraGroup], list[CameraGroup]] | None:
    """Sets the groups ``membership`` is narrowed to (none: the whole team); an owner is never narrowed.
    The groups before and after where they changed (for the audit record), else None."""
    if group_ids is None:
        return None
    groups = _groups_of_team(membership.team, group_ids)
    if groups and membership.role == Role.OWNER:
        raise ValidationError(
            {"groups": ["An owner manages the whole team and cannot be narrowed to camera groups."]}
        )
    before = list(membership.groups.order_by("id"))
    if [group.pk for group in before] == [group.pk for group in groups]:
        return None
    membership.groups.set(groups)
    return before, groups


def _groups(groups: list[CameraGroup]) -> str:
    return ", ".join(_name(group.name) for group in groups) if groups else "the whole team"


@transaction.atomic
def member_add(
    *, team: Team, username: str, role: str, groups: Iterable[int] | None = None, request: Any = None
) -> Membership:
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationError({"username": [f"No user named {username!r}."]})
    if is_service_account(user):
        raise ValidationError(
            {"username": [f"{username!r} is a service account: it belongs to its own team only."]}
        )
    # The team's row is locked: two additions at once cannot both pass the size check.
    Team.objects.select_for_update().filter(pk=team.pk).first()
    if Membership.objects.filter(team=team, user=user).exists():
        raise ValidationError({"username": [f"{username!r} is already a member; change their role instead."]})
    if team.memberships.count() >= (most := settings.TEAM_MEMBERS_MAX):
        raise ValidationError(
            {"non_field_errors": [f"The team has {most} members already (TEAM_MEMBERS_MAX)."]}
        )
    _check_room_for(user)
    membership = Membership.objects.create(team=team, user=user, role=role)
    narrowed = _narrow(membership, groups)
    summary = f"{_name(user.get_username())} added to {_name(team.name)} as {role}"
    if narrowed is not None:
        summary += f" (camera groups: {_groups(narrowed[1])})"
    _audit_member(_By(request), AuditAction.MEMBER_ADDED, team=team, member=user, summary=summary)
    return membership


@transaction.atomic
def member_update(
    *,
    membership: Membership,
    role: str | None = None,
    groups: Iterable[int] | None = None,
    request: Any = None,
) -> Membership:
    """The member's role and/or the camera groups their role is narrowed to (``[]``: the whole team);
    what is not given stays."""
    if role is not None:
        membership = member_set_role(membership=membership, role=role, request=request)
    narrowed = _narrow(membership, groups)
    if narrowed is not None:
        # What the member reaches changed, as with a role: one record of its own.
        member, team = membership.user, membership.team
        change = f"{_groups(narrowed[0])} -> {_groups(narrowed[1])}"
        summary = f"{_name(member.get_username())} in {_name(team.name)}: camera groups {change}"
        _audit_member(
            _By(request), AuditAction.MEMBER_GROUPS_CHANGED, team=team, member=member, summary=summary
        )
    return membership


def member_set_role(*, membership: Membership, role: str, request: Any = None) -> Membership:
    """The member's role set to ``role``; the team's last owner stays one, and an owner is never narrowed
    (making one widens them to the whole team). Setting the role they hold changes nothing and records
    nothing."""
    return _set_role(membership, role, by=_By(request))


@transaction.atomic
def _set_role(membership: Membership, role: str, *, by: _By) -> Membership:
    # Locked so that two owners demoting each other at once cannot leave the team without one.
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    list(Membership.objects.select_for_update().filter(team_id=locked.team_id, role=Role.OWNER))
    if locked.role == Role.OWNER and role != Role.OWNER and not _owners_left(locked.team, without=locked):
        raise ValidationError(
            {"role": ["The team's last owner cannot be demoted: make another owner first."]}
        )
    if role == Role.OWNER and is_service_account(locked.user):
        raise ValidationError({"role": ["A service account cannot be an owner (owners manage people)."]})
    old = locked.role
    if old == role:
        return locked
    locked.role = role
    locked.save(update_fields=["role"])
    if role == Role.OWNER:
        locked.groups.clear()
    member, team = locked.user, locked.team
    summary = f"{_name(member.get_username())} in {_name(team.name)}: {old} -> {role}"
    _audit_member(by, AuditAction.MEMBER_ROLE_CHANGED, team=team, member=member, summary=summary)
    return locked


def member_remove(*, membership: Membership, request: Any = None) -> None:
    """The member out of the team; the team's last owner stays."""
    _remove(membership, by=_By(request))


@transaction.atomic
def _remove(membership: Membership, *, by: _By) -> None:
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    list(Membership.objects.select_for_update().filter(team_id=locked.team_id, role=Role.OWNER))
    if locked.role == Role.OWNER and not _owners_left(locked.team, without=locked):
        raise ValidationError({"non_field_errors": ["The team's last owner cannot be removed."]})
    if is_service_account(locked.user):
        raise ValidationError(
            {"non_field_errors": ["This is a service account: delete it under the team's service accounts."]}
        )
    locked.delete()
    member, team = locked.user, locked.team
    summary = f"{_name(member.get_username())} removed from {_name(team.name)} (was {locked.role})"
    _audit_member(by, AuditAction.MEMBER_REMOVED, team=team, member=member, summary=summary)


def shared_team_named(name: str) -> Team | None:
    """The one shared (not personal) team called ``name``; None where none or several are."""
    found = list(Team.objects.filter(name=name, personal_of__isnull=True)[:2])
    return found[0] if len(found) == 1 else None


@transaction.atomic
def member_grant(*, team: Team, user: User, role: str) -> Membership:
    """``user``'s role in ``team`` set to ``role``, the membership made where missing (single sign-on)."""
    by = _By(user=user, how=_SSO)
    membership = Membership.objects.filter(team=team, user=user).first()
    if membership is None:
        _check_room_for(user)
        membership = Membership.objects.create(team=team, user=user, role=role)
        summary = f"{_name(user.get_username())} added to {_name(team.name)} as {role}"
        _audit_member(by, AuditAction.MEMBER_ADDED, team=team, member=user, summary=summary)
        return membership
    if membership.role == role:
        return membership  # the usual sign-in: nothing to lock, nothing to record
    return _set_role(membership, role, by=by)


def member_revoke(*, team: Team, user: User) -> None:
    """``user`` out of ``team`` (single sign-on no longer grants it); nothing if they are not in it."""
    membership = Membership.objects.filter(team=team, user=user).first()
    if membership is not None:
        _remove(membership, by=_By(user=user, how=_SSO))


def _team_camera_ids(team: Team, camera_ids: Iterable[int]) -> list[int]:
    """``camera_ids`` (distinct) if each is a camera of ``team``; 400 naming the others (a missing camera
    and another team's alike: which ids exist elsewhere is not told)."""
    wanted = set(camera_ids)
    found = set(team.cameras.filter(pk__in=wanted).values_list("pk", flat=True))  # type: ignore[attr-defined]
    missing = sorted(wanted - found)
    if missing:
        raise ValidationError({"cameras": [f"Not cameras of this team: {_some(missing)}."]})
    return sorted(found)


def _check_group_name(team: Team, name: str, *, without: CameraGroup | None = None) -> None:
    taken = team.camera_groups.filter(name=name)
    if without is not None:
        taken = taken.exclude(pk=without.pk)
    if taken.exists():
        raise ValidationError({"name": [f"The team has a camera group named {name!r} already."]})


@transaction.atomic
def camera_group_create(
    *, team: Team, name: str, cameras: Iterable[int] = (), request: Any = None
) -> CameraGroup:
    """A camera group of ``team`` named ``name`` (unique in the team) holding the team's ``cameras``."""
    # The team's row is locked: two groups made at once cannot both pass the count or the name check.
    Team.objects.select_for_update().filter(pk=team.pk).first()
    if team.camera_groups.count() >= (most := settings.CAMERA_GROUPS_PER_TEAM_MAX):
        raise ValidationError(
            {"non_field_errors": [f"The team has {most} camera groups already (CAMERA_GROUPS_PER_TEAM_MAX)."]}
        )
    _check_group_name(team, name)
    camera_ids = _team_camera_ids(team, cameras)
    group = CameraGroup.objects.create(team=team, name=name)
    group.cameras.set(camera_ids)
    _audit_group(
        request,
        AuditAction.GROUP_CREATED,
        group,
        f"{_name(name)} in {_name(team.name)}: {len(camera_ids)} cameras",
    )
    return group


def _audit_group(request: Any, action: AuditAction, group: CameraGroup, summary: str) -> None:
    """One record of a change to a camera group (``object_type`` ``camera_group``): who, which team."""
    audit_record(
        request=request, action=action, object_type="camera_group", object_id=group.pk, summary=summary,
        team_id=group.team_id,
    )  # fmt: skip


@transaction.atomic
def camera_group_update(
    *, group: CameraGroup, name: str | None = None, cameras: Iterable[int] | None = None, request: Any = None
) -> CameraGroup:
    """A new name and/or a new set of cameras (the team's) for ``group``; what is not given stays. A camera
    taken out is out of reach of the members narrowed to the group at their next request."""
    Team.objects.select_for_update().filter(pk=group.team_id).first()
    changes = []
    if name is not None and name != group.name:
        _check_group_name(group.team, name, without=group)
        changes.append(f"renamed from {_name(group.name)}")
        group.name = name
        group.save(update_fields=["name"])
    if cameras is not None:
        wanted = _team_camera_ids(group.team, cameras)
        before = sorted(group.cameras.values_list("pk", flat=True))
        if before != wanted:
            group.cameras.set(wanted)
            changes.append(f"cameras {_some(before) or 'none'} -> {_some(wanted) or 'none'}")
    if changes:
        summary = f"{_name(group.name)} in {_name(group.team.name)}: {'; '.join(changes)}"
        _audit_group(request, AuditAction.GROUP_UPDATED, group, summary)
    return group


def camera_group_delete(*, group: CameraGroup, request: Any = None) -> None:
    """Deletes ``group``; 400 while it narrows a membership (deleting it would widen that member to the
    whole team or to their other groups: change their groups first)."""
    try:
        with transaction.atomic():
            summary = f"{_name(group.name)} in {_name(group.team.name)}"
            _audit_group(request, AuditAction.GROUP_DELETED, group, summary)
            group.delete()
    except RestrictedError:
        users = list(group.memberships.order_by("user_id").values_list("user__username", flat=True))
        raise ValidationError(
            {
                "non_field_errors": [
                    f"The group narrows the membership of {', '.join(users[:10])}"
                    f"{' and more' if len(users) > 10 else ''}: change their groups first."
                ]
            }
        ) from None
