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
