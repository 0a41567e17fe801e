"""Webhook sender: a signed JSON POST; redirects followed to allowed hosts only; answers read to a limit."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings

from cctv_common.network_policy import AddressNotAllowed, check_host
from notifications import backoff, signing
from notifications.senders import Message, Outcome, target_policy

MAX_REDIRECTS = 3
USER_AGENT = "cctv-notifier/1"


def body_of(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def _check_target(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AddressNotAllowed(f"{url!r} is not an http(s) URL")
    check_host(parts.hostname, target_policy())


def _read_limited(response: requests.Response) -> str:
    limit = settings.NOTIFY_RESPONSE_MAX_BYTES
    data = b""
    for chunk in response.iter_content(chunk_size=8192):
        data += chunk
        if len(data) >= limit:
            break
    response.close()
    return data[:limit].decode("utf-8", "replace")


_local = threading.local()


def _session() -> requests.Session:
    """One session per sending thread: connections to a receiver that keeps them alive are reused."""
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
        _local.session.trust_env = False  # no proxies from the environment: the policy checks the real target
    return _local.session


def send(message: Message, *, session: requests.Session | None = None) -> Outcome:
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
    http = session or _session()
    url = message.url
    for _ in range(MAX_REDIRECTS + 1):
        try:
            _check_target(url)
        except AddressNotAllowed as error:
            return Outcome.final(f"refused: {error}")
        try:
            response = http.post(
                url,
                data=body,
                headers=headers,
                timeout=settings.NOTIFY_TIMEOUT_SECONDS,
                allow_redirects=False,
                stream=True,
            )
        except requests.Timeout:
            return Outcome.retry(f"timed out after {settings.NOTIFY_TIMEOUT_SECONDS:g} s")
        except requests.ConnectionError as error:
            return Outcome.retry(f"connection failed: {_short(error)}")
        except requests.RequestException as error:
            return Outcome.final(f"request failed: {_short(error)}")
        status = response.status_code
        if status in (301, 302, 303, 307, 308) and response.headers.get("Location"):
            response.close()
            url = urljoin(url, response.headers["Location"])
            continue
        text = _read_limited(response)
        if 200 <= status < 300:
            return Outcome.delivered(status)
        detail = f"HTTP {status}: {text[:500]}".strip()
        if backoff.is_retryable_status(status):
            retry_after = backoff.parse_retry_after(
                response.headers.get("Retry-After"), now=datetime.now(tz=UTC)
            )
            return Outcome.retry(detail, status=status, retry_after=retry_after)
        return Outcome.final(detail, status=status)
    return Outcome.final(f"more than {MAX_REDIRECTS} redirects")


def _short(error: Exception) -> str:
    return str(error)[:300]
