"""Authentication by a user's API token: ``Authorization: Token pat_<key id>_<secret>`` (or ``Bearer``).

Runs after the camera ingest tokens' class and before DRF's own ``TokenAuthentication``, and passes on
anything not shaped like ours, so the seed's tokens keep working as they did. What is read before the
caller is known: the header (a token is 81 characters; anything else shaped ``pat_`` is refused without a
query), the failure count of the client's address (the ``auth`` throttle's rate, AUTH_THROTTLE_RATE; past
it every token from that address answers 429 before any lookup), then one row by its key id, whose
secret's hash is compared in constant time.

A revoked or expired token answers 401 at once; a read-only token answers 403 to any unsafe method,
whatever the view's own permissions say.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions, permissions
from rest_framework.throttling import SimpleRateThrottle

from api_tokens import token_format
from api_tokens.models import ApiToken, TokenScope

KEYWORDS = (b"token", b"bearer")
# last_used_at is written at most this often per token: not a write on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class FailedTokenThrottle(SimpleRateThrottle):
    """Failed token attempts per client address, at the login throttle's ``auth`` rate (its own counter)."""

    scope = "auth"

    def __init__(self) -> None:
        super().__init__()
        limit, window = self.parse_rate(self.rate)
        self.limit, self.window = limit or 1, window or 60

    def get_cache_key(self, request, view) -> str:
        return f"throttle_api_token_failures_{self.get_ident(request)}"

    def blocked(self, request) -> float | None:
        """Seconds to wait when the address has used up its failures, else None (counts nothing)."""
        self.key = self.get_cache_key(request, None)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.window:
            self.history.pop()
        if len(self.history) < self.limit:
            return None
        return max(1.0, self.window - (self.now - self.history[-1]))

    def count_failure(self, request) -> None:
        self.blocked(request)
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.window)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() not in KEYWORDS or not parts[1].startswith(b"pat_"):
            return None  # not ours: the seed's token or a session decides
        throttle = FailedTokenThrottle()
        wait = throttle.blocked(request)
        if wait is not None:
            raise exceptions.Throttled(wait, detail="Too many failed API token attempts from this address.")
        parsed = token_format.parse(parts[1])
        if parsed is None:
            throttle.count_failure(request)
            raise exceptions.AuthenticationFailed("Malformed API token.")
        key_id, secret = parsed
        token = ApiToken.objects.select_related("user").filter(key_id=key_id).first()
        if not token_format.secret_matches(secret, token.secret_hash if token else None) or token is None:
            throttle.count_failure(request)
            raise exceptions.AuthenticationFailed("Invalid API token.")
        now = timezone.now()
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This API token was revoked.")
        if token.is_expired(now):
            raise exceptions.AuthenticationFailed("This API token has expired.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The token's account is disabled.")
        if token.scope == TokenScope.READ and request.method not in permissions.SAFE_METHODS:
            raise exceptions.PermissionDenied("This API token is read-only.")
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return "Token"
