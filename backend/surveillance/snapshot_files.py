"""Snapshot files, served only to whoever may see their alert.

Snapshots show people and property: an unguessable file name is not an access check. The owner of the
alert's camera (dashboard session or API token) gets the file, and so do staff users with the
``view_alert`` permission (the admin's thumbnails); anyone else gets 404, as for the alert itself,
and a request without credentials 401.
"""

from __future__ import annotations

import mimetypes

from django.http import FileResponse, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from surveillance import selectors


def _caller(request: HttpRequest):
    if request.user.is_authenticated:
        return request.user
    try:
        # The same user tokens as the API (``Authorization: Token <key>``); ingest tokens are not users.
        found = TokenAuthentication().authenticate(request)
    except AuthenticationFailed:
        return None
    return found[0] if found else None


@require_GET
def snapshot_file(request: HttpRequest, path: str) -> HttpResponse:
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
