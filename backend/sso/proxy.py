"""Sign-in by a trusted proxy's headers (oauth2-proxy, Authelia, an Ingress with forward auth).

A request whose socket peer (``REMOTE_ADDR``, never X-Forwarded-For) is in ``TRUSTED_PROXY_NETWORKS``
and carries ``Remote-User`` (or ``X-Forwarded-User``) is signed in as that user, created at the first
sign-in; ``Remote-Groups`` (or ``X-Forwarded-Groups``, comma-separated) are mapped to team roles by
``OIDC_ROLE_MAP`` as an OIDC groups claim is. From any other peer the headers are ignored. The proxy
must remove these headers from what clients send it.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from sso.models import TRUSTED_PROXY_ISSUER
from sso.services import SignInRefused, user_signed_in_by_provider

log = logging.getLogger(__name__)

USER_HEADERS = ("HTTP_REMOTE_USER", "HTTP_X_FORWARDED_USER")
GROUP_HEADERS = ("HTTP_REMOTE_GROUPS", "HTTP_X_FORWARDED_GROUPS")
GROUPS_HEADER_MAX_CHARS = 16 * 1024
BACKEND = "sso.backends.SignedInElsewhereBackend"


def peer_is_trusted(address: str, networks: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        peer = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False  # a Unix socket, or no address: not a proxy we know
    if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped is not None:
        peer = peer.ipv4_mapped
    return any(peer in network for network in networks)


def _first_header(request: HttpRequest, names: tuple[str, ...]) -> str:
    for name in names:
        value = request.META.get(name, "").strip()
        if value:
            return value
    return ""


class TrustedProxyHeaderMiddleware:
    """Signs in the user a trusted proxy names, unless the session already is that user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        networks = settings.TRUSTED_PROXY_NETWORK_LIST
        if networks and peer_is_trusted(request.META.get("REMOTE_ADDR", ""), networks):
            refused = self._sign_in(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    def _sign_in(self, request: HttpRequest) -> HttpResponse | None:
        name = _first_header(request, USER_HEADERS)
        if not name:
            return None
        current = request.user
        if current.is_authenticated and request.session.get("sso_proxy_user") == name:
            return None
        groups_text = _first_header(request, GROUP_HEADERS)[:GROUPS_HEADER_MAX_CHARS]
        claims = {
            "sub": name,
            "preferred_username": name,
            "groups": [g.strip() for g in groups_text.split(",") if g.strip()],
        }
        try:
            user = user_signed_in_by_provider(
                issuer=TRUSTED_PROXY_ISSUER, claims=claims, groups_claim="groups"
            )
        except SignInRefused as exc:
            log.warning("trusted proxy sign-in of %r refused: %s", name[:150], exc)
            return HttpResponseBadRequest(
                "The sign-in proxy named a user this server cannot sign in.", content_type="text/plain"
            )
        if not user.is_active:
            return HttpResponseBadRequest("This user is deactivated.", content_type="text/plain")
        login(request, user, backend=BACKEND)
        request.session["sso_proxy_user"] = name
        return None
