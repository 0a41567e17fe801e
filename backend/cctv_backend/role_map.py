"""How identity-provider groups map to team roles (``OIDC_ROLE_MAP``): the parser the settings run at
start-up, and the pure function each single sign-on applies to the groups the provider sent.

Pure: no Django, no I/O, so the settings can import it before any app loads and the tests need nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# The team roles (issue 25), strongest first: a user whose groups give one team several roles gets the
# first of them in this order (Membership holds one role per team). The auditor comes last: it sees no
# video, so a user in a viewer group and an auditor group of one team stays a viewer. At the merge with
# teams this tuple becomes the teams app's role choices (one definition).
TEAM_ROLES: tuple[str, ...] = ("owner", "admin", "operator", "viewer", "auditor")

TEAM_NAME_MAX_LENGTH = 150
GROUP_MAX_LENGTH = 256
# Groups read from one sign-in's claims: a provider sends tens; more is a misconfigured claim, and the
# work stays bounded.
GROUPS_PER_SIGN_IN_MAX = 1000

_SEPARATORS = re.compile(r"[,;\n]")


@dataclass(frozen=True)
class RoleGrant:
    """One rule: members of ``group`` get ``role`` in the team named ``team``."""

    group: str
    team: str
    role: str


RoleMap = tuple[RoleGrant, ...]


class RoleMapError(ValueError):
    """``OIDC_ROLE_MAP`` cannot be read; the message says which entry and why."""


def parse_role_map(text: str) -> RoleMap:
    """Reads ``group=Team:role`` entries separated by commas, semicolons or new lines.

    The group is everything before the last ``=``, the team everything between it and the last ``:``
    (so a Keycloak group path ``/cctv/admins`` or a team "Front gate" reads as written). A group may
    appear several times (one group, several teams); the same group and team twice with two roles is an
    error, not a silent choice.
    """
    grants: list[RoleGrant] = []
    seen: dict[tuple[str, str], str] = {}
    for raw in _SEPARATORS.split(text):
        entry = raw.strip()
        if not entry:
            continue
        group, equals, target = entry.rpartition("=")
        team, colon, role = target.rpartition(":")
        group, team, role = group.strip(), team.strip(), role.strip().lower()
        if not equals or not colon:
            raise RoleMapError(f"entry {entry!r} is not group=Team:role")
        if not group or len(group) > GROUP_MAX_LENGTH:
            raise RoleMapError(f"entry {entry!r}: the group must be 1 to {GROUP_MAX_LENGTH} characters")
        if not team or len(team) > TEAM_NAME_MAX_LENGTH:
            raise RoleMapError(f"entry {entry!r}: the team must be 1 to {TEAM_NAME_MAX_LENGTH} characters")
        if role not in TEAM_ROLES:
            raise RoleMapError(f"entry {entry!r}: the role {role!r} is not one of {', '.join(TEAM_ROLES)}")
        earlier = seen.get((group, team))
        if earlier is not None and earlier != role:
            raise RoleMapError(f"group {group!r} is given two roles in team {team!r}: {earlier} and {role}")
        if earlier is None:
            seen[(group, team)] = role
            grants.append(RoleGrant(group=group, team=team, role=role))
    return tuple(grants)


def groups_in_claims(claims: Mapping[str, object], groups_claim: str) -> frozenset[str]:
    """The groups a provider sent: a list of strings (the usual form) or one string; anything else in
    the claim (numbers, objects) is no group."""
    value = claims.get(groups_claim)
    if isinstance(value, str):
        values: Iterable[object] = [value]
    elif isinstance(value, list | tuple):
        values = value[:GROUPS_PER_SIGN_IN_MAX]
    else:
        return frozenset()
    return frozenset(item for item in values if isinstance(item, str) and item)


def roles_from_claims(
    claims: Mapping[str, object], role_map: RoleMap, *, groups_claim: str = "groups"
) -> list[tuple[str, str]]:
    """The (team name, role) pairs a sign-in's claims grant: one per team, sorted by team name.

    Where several of the user's groups name one team, the strongest role in ``TEAM_ROLES`` order wins.
    No group, or no group in the map, is an empty list: the pairs are the whole of what the provider
    grants now, so the caller removes what an earlier sign-in granted and this one does not.
    """
    groups = groups_in_claims(claims, groups_claim)
    best: dict[str, str] = {}
    for grant in role_map:
        if grant.group not in groups:
            continue
        current = best.get(grant.team)
        if current is None or TEAM_ROLES.index(grant.role) < TEAM_ROLES.index(current):
            best[grant.team] = grant.role
    return sorted(best.items())
