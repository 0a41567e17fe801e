"""OpenID Connect sign-in on mozilla-django-oidc: the authentication backend and the two views (start,
callback), with what the library leaves out.

Added here: the endpoints from discovery (sso.discovery); the ID token's audience, issuer, expiry and
issue time checked, not only its signature and nonce; the userinfo's ``sub`` checked against the ID
token's; users found by (issuer, subject), not by e-mail (sso.services); every failure of the callback
(a forged state, a refused token, the provider down) ends on the login page with a message, never a 500.
"""

from __future__ import annotations

import logging
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from sso import discovery
from sso.services import user_signed_in_by_provider

log = logging.getLogger(__name__)

# Seconds of clock difference allowed between the provider and this backend (exp, iat).
CLOCK_LEEWAY_SECONDS = 60
# Bounds on what the callback reads before anything else: a provider's code and state are well under this.
CALLBACK_PARAMETER_MAX_CHARS = 2048
CALLBACK_PARAMETERS_MAX = 8
NEXT_MAX_CHARS = 2048


class OidcBackend(OIDCAuthenticationBackend):
    """Signs in the user of a verified authorization-code exchange; every other ``authenticate`` call
    (a password form) passes straight through without reaching the provider."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Not the library's __init__: Django builds every backend for each password login, and the
        # provider's endpoints (discovery) are read only when a callback arrives.
        self.UserModel = get_user_model()
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_SIGN_ALGORITHM
        self.OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request, **kwargs):
        # Only the callback view passes a nonce (with the request whose ?code= and ?state= it checked).
        if request is None or "nonce" not in kwargs or not settings.OIDC_ENABLED:
            return None
        self.provider = discovery.provider()
        self.OIDC_OP_TOKEN_ENDPOINT = self.provider.token_endpoint
        self.OIDC_OP_USER_ENDPOINT = self.provider.userinfo_endpoint
        self.OIDC_OP_JWKS_ENDPOINT = self.provider.jwks_uri
        return super().authenticate(request, **kwargs)

    def _verify_jws(self, payload, key):
        """The signature with the one configured algorithm, then the claims of an ID token for this
        client from this issuer that has not expired (the library checks the signature only)."""
        try:
            algorithm = jwt.get_unverified_header(payload).get("alg")
            if algorithm != self.OIDC_RP_SIGN_ALGO:
                raise SuspiciousOperation(f"ID token signed with {algorithm!r}, not {self.OIDC_RP_SIGN_ALGO}")
            claims = jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=self.provider.issuer,
                leeway=CLOCK_LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise SuspiciousOperation(f"ID token refused: {exc}") from None
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        # OpenID Connect Core 3.1.3.7: with several audiences, the token must be issued to this client.
        if len(audiences) > 1 and claims.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation("ID token has several audiences and another authorized party")
        return claims

    def get_userinfo(self, access_token, id_token, payload):
        """The ID token's claims, with the userinfo endpoint's added (groups are often only there)."""
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            userinfo = super().get_userinfo(access_token, id_token, payload)
            # OpenID Connect Core 5.3.2: a userinfo answer for another subject is not this user's.
            if not isinstance(userinfo, dict) or userinfo.get("sub") != payload.get("sub"):
                raise SuspiciousOperation("userinfo is not about the ID token's subject")
            claims.update(userinfo)
        return claims

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        return user_signed_in_by_provider(
            issuer=self.provider.issuer, claims=claims, groups_claim=settings.OIDC_GROUPS_CLAIM
        )


class OidcLoginView(OIDCAuthenticationRequestView):
    """GET /sso/oidc/login/?next=...: sends the browser to the provider with state, nonce and a PKCE
    challenge kept in its session. 404 while OIDC is not configured."""

    def __init__(self, **kwargs: Any) -> None:
        # Not the library's __init__: it reads the authorization endpoint from settings; it comes from
        # discovery here, at each start.
        super(OIDCAuthenticationRequestView, self).__init__(**kwargs)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID

    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.OIDC_ENABLED:
            raise Http404
        if len(request.GET.get("next", "")) > NEXT_MAX_CHARS:
            # The library keeps a valid ``next`` in the session; one this long is no page of ours.
            without_next = request.GET.copy()
            del without_next["next"]
            request.GET = without_next  # type: ignore[assignment]  # the stubs type GET as immutable
        try:
            self.OIDC_OP_AUTH_ENDPOINT = discovery.provider().authorization_endpoint
        except discovery.ProviderUnavailable as exc:
            log.warning("single sign-on cannot start: %s", exc)
            return OidcCallbackView().login_failure()
        return super().get(request)


class OidcCallbackView(OIDCAuthenticationCallbackView):
    """GET /sso/oidc/callback/?code=...&state=...: the provider's answer. Before anything else the
    parameters are bounded; then the state must be one this browser's session started (else nothing is
    sent anywhere), its nonce and PKCE verifier are used once, and the exchanged ID token is verified.
    Any failure: a redirect to the login page with ``?sso=failed`` (and the reason in the log)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.OIDC_ENABLED:
            raise Http404
        if len(request.GET) > CALLBACK_PARAMETERS_MAX or any(
            len(value) > CALLBACK_PARAMETER_MAX_CHARS for value in request.GET.values()
        ):
            return self.login_failure()
        state = request.GET.get("state", "")
        started_here = state in (request.session.get("oidc_states") or {})
        if "error" in request.GET and not started_here:
            # The library would sign the current user out on any ?error=: a link from anywhere could.
            return self.login_failure()
        try:
            return super().get(request)
        except (SuspiciousOperation, discovery.ProviderUnavailable, requests.RequestException, jwt.PyJWTError,
                ValueError, KeyError) as exc:  # fmt: skip
            log.warning("single sign-on refused: %s", exc)
            # As a refused password is: the audit trail's sign_in_failed and the login throttle's count
            # (a user the provider vouched for but who is refused here already sent it from authenticate).
            user_login_failed.send(sender=__name__, credentials={}, request=request)
            return self.login_failure()
