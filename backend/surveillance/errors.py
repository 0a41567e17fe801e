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
    """What the API answers for a refused request: ``status_code``, ``reason`` and ``retry_after``.
    A subclass names the first two in its class line: ``class Busy(ApplicationError, status_code=503,
    reason=...)``."""

    status_code: ClassVar[int] = 400
    reason: ClassVar[str] = metrics.REJECT_INVALID
    retry_after: int | None = None

    def __init_subclass__(cls, *, status_code: int | None = None, reason: str | None = None, **kwargs):
        super().__init_subclass__(**kwargs)
        if status_code is not None:
            cls.status_code = status_code
        if reason is not None:
            cls.reason = reason

    def body(self) -> dict:
        return {"detail": str(self)}


class ApplicationError(Refusal, Exception):
    """A refusal that is not about one field's value (a quota, a conflict, a busy server)."""

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class LocalPasswordsOff(ApplicationError, status_code=403, reason=metrics.REJECT_FORBIDDEN):
    """``LOCAL_PASSWORDS`` is off: a user name and password sign no one in (single sign-on does)."""

    def __init__(self) -> None:
        super().__init__(
            "Password sign-in is turned off on this server (LOCAL_PASSWORDS): sign in through single sign-on "
            "and make an API token in the dashboard; existing tokens keep working."
        )


class SnapshotTooLarge(Refusal, ValidationError, status_code=413, reason=metrics.REJECT_TOO_LARGE):
    """The decoded snapshot is over ``ALERT_IMAGE_MAX_BYTES``."""


class IdempotencyConflict(ApplicationError, status_code=422, reason=metrics.REJECT_CONFLICT):
    """An idempotency key was reused for a different payload."""

    def __init__(self, key: str) -> None:
        super().__init__(
            f"The idempotency key {key!r} was already used for a different alert of this camera; "
            "send a new key for a new alert."
        )
        self.key = key

    def body(self) -> dict:
        return {"detail": str(self), "idempotency_key": [str(self)]}


class IngestRateLimited(ApplicationError, status_code=429, reason=metrics.REJECT_RATE_LIMITED):
    """The camera sent more than ``ALERT_RATE_PER_MINUTE`` alerts (or ``EVENT_UPDATE_RATE_PER_MINUTE``
    event updates) in the last minute."""

    def __init__(
        self, *, limit: int, retry_after: int, what: str = "alerts", setting: str = "ALERT_RATE_PER_MINUTE"
    ) -> None:
        super().__init__(
            f"This camera sent more than {limit} {what} in the last minute ({setting}); "
            f"retry in {retry_after} s.",
            retry_after=retry_after,
        )


class InsufficientStorage(ApplicationError, status_code=507, reason=metrics.REJECT_NO_STORAGE):
    """A storage quota is used up or the media volume is nearly full."""


class DecoderBusy(ApplicationError, status_code=503, reason=metrics.REJECT_BUSY):
    """Every snapshot decode slot of this process stayed busy."""

    def __init__(self, wait_seconds: float) -> None:
        retry_after = int(wait_seconds) + 1
        super().__init__(
            f"The server is decoding other snapshots; retry in {retry_after} s.", retry_after=retry_after
        )


class StoreUnavailable(ApplicationError, status_code=503, reason=metrics.REJECT_STORE_UNAVAILABLE):
    """The media store did not answer, or refused the backend's credentials (``surveillance.media_store``).
    An upload that meets it is refused whole: no row is written, and the worker keeps it and retries."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"The media store is unavailable ({detail}); retry shortly.", retry_after=30)
