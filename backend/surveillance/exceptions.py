"""The API's exception handler: service errors become the status codes the API promises.

Django ``ValidationError`` (from ``full_clean()`` in a service) -> 400 with the field names,
``SnapshotTooLarge`` -> 413, ``IdempotencyConflict`` -> 422, ``IngestRateLimited`` -> 429,
``DecoderBusy`` -> 503, ``InsufficientStorage`` -> 507 (429 and 503 with Retry-After); everything else as
DRF does it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from surveillance.errors import (
    DecoderBusy,
    IdempotencyConflict,
    IngestRateLimited,
    InsufficientStorage,
    SnapshotTooLarge,
)


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


def validation_detail(error: DjangoValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in error.message_dict.items()
        }
    return {"non_field_errors": error.messages}


def exception_handler(exc, context):
    if isinstance(exc, IngestRateLimited | DecoderBusy):
        code = status.HTTP_429_TOO_MANY_REQUESTS if isinstance(exc, IngestRateLimited) else 503
        return Response({"detail": str(exc)}, status=code, headers={"Retry-After": str(exc.retry_after)})
    if isinstance(exc, InsufficientStorage):
        return Response({"detail": str(exc)}, status=status.HTTP_507_INSUFFICIENT_STORAGE)
    if isinstance(exc, SnapshotTooLarge):
        return Response(validation_detail(exc), status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_detail(exc))
    if isinstance(exc, IdempotencyConflict):
        return Response(
            {"detail": str(exc), "idempotency_key": [str(exc)]}, status=status.HTTP_422_UNPROCESSABLE_ENTITY
        )
    return drf_exception_handler(exc, context)
