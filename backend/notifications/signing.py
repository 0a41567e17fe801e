"""Webhook signatures (contract, docs/contracts.md): HMAC-SHA256 over ``"<timestamp>.<raw body>"``.

Receivers verify with ``verify`` (or its few lines in their own language) and refuse old timestamps, so
a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac

EVENT_HEADER = "X-CCTV-Event"
DELIVERY_HEADER = "X-CCTV-Delivery"
TIMESTAMP_HEADER = "X-CCTV-Timestamp"
SIGNATURE_HEADER = "X-CCTV-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def headers(*, secret: str, event: str, delivery_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


def verify(
    *, secret: str, timestamp: str, body: bytes, signature_header: str, now: float, tolerance: float = 300
) -> bool:
    """True when the signature is the secret's and the timestamp is within ``tolerance`` seconds of now."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(now - sent) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, sent, body), signature_header or "")
