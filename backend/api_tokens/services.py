"""Creating and revoking users' API tokens. The secret exists only in ``token_create``'s answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from api_tokens import token_format
from api_tokens.models import ApiToken
from teams.models import ServiceAccount, Team
from teams.service_accounts import service_account_create


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    secret: str  # the whole token text, shown once


def token_create(*, user, name: str, scope: str, expires_at: datetime) -> CreatedToken:
    now = timezone.now()
    if expires_at <= now:
        raise ValidationError({"expires": ["The expiry must be in the future."]})
    if expires_at > now + timedelta(days=settings.API_TOKEN_MAX_DAYS):
        raise ValidationError(
            {"expires": [f"A token lives at most {settings.API_TOKEN_MAX_DAYS} days (API_TOKEN_MAX_DAYS)."]}
        )
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= settings.API_TOKENS_PER_USER:
        raise ValidationError(
            {"non_field_errors": [f"You hold {settings.API_TOKENS_PER_USER} tokens; revoke one first."]}
        )
    key_id, secret = token_format.new_key_id(), token_format.new_secret()
    token = ApiToken(
        user=user,
        name=name,
        scope=scope,
        key_id=key_id,
        secret_hash=token_format.secret_hash(secret),
        created_at=now,
        expires_at=expires_at,
    )
    token.full_clean()
    token.save()
    return CreatedToken(token=token, secret=token_format.token_text(key_id, secret))


def token_revoke(*, user, token_id: int) -> ApiToken:
    """Revokes one of ``user``'s tokens at once (its next request answers 401); another's or an already
    revoked one is a 404."""
    token = ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).first()
    if token is None:
        raise Http404("No such token.")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    return token


@dataclass(frozen=True)
class CreatedServiceAccount:
    account: ServiceAccount
    created: CreatedToken


@transaction.atomic
def service_account_create_with_token(
    *, team: Team, created_by, name: str, role: str, scope: str, expires_at: datetime, request: Any = None
) -> CreatedServiceAccount:
    """A team's new service account (teams.service_accounts) and its first token, both or neither."""
    account = service_account_create(team=team, name=name, role=role, created_by=created_by, request=request)
    created = token_create(user=account.user, name=name, scope=scope, expires_at=expires_at)
    return CreatedServiceAccount(account=account, created=created)
