"""How large a request body each route accepts, and the 413 answer past it.

One definition for both ways a request reaches Django: the ASGI guard (``cctv_backend.asgi_guard``, the
production server) refuses a body from its Content-Length before any byte is read, or as soon as the
counted bytes pass the limit; ``RequestBodyLimitMiddleware`` applies the same rule where Django is run
as WSGI (the test client, ``runserver``). Clip uploads (MP4 bodies, streamed to a file) may be up to
``CLIP_MAX_BYTES``; every other body, of any content type, up to ``DATA_UPLOAD_MAX_MEMORY_SIZE``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import Resolver404, resolve

from surveillance import metrics
from surveillance.ids import is_id

INGEST_PATH = "/api/send-alert/"
CLIP_UPLOAD_ROUTE = "camera-event-clip"  # the url name in surveillance/urls.py


@dataclass(frozen=True)
class BodyLimit:
    max_bytes: int
    is_clip: bool

    def detail(self, size: str | int) -> str:
        """The 413's ``detail``: the size seen (bytes, or ``more than N``), the limit and its setting."""
        if self.is_clip:
            return f"The clip is {size} bytes; the limit is CLIP_MAX_BYTES={self.max_bytes}."
        return (
            f"The request body is {size} bytes; the limit is {self.max_bytes} "
            f"(snapshots up to ALERT_IMAGE_MAX_BYTES={settings.ALERT_IMAGE_MAX_BYTES} bytes)."
        )


def limit_for(path: str) -> BodyLimit:
    if path.startswith("/api/cameras/"):
        try:
            is_clip = resolve(path).url_name == CLIP_UPLOAD_ROUTE
        except Resolver404:
            is_clip = False
        if is_clip:
            return BodyLimit(settings.CLIP_MAX_BYTES, is_clip=True)
    return BodyLimit(settings.DATA_UPLOAD_MAX_MEMORY_SIZE, is_clip=False)


def declared_too_large(content_length: str | None, limit: BodyLimit) -> bool:
    """True for a Content-Length over the limit, or one that is not a plain ASCII number."""
    raw = (content_length or "").strip()
    if not raw:
        return False
    return not is_id(raw) or int(raw) > limit.max_bytes


def count_refusal(path: str, limit: BodyLimit) -> None:
    """Counts a refused body in the metrics of what it was sent to."""
    if limit.is_clip:
        metrics.CLIPS_REJECTED.labels(reason=metrics.REJECT_TOO_LARGE).inc()
    elif path == INGEST_PATH:
        metrics.ALERTS_REJECTED.labels(reason=metrics.REJECT_TOO_LARGE).inc()
