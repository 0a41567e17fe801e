"""The API's exception handler: the one map from an error to its answer and its rejection reason.

A ``surveillance.errors.Refusal`` answers its own ``status_code`` (with ``Retry-After`` when it has a
``retry_after``); Django's ``ValidationError`` (from ``full_clean()`` in a service) answers 400 with the
field names; everything else as DRF does it. ``rejection_reason`` gives the ``reason`` label the
ingest views count a refusal under.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from surveillance import metrics
from surveillance.errors import Refusal


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


def rejection_reason(exc: Exception) -> str | None:
    """The ``reason`` label of a refused request; None: not a refusal of what was sent (not
    authenticated, an unknown camera, a server error)."""
    if isinstance(exc, Refusal):
        return exc.reason
    if isinstance(exc, PayloadTooLarge):
        return metrics.REJECT_TOO_LARGE
    if isinstance(exc, exceptions.PermissionDenied):
        return metrics.REJECT_FORBIDDEN
    if isinstance(exc, DjangoValidationError | exceptions.ValidationError | exceptions.ParseError):
        return metrics.REJECT_INVALID
    return None


def exception_handler(exc, context):
    if isinstance(exc, Refusal):
        body = validation_detail(exc) if isinstance(exc, DjangoValidationError) else exc.body()
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
        set_rollback()
        return Response(body, status=exc.status_code, headers=headers)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_detail(exc))
    return drf_exception_handler(exc, context)
