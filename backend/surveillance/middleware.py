"""Middleware that applies to every request, whatever view or content type answers it."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from surveillance import metrics
from surveillance.ids import MAX_DIGITS

_INGEST_PATH = "/api/send-alert/"


class RequestBodyLimitMiddleware:
    """413 for a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``, before anything reads it.

    Django applies that limit to form fields only (file parts of a multipart body and DRF's parsers
    read the stream themselves). A body without Content-Length (chunked) reads as empty in Django, so
    the header is the whole story.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw = request.META.get("CONTENT_LENGTH") or "0"
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        too_large = not (raw.isascii() and raw.isdigit()) or len(raw) > MAX_DIGITS or int(raw) > limit
        if too_large and raw.strip():
            if request.path == _INGEST_PATH:
                metrics.ALERTS_REJECTED.labels(reason=metrics.REJECT_TOO_LARGE).inc()
            detail = (
                f"The request body is {raw} bytes; the limit is {limit} "
                f"(snapshots up to ALERT_IMAGE_MAX_BYTES={settings.ALERT_IMAGE_MAX_BYTES} bytes)."
            )
            return JsonResponse({"detail": detail}, status=413)
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """The ``Content-Security-Policy`` header (settings.CONTENT_SECURITY_POLICY) on every response."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response
