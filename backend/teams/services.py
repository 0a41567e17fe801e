"""Writes on teams and memberships: personal teams, new teams, members added, re-roled and removed.

Each change of a team's members leaves one audit record (``member_added``, ``member_role_changed``,
``member_removed``; the team's id, the member, the roles) written here, in the change's own transaction:
a change that is refused or rolled back leaves none, and no change goes unrecorded. Callers pass the
request they serve (who and from where); single sign-on's grants name the signing-in user instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from audit.actions import AuditAction
from audit.services import audit_record
from teams.migration_fill import PERSONAL_TEAM_NAME
from teams.models import Membership, Team
from teams.permissions import Action, Role, role_allows


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
    """The user's personal team, made (with the user as owner) if it is missing."""
    team = Team.objects.filter(personal_of_id=user.pk).first()
    if team is not None:
        return team
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
        return personal_team_of(user)
    membership = Membership.objects.select_related("team").filter(user_id=user.pk, team_id=team_id).first()
    if membership is None:
        raise ValidationError({"team": [f"You are not a member of team {team_id}."]})
    if not role_allows(membership.role, action):
        raise PermissionDenied(
            f"Your role in team {team_id} ({membership.role}) does not allow this ({action.value})."
        )
    return membership.team


def _check_room_for(user: User) -> None:
    if Membership.objects.filter(user_id=user.pk).count() >= (most := settings.TEAMS_PER_USER_MAX):
        raise ValidationError(
            {"non_field_errors": [f"{user.get_username()} is in {most} teams already (TEAMS_PER_USER_MAX)."]}
        )


@transaction.atomic
def team_create(*, user: User, name: str, request: Any = None) -> Team:
    """A new shared team with ``user`` as its owner (recorded as the team's first member added)."""
    _check_room_for(user)
    team = Team.objects.create(name=name)
    Membership.objects.create(team=team, user=user, role=Role.OWNER)
    summary = f"{_name(user.get_username())} made team {_name(team.name)}, as its owner"
    _audit_member(_By(request, user), AuditAction.MEMBER_ADDED, team=team, member=user, summary=summary)
    return team


def _owners_left(team: Team, *, without: Membership) -> bool:
    return team.memberships.filter(role=Role.OWNER).exclude(pk=without.pk).exists()


@transaction.atomic
def member_add(*, team: Team, username: str, role: str, request: Any = None) -> Membership:
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationError({"username": [f"No user named {username!r}."]})
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
    summary = f"{_name(user.get_username())} added to {_name(team.name)} as {role}"
    _audit_member(_By(request), AuditAction.MEMBER_ADDED, team=team, member=user, summary=summary)
    return membership


def member_set_role(*, membership: Membership, role: str, request: Any = None) -> Membership:
    """The member's role set to ``role``; the team's last owner stays one. Setting the role they hold
    changes nothing and records nothing."""
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
    old = locked.role
    if old == role:
        return locked
    locked.role = role
    locked.save(update_fields=["role"])
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
