"""The OpenID provider's endpoints, from its discovery document
(``<issuer>/.well-known/openid-configuration``).

Read at the first sign-in, not at start-up (the backend starts while the provider is down), and kept for
``CACHE_SECONDS``; a failed read is not kept, so the next sign-in tries again.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings

CACHE_SECONDS = 3600
# A discovery document is a few kilobytes; a larger answer is not one.
DOCUMENT_MAX_BYTES = 256 * 1024


class ProviderUnavailable(Exception):
    """The discovery document cannot be read or is not a valid one for the configured issuer."""


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str  # "" when the provider has none: the ID token's claims are all there is


_lock = threading.Lock()
_cached: tuple[float, str, Provider] | None = None


def provider(*, now=time.monotonic) -> Provider:
    global _cached
    issuer = settings.OIDC_ISSUER
    with _lock:
        if _cached is not None and _cached[1] == issuer and now() - _cached[0] < CACHE_SECONDS:
            return _cached[2]
    found = _read(issuer)
    with _lock:
        _cached = (now(), issuer, found)
    return found


def forget() -> None:
    """Drops the cached document (tests; a provider that moved its endpoints)."""
    global _cached
    with _lock:
        _cached = None


def _read(issuer: str) -> Provider:
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        with requests.get(
            url, timeout=settings.OIDC_TIMEOUT_SECONDS, stream=True, allow_redirects=False
        ) as response:
            response.raise_for_status()
            body = response.raw.read(DOCUMENT_MAX_BYTES + 1, decode_content=True)
        if len(body) > DOCUMENT_MAX_BYTES:
            raise ProviderUnavailable(f"{url} is larger than {DOCUMENT_MAX_BYTES} bytes")
        document = json.loads(body)
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(f"{url} cannot be read: {exc}") from None
    if not isinstance(document, dict):
        raise ProviderUnavailable(f"{url} is not a JSON object")
    # OpenID Connect Discovery 1.0, section 4.3: the document's issuer is exactly the configured one.
    if document.get("issuer") != issuer:
        raise ProviderUnavailable(f"{url} names the issuer {document.get('issuer')!r}, not {issuer!r}")
    endpoints = {}
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"):
        value = document.get(name, "")
        required = name != "userinfo_endpoint"
        if (value or required) and not _is_url(value):
            raise ProviderUnavailable(f"{url}: {name} {value!r} is not an http(s) URL")
        endpoints[name] = value or ""
    return Provider(issuer=issuer, **endpoints)


def _is_url(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)
