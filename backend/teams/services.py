"""Writes on teams and memberships: personal teams, new teams, members added, re-roled and removed."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from teams.migration_fill import PERSONAL_TEAM_NAME
from teams.models import Membership, Team
from teams.permissions import Action, Role, role_allows


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
def team_create(*, user: User, name: str) -> Team:
    """A new shared team with ``user`` as its owner."""
    _check_room_for(user)
    team = Team.objects.create(name=name)
    Membership.objects.create(team=team, user=user, role=Role.OWNER)
    return team


def _owners_left(team: Team, *, without: Membership) -> bool:
    return team.memberships.filter(role=Role.OWNER).exclude(pk=without.pk).exists()


@transaction.atomic
def member_add(*, team: Team, username: str, role: str) -> Membership:
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
    return Membership.objects.create(team=team, user=user, role=role)


@transaction.atomic
def member_set_role(*, membership: Membership, role: str) -> Membership:
    # Locked so that two owners demoting each other at once cannot leave the team without one.
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    list(Membership.objects.select_for_update().filter(team_id=locked.team_id, role=Role.OWNER))
    if locked.role == Role.OWNER and role != Role.OWNER and not _owners_left(locked.team, without=locked):
        raise ValidationError(
            {"role": ["The team's last owner cannot be demoted: make another owner first."]}
        )
    locked.role = role
    locked.save(update_fields=["role"])
    return locked


@transaction.atomic
def member_remove(*, membership: Membership) -> None:
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    list(Membership.objects.select_for_update().filter(team_id=locked.team_id, role=Role.OWNER))
    if locked.role == Role.OWNER and not _owners_left(locked.team, without=locked):
        raise ValidationError({"non_field_errors": ["The team's last owner cannot be removed."]})
    locked.delete()


def shared_team_named(name: str) -> Team | None:
    """The one shared (not personal) team called ``name``; None where none or several are."""
    found = list(Team.objects.filter(name=name, personal_of__isnull=True)[:2])
    return found[0] if len(found) == 1 else None


@transaction.atomic
def member_grant(*, team: Team, user: User, role: str) -> Membership:
    """``user``'s role in ``team`` set to ``role``, the membership made where missing (single sign-on)."""
    membership = Membership.objects.filter(team=team, user=user).first()
    if membership is None:
        _check_room_for(user)
        return Membership.objects.create(team=team, user=user, role=role)
    if membership.role == role:
        return membership
    return member_set_role(membership=membership, role=role)


def member_revoke(*, team: Team, user: User) -> None:
    """``user`` out of ``team`` (single sign-on no longer grants it); nothing if they are not in it."""
    membership = Membership.objects.filter(team=team, user=user).first()
    if membership is not None:
        member_remove(membership=membership)
