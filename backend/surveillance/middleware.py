"""Middleware that applies to every request, whatever view or content type answers it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, JsonResponse

from surveillance import body_limits


class RequestBodyLimitMiddleware:
    """413 for a body over its route's limit (``surveillance.body_limits``), before anything reads it.

    Django applies DATA_UPLOAD_MAX_MEMORY_SIZE to form fields only (file parts of a multipart body and
    DRF's parsers read the stream themselves). A body without Content-Length (chunked) reads as empty in
    Django under WSGI, so the header is the whole story here; under ASGI the guard in front of Django
    (``cctv_backend.asgi_guard``) also counts the bytes.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw = request.META.get("CONTENT_LENGTH")
        limit = body_limits.limit_for(
            request.path, authorization=request.META.get("HTTP_AUTHORIZATION"), content_length=raw
        )
        if body_limits.declared_too_large(raw, limit):
            body_limits.count_refusal(request.path, limit)
            return JsonResponse({"detail": limit.detail(raw or "")}, status=413)
        return self.get_response(request)


class AsyncFileStreamingMiddleware:
    """Under ASGI, streams file and other synchronous streaming responses chunk by chunk.

    Django's ASGI handler reads a synchronous ``streaming_content`` (a FileResponse: snapshots, clips,
    whitenoise's static files) into one list before sending any of it, a whole clip in memory. Here the
    iterator becomes an asynchronous one that reads each chunk in a thread, and a slow reader waits on
    the event loop, holding no thread. Under WSGI (tests, runserver) nothing changes.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if isinstance(request, ASGIRequest) and response.streaming and not response.is_async:
            response.streaming_content = _chunks_in_threads(iter(response.streaming_content))
        return response


def _next_chunk(chunks: Iterator[bytes]) -> bytes | None:
    return next(chunks, None)


async def _chunks_in_threads(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    read = sync_to_async(_next_chunk, thread_sensitive=False)
    while (chunk := await read(chunks)) is not None:
        yield chunk


class ContentSecurityPolicyMiddleware:
    """The ``Content-Security-Policy`` header (settings.CONTENT_SECURITY_POLICY) on every response."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response
