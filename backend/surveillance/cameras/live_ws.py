"""The live view over a WebSocket (fragmented MP4 in binary messages, as go2rtc's MSE mode sends it):
``/api/cameras/<id>/live/ws/`` and ``/api/cameras/<id>/live/sub/ws/``. An ASGI app in front of Django's.

Nothing here decides who may watch: the upgrade request is handed to Django as a GET of the matching
streaming route (``/api/cameras/<id>/live/stream/``, ``…/sub/stream/``), through the same middleware,
authentication (the session cookie or the ``Authorization`` header; never a token in the URL), tenancy
and limits (LIVE_MAX_SESSIONS, the worker's LIVE_MAX_VIEWERS). Its answer decides: a 200 streaming
response is relayed, one binary message per chunk, until either side ends; any other answer refuses the
upgrade with that status and body (the WebSocket denial response; where the server lacks it, the socket
is closed with code 4000 + status).

What is checked before Django: the path's shape, and the ``Origin`` header. WebSockets have no CORS and
the browser sends the session cookie with an upgrade from any page it counts as same-site (another
subdomain, another port), so such a page could watch with the viewer's session (cross-site WebSocket
hijacking): an upgrade whose Origin is not this server's own (or one of CSRF_TRUSTED_ORIGINS) is refused
403 before anything else. A client without an Origin (not a browser: no ambient cookie to abuse) passes
on to authentication as any API client does.

A slow viewer: the server's send waits (the WebSocket's write buffer is bounded), the relay stops reading
from the worker, the worker's buffer for the viewer fills and it drops the session: the socket closes.
The viewer's close, or any message it sends, ends the relay at once (a viewer has nothing to say).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core import signals
from django.core.handlers.asgi import ASGIHandler, ASGIRequest
from django.db import close_old_connections

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

PATH = re.compile(r"^/api/cameras/(?P<pk>[0-9]{1,12})/live/(?P<sub>sub/)?ws/$")
DENIAL = "websocket.http.response"


def stream_path(path: str) -> str | None:
    """The streaming route an upgrade path stands for, or None (not a live WebSocket path)."""
    match = PATH.match(path)
    if match is None:
        return None
    return f"/api/cameras/{match['pk']}/live/{match['sub'] or ''}stream/"


def origin_allowed(origin: str | None, host: str | None, scheme: str) -> bool:
    """No Origin (not a browser), or the server's own origin, or a trusted one (CSRF_TRUSTED_ORIGINS)."""
    if origin is None:
        return True
    if origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    own_scheme = "https" if scheme in ("wss", "https") else "http"
    return bool(host) and parts.scheme == own_scheme and parts.netloc.lower() == (host or "").lower()


class LiveWebSocket:
    """``application = LiveWebSocket(guarded_app, django_handler)``: WebSocket scopes on the live paths
    are served here; everything else goes to ``app``."""

    def __init__(self, app: Callable[..., Awaitable[None]], django: ASGIHandler) -> None:
        self.app, self.django = app, django

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        connect = await receive()
        if connect.get("type") != "websocket.connect":
            return
        target = stream_path(scope.get("path", ""))
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]
        }
        if target is None:
            await _deny(scope, send, 404, {"detail": "Not found."})
            return
        if not origin_allowed(headers.get("origin"), headers.get("host"), scope.get("scheme", "ws")):
            await _deny(scope, send, 403, {"detail": "This origin may not open the live view."})
            return
        await self._relay(scope, receive, send, target)

    async def _relay(self, scope: Scope, receive: Receive, send: Send, target: str) -> None:
        http_scope = {
            **scope,
            "type": "http",
            "method": "GET",
            "path": target,
            "raw_path": target.encode(),
            "query_string": b"",
            "scheme": "https" if scope.get("scheme") == "wss" else "http",
            "http_version": "1.1",
        }
        await signals.request_started.asend(sender=ASGIHandler, scope=http_scope)
        # Django's synchronous parts (middleware, the view, its database connection) run in a thread of
        # this upgrade's own, as Django's handler gives each request: outside such a context they would all
        # share one thread, and a wall opening many tiles at once would wait for each handshake in turn.
        async with ThreadSensitiveContext():
            try:
                request = ASGIRequest(http_scope, io.BytesIO())
                response = await self.django.get_response_async(request)
                if response.status_code != 200 or not response.streaming:
                    body = getattr(response, "content", b"")  # a refusal is a plain (rendered) response
                    await _deny(scope, send, response.status_code, body, response.get("Content-Type"))
                    await sync_to_async(response.close)()
                    return
            finally:
                await sync_to_async(close_old_connections)()  # the session's database work is done
        try:
            await self._accept_and_pump(receive, send, response)
        finally:
            # Frees the session's place and the worker's socket, once, however the relay ended: the
            # viewer may have gone before the accept (the server then raises on it). In a worker thread,
            # as Django's own handler closes a response: the close sends ``request_finished``, whose
            # receivers (closing database connections, the audit record of the view's end) are sync code
            # that must not run on the event loop.
            await sync_to_async(response.close, thread_sensitive=False)()

    async def _accept_and_pump(self, receive: Receive, send: Send, response: Any) -> None:
        await send({"type": "websocket.accept"})
        relay = asyncio.ensure_future(_pump(response, send))
        viewer = asyncio.ensure_future(receive())  # a close (or anything: a viewer has nothing to say)
        try:
            await asyncio.wait({relay, viewer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (relay, viewer):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            if (
                not viewer.done()
                or viewer.cancelled()
                or viewer.result().get("type") != "websocket.disconnect"
            ):
                with contextlib.suppress(Exception):  # already gone
                    await send({"type": "websocket.close", "code": 1000})


async def _pump(response: Any, send: Send) -> None:
    async for chunk in response.streaming_content:
        await send({"type": "websocket.send", "bytes": bytes(chunk)})


async def _deny(
    scope: Scope, send: Send, status: int, body: Any, content_type: str | None = "application/json"
) -> None:
    if DENIAL in scope.get("extensions", {}):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        await send(
            {
                "type": "websocket.http.response.start",
                "status": status,
                "headers": [(b"content-type", (content_type or "application/json").encode())],
            }
        )
        await send({"type": "websocket.http.response.body", "body": data})
    else:
        await send({"type": "websocket.close", "code": 4000 + status})
