"""An ASGI wrapper in front of Django: body limits before Django spools a body, and a bound on the
requests that run Django code at once.

Django's ASGI handler reads a whole request body (into a temporary file past 2.5 MB) before the view
runs, so a view's own size check would come after the bytes are on disk. This guard answers 413 (the
API's JSON error shape) from the Content-Length header before reading anything, and for a body without
one (chunked) as soon as the bytes counted pass the limit; Django then sees a disconnect and writes
nothing.

Slow clients: reading a body is awaiting on the event loop. Only once the whole body has arrived does a
request take one of ``concurrency`` slots and run Django's (synchronous) code in a thread; the slot is
given back when the response starts. A client trickling its body or reading its answer slowly holds a
socket and a coroutine, never a slot, so probes and other users keep being served.

Pure ASGI (no Django import): the limits, their messages and what counts a refusal are passed in.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Protocol

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Limit(Protocol):
    max_bytes: int

    def detail(self, size: str | int) -> str: ...


class RequestGuard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        limit_for: Callable[[str], Limit],
        declared_too_large: Callable[[str | None, Limit], bool],
        on_refused: Callable[[str, Limit], None],
        concurrency: int,
    ) -> None:
        self.app = app
        self.limit_for = limit_for
        self.declared_too_large = declared_too_large
        self.on_refused = on_refused
        self.concurrency = concurrency
        self._slots: asyncio.Semaphore | None = None  # made on the server's event loop, at first use

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.concurrency)
        await _Request(self, scope, receive, send).run()


class _Request:
    """One request's state: bytes counted, whether it holds a slot, whether it was refused."""

    def __init__(self, guard: RequestGuard, scope: Scope, receive: Receive, send: Send) -> None:
        self.guard = guard
        self.scope = scope
        self._receive = receive
        self._send = send
        self.limit = guard.limit_for(scope["path"])
        self.received = 0
        self.body_complete = False
        self.holding = False
        self.refused = False

    async def run(self) -> None:
        declared = _header(self.scope, b"content-length")
        if self.guard.declared_too_large(declared, self.limit):
            # The server reads and drops the declared body after the answer, so that the client, which
            # sends it all before it reads, sees the 413.
            await self.refuse(declared or "", close=False)
            return
        try:
            await self.guard.app(self.scope, self.receive, self.send)
        finally:
            self.release()

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] != "http.request" or self.body_complete:
            return message
        self.received += len(message.get("body", b""))
        if self.received > self.limit.max_bytes:
            # A chunked body has no end to wait for: the connection is closed after the answer.
            await self.refuse(f"more than {self.limit.max_bytes}", close=True)
            # Django drops a request whose client went away: it answers nothing and writes nothing.
            return {"type": "http.disconnect"}
        if not message.get("more_body", False):
            self.body_complete = True
            assert self.guard._slots is not None
            await self.guard._slots.acquire()
            self.holding = True
        return message

    async def send(self, message: Message) -> None:
        if self.refused:
            return
        if message["type"] == "http.response.start":
            self.release()
        await self._send(message)

    def release(self) -> None:
        if self.holding:
            self.holding = False
            assert self.guard._slots is not None
            self.guard._slots.release()

    async def refuse(self, size: str, *, close: bool) -> None:
        self.refused = True
        self.guard.on_refused(self.scope["path"], self.limit)
        body = json.dumps({"detail": self.limit.detail(size)}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if close:
            headers.append((b"connection", b"close"))
        await self._send({"type": "http.response.start", "status": 413, "headers": headers})
        await self._send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None
