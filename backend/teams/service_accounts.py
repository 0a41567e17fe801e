"""A team's service accounts (issue 25): accounts for automation that act only within one team.

A service account is a Django user flagged by its ``ServiceAccount`` row: no usable password (no password
or dashboard sign-in; single sign-on refuses a name that exists and is not linked), no personal team,
one membership (in its team, with the role it was given), and API tokens (``api_tokens``) as its only
credentials. Since every read and write asks the memberships (``surveillance.access``), its tokens see
and change only that team's rows; ``teams.services`` keeps it from joining, creating or defaulting to any
other team. Deleting it deletes its user, so its tokens stop at their next request.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404

from audit.actions import AuditAction
from audit.services import audit_record
from teams.models import Membership, ServiceAccount, Team
from teams.permissions import Role

# An owner's powers (members, and so other teams' accounts) stay with people.
SERVICE_ACCOUNT_ROLES = [role.value for role in Role if role != Role.OWNER]
USERNAME_PREFIX = "svc-"


def is_service_account(user: User) -> bool:
    return ServiceAccount.objects.filter(user_id=user.pk).exists()


def service_account_team_id(user: User) -> int | None:
    """The team of ``user``'s service account, None for a person."""
    return ServiceAccount.objects.filter(user_id=user.pk).values_list("team_id", flat=True).first()


def service_accounts_of(team: Team) -> QuerySet[ServiceAccount]:
    """The team's service accounts, each with its ``role`` (its membership's) read in the same query."""
    role = Membership.objects.filter(team_id=OuterRef("team_id"), user_id=OuterRef("user_id")).values("role")
    return team.service_accounts.select_related("user").annotate(role=Subquery(role[:1])).order_by("id")


def service_account_in(*, team: Team, account_id: int) -> ServiceAccount:
    account = service_accounts_of(team).filter(pk=account_id).first()
    if account is None:
        raise Http404("No such service account.")
    return account


def role_of(account: ServiceAccount) -> str:
    if getattr(account, "role", None):
        return account.role  # type: ignore[attr-defined]  # service_accounts_of's annotation
    membership = Membership.objects.filter(user_id=account.user_id, team_id=account.team_id).first()
    return membership.role if membership else ""


def _new_username(team: Team) -> str:
    return f"{USERNAME_PREFIX}{team.pk}-{secrets.token_hex(4)}"


@transaction.atomic
def service_account_create(
    *, team: Team, name: str, role: str, created_by: User, request: Any = None
) -> ServiceAccount:
    """A new service account in ``team`` with ``role`` (not owner). The caller checked that ``created_by``
    may manage the team's service accounts."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": ["Give the service account a name."]})
    if role not in SERVICE_ACCOUNT_ROLES:
        allowed = ", ".join(SERVICE_ACCOUNT_ROLES)
        raise ValidationError({"role": [f"A service account's role is one of {allowed}."]})
    # Locked as member_add locks it: the member count below holds for concurrent additions too.
    Team.objects.select_for_update().filter(pk=team.pk).first()
    if team.memberships.count() >= (most := settings.TEAM_MEMBERS_MAX):
        raise ValidationError(
            {"non_field_errors": [f"The team has {most} members already (TEAM_MEMBERS_MAX)."]}
        )
    for _ in range(3):
        user = User(username=_new_username(team), first_name=name[:150])
        user.set_unusable_password()
        # Read by teams.receivers: a service account gets no personal team.
        user._service_account_team = team  # type: ignore[attr-defined]
        try:
            with transaction.atomic():
                user.save()
            break
        except IntegrityError:  # the random name is taken: another try
            continue
    else:  # pragma: no cover - 2**32 names per team
        raise ValidationError({"non_field_errors": ["Could not pick a free user name; try again."]})
    account = ServiceAccount.objects.create(user=user, team=team, name=name, created_by=created_by)
    Membership.objects.create(team=team, user=user, role=role)
    summary = f"{name[:60]} ({user.username}) in {team.name[:60]} as {role}"
    _audit(request, created_by, AuditAction.SERVICE_ACCOUNT_CREATED, account, summary)
    return account


def _audit(request: Any, by: User | None, action: AuditAction, account: ServiceAccount, summary: str) -> None:
    """One record of a team's service account made or deleted (``object_type`` ``service_account``)."""
    audit_record(
        request=request, user=by, action=action, object_type="service_account", object_id=account.pk,
        summary=summary, team_id=account.team_id,
    )  # fmt: skip


@transaction.atomic
def service_account_delete(*, account: ServiceAccount, request: Any = None) -> None:
    """Deletes the account and its user (teams.receivers): its membership and tokens go with it, so its
    tokens answer 401 at their next request."""
    summary = f"{account.name[:60]} ({account.user.username}) in {account.team.name[:60]}"
    _audit(request, None, AuditAction.SERVICE_ACCOUNT_DELETED, account, summary)
    account.delete()
