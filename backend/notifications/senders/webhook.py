"""Webhook sender: a signed JSON POST to the checked address (senders.pinned_http); redirects followed to
allowed hosts only, all within one deadline; the answer's body is never read."""

from __future__ import annotations

import http.client
import json
import ssl
import time
from datetime import UTC, datetime
from urllib.parse import SplitResult, urljoin, urlsplit

from django.conf import settings

from cctv_common.network_policy import AddressNotAllowed, check_host
from notifications import backoff, signing
from notifications.senders import Message, Outcome, pinned_http, target_policy
from notifications.validators import ambiguous_url_reason

MAX_REDIRECTS = 3
USER_AGENT = "cctv-notifier/1"


def body_of(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def _checked_target(url: str) -> tuple[SplitResult, str]:
    """The URL's parts and the one address to connect to, resolved once and checked against the policy
    (``AddressNotAllowed`` otherwise): the request goes to this address, never to a second lookup."""
    reason = ambiguous_url_reason(url)
    if reason:
        raise AddressNotAllowed(f"the URL must be a plain http(s) URL: {reason}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AddressNotAllowed("the URL is not an http(s) URL")
    try:
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        raise AddressNotAllowed("the URL's port is not a number from 1 to 65535") from None
    addresses = check_host(parts.hostname, target_policy())
    return parts, addresses[0]


def _reason_of(answer: pinned_http.Answer) -> str:
    """The status and a short reason phrase, never the receiver's body: the delivery log (and the channel
    test's answer) must not become a reader of what answers at the target."""
    phrase = "".join(char for char in answer.reason[:60] if char.isascii() and char.isprintable()).strip()
    return f"HTTP {answer.status} {phrase}".strip()


def send(message: Message) -> Outcome:
    body = body_of(message.payload)
    timestamp = int(time.time())
    headers = {
        "User-Agent": USER_AGENT,
        **signing.headers(
            secret=message.secret,
            event=message.event,
            delivery_id=message.delivery_id,
            timestamp=timestamp,
            body=body,
        ),
    }
    url = message.url
    timeout = settings.NOTIFY_TIMEOUT_SECONDS
    deadline = time.monotonic() + timeout  # one deadline for the attempt, redirects included
    for _ in range(MAX_REDIRECTS + 1):
        try:
            parts, address = _checked_target(url)
        except AddressNotAllowed as error:
            return Outcome.final(f"refused: {error}")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return Outcome.retry(f"timed out after {timeout:g} s")
        try:
            answer = pinned_http.post(parts, address, body=body, headers=headers, timeout=remaining)
        except pinned_http.DeadlinePassed:
            return Outcome.retry(f"timed out after {timeout:g} s")
        except ssl.SSLError as error:
            return Outcome.retry(f"TLS failed: {_short(error)}")
        except (OSError, http.client.HTTPException) as error:
            return Outcome.retry(f"connection failed: {_short(error)}")
        status = answer.status
        location = answer.headers.get("Location")
        if status in (301, 302, 303, 307, 308) and location:
            url = urljoin(url, location)
            continue
        if 200 <= status < 300:
            return Outcome.delivered(status)
        detail = _reason_of(answer)
        if backoff.is_retryable_status(status):
            retry_after = backoff.parse_retry_after(
                answer.headers.get("Retry-After"), now=datetime.now(tz=UTC)
            )
            return Outcome.retry(detail, status=status, retry_after=retry_after)
        return Outcome.final(detail, status=status)
    return Outcome.final(f"more than {MAX_REDIRECTS} redirects")


def _short(error: Exception) -> str:
    return str(error)[:300]
