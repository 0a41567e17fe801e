"""The shape of a user API token, ``pat_<key id>_<secret>``, and the hash that is all the database keeps.

The key id (12 hex digits) is not secret: it finds the row. The secret (256 random bits) is compared as
a SHA-256 hash in constant time. A fast hash is enough for a secret that long: nobody can guess it, and a
stolen table gives no working token.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

PREFIX = "pat_"
KEY_ID_HEX = 12
SECRET_HEX = 64
TOKEN = re.compile(rb"^pat_([0-9a-f]{12})_([0-9a-f]{64})$")
TOKEN_LENGTH = len(PREFIX) + KEY_ID_HEX + 1 + SECRET_HEX
# Compared against when no row has the key id, so that a missing id costs what a wrong secret costs.
_NO_HASH = "0" * 64


def new_key_id() -> str:
    return secrets.token_hex(KEY_ID_HEX // 2)


def new_secret() -> str:
    return secrets.token_hex(SECRET_HEX // 2)


def token_text(key_id: str, secret: str) -> str:
    return f"{PREFIX}{key_id}_{secret}"


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse(raw: bytes) -> tuple[str, str] | None:
    """(key id, secret) of a token shaped like ours, else None. Nothing longer than a token is matched."""
    if len(raw) != TOKEN_LENGTH:
        return None
    match = TOKEN.match(raw)
    return (match[1].decode(), match[2].decode()) if match else None


def secret_matches(secret: str, stored_hash: str | None) -> bool:
    return hmac.compare_digest(secret_hash(secret), stored_hash or _NO_HASH) and stored_hash is not None
