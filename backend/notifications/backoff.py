"""When to try a failed delivery again, and whether to: pure functions of the attempt and the answer."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

# 4xx answers that mean "later", not "never" (RFC 9110: request timeout, too many requests).
RETRYABLE_CLIENT_ERRORS = frozenset({408, 429})


def is_retryable_status(status: int) -> bool:
    """5xx and 408/429 are worth another attempt; any other 4xx is final (the request itself is wrong)."""
    return status >= 500 or status in RETRYABLE_CLIENT_ERRORS


def backoff_delay(attempt: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds before attempt ``attempt + 1``: ``base * 2^(attempt-1)`` capped, the upper half jittered.

    Half the delay is kept so retries never bunch up at zero; the other half is random so that many
    deliveries failing together (a receiver down) do not come back at the same instant.
    """
    delay = min(cap, base * 2 ** max(0, attempt - 1))
    return delay / 2 + (rng or random).uniform(0, delay / 2)


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """A ``Retry-After`` header (seconds or an HTTP date) as seconds from ``now``; None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def next_attempt_at(
    *,
    now: datetime,
    first_attempt_at: datetime,
    attempt: int,
    retry_after: float | None,
    base: float,
    cap: float,
    window: float,
    rng: random.Random | None = None,
) -> datetime | None:
    """When to try again, or None when the retry window is used up (the delivery then fails for good).

    A receiver's ``Retry-After`` wins over a shorter backoff (it knows when it will be back).
    """
    delay = backoff_delay(attempt, base=base, cap=cap, rng=rng)
    if retry_after is not None:
        delay = max(delay, retry_after)
    when = now + timedelta(seconds=delay)
    if when > first_attempt_at + timedelta(seconds=window):
        return None
    return when
