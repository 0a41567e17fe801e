"""Snapshot and clip files, served only to whoever may see their alert; clips with range requests.

Snapshots show people and property: an unguessable file name is not an access check. The owner of the
alert's camera (dashboard session or API token) gets the file, and so do staff users with the
``view_alert`` permission (the admin's thumbnails); anyone else gets 404, as for the alert itself,
and a request without credentials 401.
"""

from __future__ import annotations

import mimetypes

from django.contrib.auth.models import User
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from surveillance import selectors
from surveillance.clips import parse_range


def _caller(request: HttpRequest) -> User | None:
    if isinstance(request.user, User):  # signed in (a session); else AnonymousUser
        return request.user
    try:
        # The same user tokens as the API (``Authorization: Token <key>``); ingest tokens are not users.
        # The stubs ask for DRF's Request; TokenAuthentication reads only the header (request.META).
        found = TokenAuthentication().authenticate(request)  # type: ignore[arg-type]
    except AuthenticationFailed:
        return None
    return found[0] if found else None


@require_GET
def snapshot_file(request: HttpRequest, path: str) -> HttpResponseBase:
    user = _caller(request)
    if user is None:
        return HttpResponse(
            "Authentication credentials were not provided.", status=401, headers={"WWW-Authenticate": "Token"}
        )
    alert = selectors.snapshot_alert_of(user=user, name=path)
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    response = FileResponse(alert.snapshot.open("rb"), content_type=content_type)
    # A snapshot never changes; only this user's browser may keep it.
    response["Cache-Control"] = "private, max-age=86400"
    return response


def _unauthenticated() -> HttpResponse:
    return HttpResponse(
        "Authentication credentials were not provided.", status=401, headers={"WWW-Authenticate": "Token"}
    )


def _chunks(handle, remaining: int, size: int = 256 * 1024):
    try:
        while remaining > 0:
            chunk = handle.read(min(size, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()


@require_GET
def clip_file(request: HttpRequest, path: str) -> HttpResponseBase:
    """An event's MP4, whole or one byte range (``Range: bytes=a-b`` -> 206): browsers seek with it."""
    user = _caller(request)
    if user is None:
        return _unauthenticated()
    clip = selectors.clip_of(user=user, name=path)
    return ranged_video(request, clip.file)


def ranged_video(request: HttpRequest, file) -> HttpResponseBase:
    """A stored MP4 (a FieldFile of any storage), whole or the one byte range asked for (206); the
    access check is the caller's. Clips and recording segments are served by this."""
    size = file.size
    wanted = parse_range(request.headers.get("Range"), size)
    headers = {"Accept-Ranges": "bytes", "Cache-Control": "private, max-age=86400"}
    if wanted is False:
        return HttpResponse(status=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    handle = file.open("rb")
    if wanted is None:
        whole = FileResponse(handle, content_type="video/mp4")
        for name, value in headers.items():
            whole[name] = value
        return whole
    first, last = wanted
    handle.seek(first)
    part = StreamingHttpResponse(_chunks(handle, last - first + 1), status=206, content_type="video/mp4")
    part["Content-Length"] = str(last - first + 1)
    part["Content-Range"] = f"bytes {first}-{last}/{size}"
    for name, value in headers.items():
        part[name] = value
    return part
