"""The application's errors: each refusal carries what the API answers (HackSoft's ``ApplicationError``).

A ``Refusal`` names its HTTP status, its rejection reason (the ``reason`` label of the rejection
counters) and, when waiting helps, its ``retry_after``; ``surveillance.exceptions`` reads these and knows
no subclass. A new refusal is a subclass here (or in its module) with those three, nothing else.
Refusals of a field's value stay Django ``ValidationError`` subclasses, so ``full_clean()`` callers and
forms treat them as the validation errors they are.
"""

from __future__ import annotations

from typing import ClassVar

from django.core.exceptions import ValidationError

from surveillance import metrics


class Refusal:
    """What the API answers for a refused request: ``status_code``, ``reason`` and ``retry_after``."""

    status_code: ClassVar[int] = 400
    reason: ClassVar[str] = metrics.REJECT_INVALID
    retry_after: int | None = None

    def body(self) -> dict:
        return {"detail": str(self)}


class ApplicationError(Refusal, Exception):
    """A refusal that is not about one field's value (a quota, a conflict, a busy server)."""

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SnapshotTooLarge(Refusal, ValidationError):
    """The decoded snapshot is over ``ALERT_IMAGE_MAX_BYTES``."""

    status_code = 413
    reason = metrics.REJECT_TOO_LARGE


class IdempotencyConflict(ApplicationError):
    """An idempotency key was reused for a different payload."""

    status_code = 422
    reason = metrics.REJECT_CONFLICT

    def __init__(self, key: str) -> None:
        super().__init__(
            f"The idempotency key {key!r} was already used for a different alert of this camera; "
            "send a new key for a new alert."
        )
        self.key = key

    def body(self) -> dict:
        return {"detail": str(self), "idempotency_key": [str(self)]}


class IngestRateLimited(ApplicationError):
    """The camera sent more than ``ALERT_RATE_PER_MINUTE`` alerts in the last minute."""

    status_code = 429
    reason = metrics.REJECT_RATE_LIMITED

    def __init__(self, *, limit: int, retry_after: int) -> None:
        super().__init__(
            f"This camera sent more than {limit} alerts in the last minute (ALERT_RATE_PER_MINUTE); "
            f"retry in {retry_after} s.",
            retry_after=retry_after,
        )


class InsufficientStorage(ApplicationError):
    """A storage quota is used up or the media volume is nearly full."""

    status_code = 507
    reason = metrics.REJECT_NO_STORAGE


class DecoderBusy(ApplicationError):
    """Every snapshot decode slot of this process stayed busy."""

    status_code = 503
    reason = metrics.REJECT_BUSY

    def __init__(self, wait_seconds: float) -> None:
        retry_after = int(wait_seconds) + 1
        super().__init__(
            f"The server is decoding other snapshots; retry in {retry_after} s.", retry_after=retry_after
        )
