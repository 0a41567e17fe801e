"""Where the team roles an identity provider grants take effect: the one call after every single sign-on.

To wire at the merge with teams (branch ``teams``): make ``apply_sso_roles`` set the user's Membership in
each named team to the role given (creating the membership; a team that does not exist is logged and
skipped, never created from a claim), and remove the memberships an earlier sign-in granted (``previous``)
that this one no longer grants. Memberships given by hand (not in ``previous``) are left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.contrib.auth.models import User

log = logging.getLogger(__name__)


def apply_sso_roles(
    user: User, pairs: Sequence[tuple[str, str]], *, previous: Sequence[tuple[str, str]] = ()
) -> None:
    """Gives ``user`` exactly ``pairs`` (team name, role) as granted by the provider at this sign-in.

    On this branch there are no teams yet: the pairs are recorded on the user's identity by the caller
    (``SsoIdentity.team_roles``), and this only logs a change.
    """
    if list(pairs) != list(previous):
        log.info(
            "single sign-on: %s's team roles are now %s (were %s)",
            user.get_username(),
            list(pairs),
            list(previous),
        )
