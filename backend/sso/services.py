"""Signing in a user that a provider vouches for: find them by (issuer, subject), create them at the first
sign-in, and apply the team roles their groups grant (re-evaluated at every sign-in)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, transaction
from django.utils import timezone

from cctv_backend.role_map import roles_from_claims
from sso.models import SUBJECT_MAX_LENGTH, SsoIdentity
from sso.team_roles import apply_sso_roles

USERNAME_MAX_LENGTH = 150
# Django's own user-name characters (UnicodeUsernameValidator): letters, digits and @ . + - _
_USERNAME = re.compile(r"^[\w.@+-]+\Z")


class SignInRefused(SuspiciousOperation):
    """The provider vouched for someone this backend will not sign in (mozilla-django-oidc turns a
    ``SuspiciousOperation`` from user lookup into a failed login)."""


def username_for(claims: Mapping[str, object]) -> str:
    """The new user's name: ``preferred_username`` when it is a valid Django user name, else ``sub``."""
    for claim in ("preferred_username", "sub"):
        value = claims.get(claim)
        if isinstance(value, str) and len(value) <= USERNAME_MAX_LENGTH and _USERNAME.match(value):
            return value
    raise SignInRefused("neither preferred_username nor sub is a valid user name (letters, digits, @.+-_)")


def user_signed_in_by_provider(*, issuer: str, claims: Mapping[str, object], groups_claim: str) -> User:
    """The local user for a provider's verified ``claims`` (``sub`` required), created at the first sign-in.

    A new user's name is taken from the claims (``username_for``); if a user of that name already exists
    and is not linked to this subject, the sign-in is refused: a provider's user name never takes over a
    local account (an administrator links one by adding its identity in the admin).
    """
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > SUBJECT_MAX_LENGTH:
        raise SignInRefused("the claims have no usable sub")
    pairs = roles_from_claims(claims, settings.OIDC_ROLE_MAP, groups_claim=groups_claim)
    with transaction.atomic():
        identity = (
            SsoIdentity.objects.select_for_update()
            .select_related("user")
            .filter(issuer=issuer, subject=subject)
            .first()
        )
        if identity is None:
            identity = _first_sign_in(issuer, subject, claims)
        previous = [tuple(pair) for pair in identity.team_roles]
        identity.team_roles = [list(pair) for pair in pairs]
        identity.last_sign_in_at = timezone.now()
        identity.save(update_fields=["team_roles", "last_sign_in_at"])
        apply_sso_roles(identity.user, pairs, previous=previous)
    return identity.user


def _first_sign_in(issuer: str, subject: str, claims: Mapping[str, object]) -> SsoIdentity:
    username = username_for(claims)
    email = claims.get("email")
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                username, email=email if isinstance(email, str) and len(email) <= 254 else ""
            )
            return SsoIdentity.objects.create(user=user, issuer=issuer, subject=subject)
    except IntegrityError:
        raise SignInRefused(f"a user named {username!r} exists and is not linked to this sign-in") from None
