"""Snapshot and clip files, served only to whoever may see their alert, with range requests.

Snapshots show people and property: an unguessable file name is not an access check. The owner of the
alert's camera (dashboard session or API token) gets the file, and so do staff users with the
``view_alert`` permission (the admin's thumbnails); anyone else gets 404, as for the alert itself,
and a request without credentials 401. Who may is decided here; how the bytes get to the browser
(streamed, or a redirect to a presigned URL of the bucket) is ``media_store.serve``'s business.
"""

from __future__ import annotations

import mimetypes

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from surveillance import media_store
from surveillance.events import selectors


def caller(request: HttpRequest) -> User | None:
    if isinstance(request.user, User):  # signed in (a session); else AnonymousUser
        return request.user
    try:
        # The same user tokens as the API (``Authorization: Token <key>``); ingest tokens are not users.
        # The stubs ask for DRF's Request; TokenAuthentication reads only the header (request.META).
        found = TokenAuthentication().authenticate(request)  # type: ignore[arg-type]
    except AuthenticationFailed:
        return None
    return found[0] if found else None


def unauthenticated() -> HttpResponse:
    return HttpResponse(
        "Authentication credentials were not provided.", status=401, headers={"WWW-Authenticate": "Token"}
    )


@require_GET
def snapshot_file(request: HttpRequest, path: str) -> HttpResponseBase:
    user = caller(request)
    if user is None:
        return unauthenticated()
    alert = selectors.snapshot_alert_of(user=user, name=path)
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    # A snapshot never changes; only this user's browser may keep it.
    return media_store.serve(request, alert.snapshot.name, content_type=content_type)


@require_GET
def clip_file(request: HttpRequest, path: str) -> HttpResponseBase:
    """An event's MP4, whole or one byte range (``Range: bytes=a-b`` -> 206): browsers seek with it."""
    user = caller(request)
    if user is None:
        return unauthenticated()
    clip = selectors.clip_of(user=user, name=path)
    return media_store.serve(request, clip.file.name, content_type="video/mp4")
