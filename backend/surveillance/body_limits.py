"""How large a request body each route accepts, and the 413 answer past it.

One definition for both ways a request reaches Django: the ASGI guard (``cctv_backend.asgi_guard``, the
production server) refuses a body from its Content-Length before any byte is read, or as soon as the
counted bytes pass the limit; ``RequestBodyLimitMiddleware`` applies the same rule where Django is run
as WSGI (the test client, ``runserver``). Clip uploads (MP4 bodies, streamed to a file) may be up to
``CLIP_MAX_BYTES`` when their head carries a token for the addressed camera; every other body, of any
content type, up to ``DATA_UPLOAD_MAX_MEMORY_SIZE``. Other video uploads of a camera (the recordings app's
segments) register their route, limit and counter with ``register_upload``, and get the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections
from django.http import HttpRequest
from django.urls import Resolver404, resolve

from surveillance import metrics
from surveillance.ids import is_id

INGEST_PATH = "/api/send-alert/"
CLIP_UPLOAD_ROUTE = "camera-event-clip"  # the url name in surveillance/urls.py


@dataclass(frozen=True)
class VideoUpload:
    """A route whose body is a camera's MP4: its size limit's setting, its name in messages, its
    rejection counter (with a ``reason`` label)."""

    setting: str
    what: str
    rejections: Any


#: url name -> the video upload it is (clips here; recording segments register theirs).
UPLOAD_ROUTES: dict[str, VideoUpload] = {
    CLIP_UPLOAD_ROUTE: VideoUpload("CLIP_MAX_BYTES", "clip", metrics.CLIPS_REJECTED),
}


def register_upload(route: str, upload: VideoUpload) -> None:
    UPLOAD_ROUTES[route] = upload


@dataclass(frozen=True)
class BodyLimit:
    max_bytes: int
    is_clip: bool  # a video upload: a clip, or another registered one (``upload``)
    # A clip upload whose head carried no token for the addressed camera: it gets the small limit.
    unauthenticated_clip: bool = False
    upload: VideoUpload | None = None

    def detail(self, size: str | int) -> str:
        """The 413's ``detail``: the size seen (bytes, or ``more than N``), the limit and its setting."""
        if self.is_clip:
            upload = self.upload or UPLOAD_ROUTES[CLIP_UPLOAD_ROUTE]
            return f"The {upload.what} is {size} bytes; the limit is {upload.setting}={self.max_bytes}."
        if self.unauthenticated_clip:
            return (
                f"The request body is {size} bytes; without the camera's ingest token or its owner's token "
                f"in the Authorization header the limit is {self.max_bytes}."
            )
        return (
            f"The request body is {size} bytes; the limit is {self.max_bytes} "
            f"(snapshots up to ALERT_IMAGE_MAX_BYTES={settings.ALERT_IMAGE_MAX_BYTES} bytes)."
        )


def limit_for(path: str, *, authorization: str | None = None, content_length: str | None = None) -> BodyLimit:
    """The limit for a request, from its head alone. A clip upload larger than the small limit gets
    CLIP_MAX_BYTES only when ``authorization`` holds the addressed camera's ingest token or its owner's
    token (checked here, before a byte of the body is read): anyone else gets the small limit, so an
    unauthenticated client cannot make the server spool hundreds of megabytes."""
    small = BodyLimit(settings.DATA_UPLOAD_MAX_MEMORY_SIZE, is_clip=False)
    found = _upload_of(path)
    if found is None:
        return small
    camera_id, upload = found
    video = BodyLimit(getattr(settings, upload.setting), is_clip=True, upload=upload)
    raw = (content_length or "").strip()
    if is_id(raw) and int(raw) <= small.max_bytes:
        return video  # no larger than any other body
    if clip_uploader_is_authorized(camera_id, authorization):
        return video
    return BodyLimit(small.max_bytes, is_clip=False, unauthenticated_clip=True)


async def limit_for_request(scope: dict) -> BodyLimit:
    """``limit_for`` for the ASGI guard: the token check reads the database in a worker thread."""
    headers = {key.lower(): value.decode("latin-1") for key, value in scope.get("headers", ())}
    path = scope["path"]
    if _upload_of(path) is None:
        return BodyLimit(settings.DATA_UPLOAD_MAX_MEMORY_SIZE, is_clip=False)
    return await sync_to_async(_limit_in_thread, thread_sensitive=False)(
        path, headers.get(b"authorization"), headers.get(b"content-length")
    )


def _limit_in_thread(path: str, authorization: str | None, content_length: str | None) -> BodyLimit:
    try:
        return limit_for(path, authorization=authorization, content_length=content_length)
    finally:
        close_old_connections()  # this thread is not a request's: give back what it opened


def _upload_of(path: str) -> tuple[int, VideoUpload] | None:
    """(camera id, upload) of a video upload's path; None for any other path."""
    if not path.startswith("/api/cameras/"):
        return None
    try:
        match = resolve(path)
    except Resolver404:
        return None
    upload = UPLOAD_ROUTES.get(match.url_name or "")
    return (match.kwargs["pk"], upload) if upload is not None else None


def clip_uploader_is_authorized(camera_id: int, authorization: str | None) -> bool:
    """The Authorization header holds camera ``camera_id``'s ingest token, or a token of its owner that
    may write (the same rules as the view's authentication and ``_camera_for_ingest``)."""
    from rest_framework import exceptions
    from rest_framework.authentication import TokenAuthentication
    from rest_framework.request import Request

    from surveillance.access import Action, cameras_visible_to
    from surveillance.accounts.authentication import CameraIngestTokenAuthentication
    from surveillance.accounts.selectors import is_operator_service_user

    if not authorization:
        return False
    head = HttpRequest()
    head.META["HTTP_AUTHORIZATION"] = authorization
    request = Request(head)
    try:
        found = CameraIngestTokenAuthentication().authenticate(request)
        if found is not None:
            return found[1].pk == camera_id
        found = TokenAuthentication().authenticate(request)
    except exceptions.AuthenticationFailed:
        return False
    if found is None:
        return False
    user = found[0]
    # The same rule the view applies after the body is read
    # (surveillance.cameras.worker_views._camera_for_ingest).
    return (
        not is_operator_service_user(user)
        and cameras_visible_to(user, Action.CHANGE).filter(pk=camera_id).exists()
    )


def declared_too_large(content_length: str | None, limit: BodyLimit) -> bool:
    """True for a Content-Length over the limit, or one that is not a plain ASCII number."""
    raw = (content_length or "").strip()
    if not raw:
        return False
    return not is_id(raw) or int(raw) > limit.max_bytes


def count_refusal(path: str, limit: BodyLimit) -> None:
    """Counts a refused body in the metrics of what it was sent to."""
    if limit.is_clip:
        upload = limit.upload or UPLOAD_ROUTES[CLIP_UPLOAD_ROUTE]
        upload.rejections.labels(reason=metrics.REJECT_TOO_LARGE).inc()
    elif path == INGEST_PATH:
        metrics.ALERTS_REJECTED.labels(reason=metrics.REJECT_TOO_LARGE).inc()
