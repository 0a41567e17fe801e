"""gunicorn's worker class for the backend: uvicorn's (an event loop per process) with the settings that
keep slow clients from starving it. gunicorn_conf selects it; ``cctv_backend.asgi:application`` is the app.

With gthread, each connection held a thread while its client sent its request, so a few clients
trickling headers or bodies took every thread and `/healthz` timed out. Here a connection waiting for
bytes is a socket on the event loop; Django runs only once a request has fully arrived
(``cctv_backend.asgi_guard``). On top of uvicorn's own limits (h11: a request head of at most
``h11_max_incomplete_event_size`` bytes; idle keep-alive connections closed after gunicorn's
``keepalive``), this adds:

- a deadline for the request head: a connection that has not sent a complete request line and headers
  within ``GUNICORN_HEADER_TIMEOUT`` seconds of opening (on a kept-alive connection: of the next
  request's first byte) is closed, as nginx's ``client_header_timeout`` does, so trickled headers cannot
  keep a socket for ever;
- at most gunicorn's ``worker_connections`` connections per process; past it, requests answer 503;
- a worker whose arbiter is gone shuts down (within a second), as gunicorn's own workers do.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn_worker import UvicornWorker

from cctv_backend.env import env_float

log = logging.getLogger(__name__)

HEADER_TIMEOUT = env_float("GUNICORN_HEADER_TIMEOUT", 10.0, minimum=1.0, maximum=300.0)
# A request line and headers larger than this answer 400 (h11's default, 16 KiB, stated).
MAX_REQUEST_HEAD_BYTES = 16 * 1024


class HeadDeadlineH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request head does not arrive in time."""

    _head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_deadline()

    def on_response_complete(self) -> None:
        # Between requests an idle kept-alive connection is uvicorn's to close (gunicorn's ``keepalive``).
        # Armed here, the deadline overruled a longer keep-alive and closed idle connections just as
        # clients reused them ("connection reset" on a wall's next request).
        self._disarm_head_deadline()
        super().on_response_complete()
        if self._next_head_begun():
            self._arm_head_deadline()  # pipelined: the next head's first bytes are already here

    def data_received(self, data: bytes) -> None:
        if self._head_deadline is None and self.conn.their_state is h11.IDLE and data:
            self._arm_head_deadline()  # the first bytes of the next request on a kept-alive connection
        super().data_received(data)

    def _next_head_begun(self) -> bool:
        buffered, _ = self.conn.trailing_data
        return not self.transport.is_closing() and self.conn.their_state is h11.IDLE and bool(buffered)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_deadline()
        super().connection_lost(exc)

    def _arm_head_deadline(self) -> None:
        self._disarm_head_deadline()
        self._head_deadline = self.loop.call_later(HEADER_TIMEOUT, self._head_deadline_passed)

    def _disarm_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_deadline_passed(self) -> None:
        self._head_deadline = None
        # IDLE: the client has not finished a request head since the deadline was set. Once it has,
        # the request is running or its body arriving, and the deadline does not apply.
        waiting_for_head = self.conn.their_state is h11.IDLE
        idle = self.cycle is None or self.cycle.response_complete
        if waiting_for_head and idle and not self.transport.is_closing():
            # Logged: a burst of clients on a starved machine once lost a viewer this way, unexplained.
            log.warning("closed a connection whose request head did not arrive within %g s", HEADER_TIMEOUT)
            self.transport.close()


class DenyingWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O WebSocket protocol, with a refused upgrade (the WebSocket denial response: the
    live view's 401, 403, 404, 503) counted as a finished handshake. uvicorn's own logged "ASGI callable
    returned without completing handshake" at ERROR after every refusal, which alerting on the log's
    level would page for (uvicorn pull request 3138; its wsproto protocol already does this)."""

    async def send(self, message) -> None:  # type: ignore[no-untyped-def]
        await super().send(message)
        if message["type"] == "websocket.http.response.body" and not message.get("more_body", False):
            self.handshake_complete = True


class Worker(UvicornWorker):
    """``worker_class = "cctv_backend.server.Worker"``: uvicorn on asyncio with h11, limits set."""

    CONFIG_KWARGS = {
        "loop": "asyncio",
        "http": HeadDeadlineH11Protocol,
        "h11_max_incomplete_event_size": MAX_REQUEST_HEAD_BYTES,
        # Django has no lifespan events; "auto" would log that it found none at every start.
        "lifespan": "off",
        # Django decides about X-Forwarded-* (NUM_PROXIES); uvicorn would otherwise rewrite the client
        # address that login throttles are keyed by.
        "proxy_headers": False,
        "server_header": False,
        # The live view's WebSocket (surveillance.cameras.live_ws): the websockets library's sans-I/O protocol
        # (a send waits while the socket's buffer is full, so a slow viewer holds the relay up). Viewers send
        # nothing, so their messages are capped small; video does not compress: no per-message deflate.
        "ws": DenyingWebSocketProtocol,
        "ws_max_size": 4096,
        "ws_per_message_deflate": False,
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.config.limit_concurrency = self.cfg.worker_connections
        # uvicorn calls callback_notify every timeout_notify seconds: once a second, so that a worker
        # notices a dead arbiter as soon as gunicorn's own workers do.
        self.config.timeout_notify = 1

    async def callback_notify(self) -> None:
        # gunicorn's own workers exit when their arbiter is gone; uvicorn's keep serving, as orphans
        # holding the port, after the arbiter is killed (a crash, SIGKILL, the laptop product's stop).
        if os.getppid() != self.ppid:
            self.log.info("Parent changed, shutting down: %s", self)
            os.kill(os.getpid(), signal.SIGTERM)  # uvicorn's graceful shutdown
            return
        self.notify()
