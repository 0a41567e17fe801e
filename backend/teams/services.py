"""Writes on teams and memberships: personal teams, new teams, members added, re-roled and removed."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from teams.migration_fill import PERSONAL_TEAM_NAME
from teams.models import Membership, Team
from teams.permissions import Action, Role, role_allows
from teams.service_accounts import is_service_account, service_account_team_id


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
    return membership.team


def _check_room_for(user: User) -> None:
    if Membership.objects.filter(user_id=user.pk).count() >= (most := settings.TEAMS_PER_USER_MAX):
        raise ValidationError(
            {"non_field_errors": [f"{user.get_username()} is in {most} teams already (TEAMS_PER_USER_MAX)."]}
        )


@transaction.atomic
def team_create(*, user: User, name: str) -> Team:
    """A new shared team with ``user`` as its owner (not a service account: it stays in its one team)."""
    if is_service_account(user):
        raise PermissionDenied("A service account acts within its own team only; it cannot create teams.")
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
    if role == Role.OWNER and is_service_account(locked.user):
        raise ValidationError({"role": ["A service account cannot be an owner (owners manage people)."]})
    locked.role = role
    locked.save(update_fields=["role"])
    return locked


@transaction.atomic
def member_remove(*, membership: Membership) -> None:
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    list(Membership.objects.select_for_update().filter(team_id=locked.team_id, role=Role.OWNER))
    if locked.role == Role.OWNER and not _owners_left(locked.team, without=locked):
        raise ValidationError({"non_field_errors": ["The team's last owner cannot be removed."]})
    if is_service_account(locked.user):
        raise ValidationError(
            {"non_field_errors": ["This is a service account: delete it under the team's service accounts."]}
        )
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
