"""Where the team roles an identity provider grants take effect: the one call after every single sign-on.

The pairs are the whole grant of this sign-in: each named team's membership is set to the role given
(created where missing), and the memberships an earlier sign-in granted (``previous``) that this one no
longer grants are removed. Memberships given by hand (not in ``previous``) are left alone. A team is found
by its name among shared teams (never a personal one); a name that no team or several teams have is
logged and skipped, never created from a claim. The team's last owner is never demoted or removed here
(teams.services refuses it; logged).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from teams.services import member_grant, member_revoke, shared_team_named

log = logging.getLogger(__name__)


def apply_sso_roles(
    user: User, pairs: Sequence[tuple[str, str]], *, previous: Sequence[tuple[str, str]] = ()
) -> None:
    """Gives ``user`` exactly ``pairs`` (team name, role) as granted by the provider at this sign-in."""
    granted = {team: role for team, role in pairs}
    for name, role in granted.items():
        team = shared_team_named(name)
        if team is None:
            log.warning("single sign-on: no single team named %r; %s's role there skipped", name, user)
            continue
        try:
            member_grant(team=team, user=user, role=role)
        except ValidationError as refused:
            log.warning("single sign-on: %s's role in %r not changed: %s", user, name, refused.messages)
    for name, _ in previous:
        if name in granted:
            continue
        team = shared_team_named(name)
        if team is None:
            continue
        try:
            member_revoke(team=team, user=user)
        except ValidationError as refused:
            log.warning("single sign-on: %s kept in %r: %s", user, name, refused.messages)
    if list(pairs) != list(previous):
        log.info("single sign-on: %s's team roles are now %s (were %s)", user, list(pairs), list(previous))
