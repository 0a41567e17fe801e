"""An ASGI wrapper in front of Django: body limits before Django spools a body, and a bound on the
requests that run Django code at once.

Django's ASGI handler reads a whole request body (into a temporary file past 2.5 MB) before the view
runs, so a view's own size check would come after the bytes are on disk. This guard answers 413 (the
API's JSON error shape) from the Content-Length header before reading anything, and for a body without
one (chunked) as soon as the bytes counted pass the limit; Django then sees a disconnect and writes
nothing.

Bodies have a pace (``BodyPace``): a grace period, then a minimum average rate, and a deadline in all;
a body slower than that answers 408 and is dropped.

Slow clients: reading a body is awaiting on the event loop. Only once the whole body has arrived does a
request take one of ``concurrency`` slots and run Django's (synchronous) code in that slot's thread; the
slot is given back when the response starts. A client trickling its body or reading its answer slowly
holds a socket and a coroutine, never a slot, so probes and other users keep being served.

Each slot's thread lives as long as the process. Django's ASGI handler would otherwise run each request's
synchronous code in a new thread (asgiref's ``ThreadSensitiveContext``), so that every request opened a
database connection of its own (an API call took a median 31 ms instead of 21 ms on this loaded
machine's PostgreSQL); in a slot's thread the connection is kept (``DB_CONN_MAX_AGE``) as under WSGI.
The slot is chosen by entering asgiref's ``ThreadSensitiveContext(executor=...)`` for the rest of the
request, from within Django's read of the body (a context variable: the tasks Django starts after
reading the body inherit it).

No Django import: the limits, their messages and what counts a refusal are passed in.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from asgiref.sync import ThreadSensitiveContext

# As Django's ASGIHandler declares them: the scope a dict, messages read-only mappings.
Scope = dict[str, Any]
Message = Mapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Limit(Protocol):
    @property
    def max_bytes(self) -> int: ...  # read-only: a frozen dataclass's field satisfies it

    def detail(self, size: str | int) -> str: ...


@dataclass(frozen=True)
class BodyPace:
    """How long a body may take: ``grace`` seconds for anything, then at least ``min_rate`` bytes a
    second on average, and never more than ``max_seconds`` in all. Past it the request answers 408 and
    Django never runs: a client trickling a body holds a socket and a temporary file only that long."""

    grace: float
    min_rate: float
    max_seconds: float

    def allowed_until(self, started: float, received: int) -> float:
        """The monotonic time by which more bytes must come, for ``received`` bytes so far."""
        return started + min(self.grace + received / self.min_rate, self.max_seconds)


# The guard hands the limit that limit_for found back to declared_too_large and on_refused: one type.
L = TypeVar("L", bound=Limit)


class _Slot:
    """A thread that runs one request's synchronous code at a time, for the whole process's life."""

    def __init__(self, index: int) -> None:
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"request-{index}")


class RequestGuard(Generic[L]):
    def __init__(
        self,
        app: ASGIApp,
        *,
        limit_for: Callable[[Scope], Awaitable[L]],
        declared_too_large: Callable[[str | None, L], bool],
        on_refused: Callable[[str, L], None],
        concurrency: int,
        pace: BodyPace,
    ) -> None:
        self.app = app
        self.pace = pace
        self.limit_for = limit_for
        self.declared_too_large = declared_too_large
        self.on_refused = on_refused
        self.concurrency = concurrency
        self._slots: asyncio.Queue[_Slot] | None = None  # made on the server's event loop, at first use

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._slots is None:
            self._slots = asyncio.Queue()
            for index in range(self.concurrency):
                self._slots.put_nowait(_Slot(index))
        await _Request(self, scope, receive, send).run()


class _Request(Generic[L]):
    """One request's state: bytes counted, whether it holds a slot, whether it was refused."""

    def __init__(self, guard: RequestGuard[L], scope: Scope, receive: Receive, send: Send) -> None:
        self.guard = guard
        self.scope = scope
        self._receive = receive
        self._send = send
        self.limit: L | None = None
        self.received = 0
        self.started = time.monotonic()
        self.body_complete = False
        self.slot: _Slot | None = None
        self.in_slot_thread = contextlib.AsyncExitStack()
        self.refused = False

    async def run(self) -> None:
        # The limit may depend on who asks (a clip's large limit is for its camera and owner only): it is
        # decided from the head alone, before any byte of the body is read.
        self.limit = await self.guard.limit_for(self.scope)
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
            await self.in_slot_thread.aclose()

    async def receive(self) -> Message:
        assert self.limit is not None
        if self.body_complete:
            return await self._receive()
        wait = self.guard.pace.allowed_until(self.started, self.received) - time.monotonic()
        try:
            message = await asyncio.wait_for(self._receive(), timeout=max(wait, 0.001))
        except TimeoutError:
            await self.answer(408, _too_slow(self.guard.pace), close=True)
            return {"type": "http.disconnect"}
        if message["type"] != "http.request":
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
            self.slot = await self.guard._slots.get()
            # From here on, this request's thread-sensitive (synchronous) code runs in the slot's thread.
            await self.in_slot_thread.enter_async_context(ThreadSensitiveContext(executor=self.slot.executor))
        return message

    async def send(self, message: Message) -> None:
        if self.refused:
            return
        if message["type"] == "http.response.start":
            self.release()
        await self._send(message)

    def release(self) -> None:
        if self.slot is not None:
            assert self.guard._slots is not None
            self.guard._slots.put_nowait(self.slot)
            self.slot = None

    async def refuse(self, size: str, *, close: bool) -> None:
        assert self.limit is not None
        self.guard.on_refused(self.scope["path"], self.limit)
        await self.answer(413, self.limit.detail(size), close=close)

    async def answer(self, status: int, detail: str, *, close: bool) -> None:
        self.refused = True
        body = json.dumps({"detail": detail}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if close:
            headers.append((b"connection", b"close"))
        await self._send({"type": "http.response.start", "status": status, "headers": headers})
        await self._send({"type": "http.response.body", "body": body})


def _too_slow(pace: BodyPace) -> str:
    return (
        f"The request body came too slowly: after {pace.grace:g} s at least {pace.min_rate:g} bytes a second "
        f"(REQUEST_BODY_GRACE_SECONDS, REQUEST_BODY_MIN_RATE), and all of it within {pace.max_seconds:g} s "
        "(REQUEST_BODY_MAX_SECONDS)."
    )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None
