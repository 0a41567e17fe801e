"""Errors the services raise beyond Django's ``ValidationError``; the API maps each to its status code."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class SnapshotTooLarge(ValidationError):
    """The decoded snapshot is over ``ALERT_IMAGE_MAX_BYTES`` (HTTP 413)."""


class IdempotencyConflict(Exception):
    """An idempotency key was reused for a different payload (HTTP 422)."""

    def __init__(self, key: str) -> None:
        super().__init__(
            f"The idempotency key {key!r} was already used for a different alert of this camera; "
            "send a new key for a new alert."
        )
        self.key = key


class IngestRateLimited(Exception):
    """The camera sent more than ``ALERT_RATE_PER_MINUTE`` alerts (or ``EVENT_UPDATE_RATE_PER_MINUTE``
    event updates) in the last minute (HTTP 429)."""

    def __init__(
        self, *, limit: int, retry_after: int, what: str = "alerts", setting: str = "ALERT_RATE_PER_MINUTE"
    ) -> None:
        super().__init__(
            f"This camera sent more than {limit} {what} in the last minute ({setting}); "
            f"retry in {retry_after} s."
        )
        self.retry_after = retry_after


class InsufficientStorage(Exception):
    """A storage quota is used up or the media volume is nearly full (HTTP 507)."""


class DecoderBusy(Exception):
    """Every snapshot decode slot of this process stayed busy (HTTP 503)."""

    def __init__(self, wait_seconds: float) -> None:
        super().__init__(f"The server is decoding other snapshots; retry in {int(wait_seconds) + 1} s.")
        self.retry_after = int(wait_seconds) + 1
