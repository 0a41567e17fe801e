"""Camera ingest tokens: ``cam_<camera_id>_<hmac>``.

The token is an HMAC of the camera's random nonce under SECRET_KEY, so the database never holds it
(a leaked database gives no working token) and rotating the nonce invalidates the old token at once.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

from surveillance.ids import parse_id

PREFIX = "cam_"


def ingest_token_for(camera_id: int, nonce: str) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"ingest:{camera_id}:{nonce}".encode(), hashlib.sha256
    ).hexdigest()
    return f"{PREFIX}{camera_id}_{digest}"


def camera_id_of(token: str) -> int | None:
    """The camera id a token claims, or None when it is not shaped like an ingest token."""
    if not token.startswith(PREFIX):
        return None
    camera_id, _, digest = token[len(PREFIX) :].partition("_")
    if len(digest) != 64:
        return None
    return parse_id(camera_id)


def token_matches(token: str, camera_id: int, nonce: str) -> bool:
    return hmac.compare_digest(token, ingest_token_for(camera_id, nonce))
