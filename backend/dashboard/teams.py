"""The dashboard's current team (issue 25): which team's rows the lists show, kept in the session.

A user in several teams picks one in the page header, or "All teams". The default is all teams: a guard
in two teams who has never switched must not miss an alert of the other team in the feed, and a user with
one team (everyone before teams) sees what they always saw. The choice only narrows what the access rule
(``surveillance.access``) already allows: it is checked against the user's memberships on every request,
so a choice left over from a team the user was removed from falls back to all teams.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar, cast

from django import forms
from django.contrib.auth.models import User
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from dashboard.forms import add_team_field
from teams.models import Membership
from teams.permissions import Action, role_allows
from teams.selectors import memberships_of

SESSION_KEY = "dashboard_team"
_REQUEST_CACHE = "_dashboard_team_id"
_UNKNOWN = object()

_M = TypeVar("_M", bound=Model)


@dataclass(frozen=True)
class TeamChoice:
    id: int
    name: str
    role: str
    personal: bool


def teams_of(user: User) -> list[TeamChoice]:
    """The user's teams with their role, personal team first, then by name."""
    choices = [
        TeamChoice(m.team_id, m.team.name, m.role, m.team.personal_of_id == user.pk)
        for m in memberships_of(user)
    ]
    return sorted(choices, key=lambda team: (not team.personal, team.name.lower(), team.id))


def current_team_id(request: HttpRequest, user: User) -> int | None:
    """The team the user chose (None: all teams), if they are still in it (asked once per request: the
    view and the header's picker share the answer)."""
    known = getattr(request, _REQUEST_CACHE, _UNKNOWN)
    if known is not _UNKNOWN:
        return cast(int | None, known)
    chosen = request.session.get(SESSION_KEY)
    if isinstance(chosen, int) and not memberships_of(user).filter(team_id=chosen).exists():
        request.session.pop(SESSION_KEY, None)
        chosen = None
    team_id = chosen if isinstance(chosen, int) else None
    setattr(request, _REQUEST_CACHE, team_id)
    return team_id


def choose(request: HttpRequest, user: User, team_id: int | None) -> Membership | None:
    """Keeps ``team_id`` (None: all teams) as the current team; ``LookupError`` for a team the user is
    not in (or that does not exist: the same answer, as everywhere)."""
    if team_id is None:
        request.session.pop(SESSION_KEY, None)
        setattr(request, _REQUEST_CACHE, None)
        return None
    membership = memberships_of(user).filter(team_id=team_id).first()
    if membership is None:
        raise LookupError(f"You are not a member of a team with id {team_id}.")
    request.session[SESSION_KEY] = team_id
    setattr(request, _REQUEST_CACHE, team_id)
    return membership


def in_team(queryset: QuerySet[_M], team_id: int | None, *, via: str = "") -> QuerySet[_M]:
    """``queryset`` (already scoped by the access rule) narrowed to the current team's rows; ``via`` as in
    ``surveillance.access.rule`` (``"camera__"`` for alerts, ``"channel__"`` for deliveries)."""
    return queryset if team_id is None else queryset.filter(**{f"{via}team_id": team_id})


def teams_allowing(user: User, action: Action) -> list[TeamChoice]:
    """The user's teams where their role allows ``action``: where a new row may go."""
    return [team for team in teams_of(user) if role_allows(team.role, action)]


def team_ids_allowing(user: User, action: Action) -> set[int]:
    return {team.id for team in teams_allowing(user, action)}


def default_team_for_new_row(request: HttpRequest, user: User, allowed: list[TeamChoice]) -> int | None:
    """The current team where a new row may go there, else the personal team (the API's default)."""
    current = current_team_id(request, user)
    ids = [team.id for team in allowed]
    if current in ids:
        return current
    personal = next((team.id for team in allowed if team.personal), None)
    return personal if personal is not None else (ids[0] if ids else None)


def add_team_choice(form: forms.Form, request: HttpRequest, user: User, action: Action) -> None:
    """The ``team`` field of a form that adds a row: the teams where ``action`` is allowed, the current
    team (or the personal one) first chosen."""
    offered = teams_allowing(user, action)
    add_team_field(
        form,
        offered=offered,
        member_ids={team.id for team in teams_of(user)},
        initial=default_team_for_new_row(request, user, offered),
    )
