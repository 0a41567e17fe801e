"""One HTTP(S) request to the very address the outbound policy checked, under one deadline.

Why not ``requests``: it resolves the host a second time (a DNS answer that changes between the check
and the connection, "rebinding", would send the request elsewhere) and its timeout is per socket read
(a receiver sending a byte every few seconds holds a sender for ever). Here the caller passes the checked
address; the TCP connection goes there while the ``Host`` header, TLS SNI and certificate verification
stay on the URL's name; and a watchdog shuts the socket at the deadline, whatever the receiver does.

No redirects and no body read: the caller gets the status, the reason phrase and the headers.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import SplitResult


class DeadlinePassed(TimeoutError):
    """The attempt's deadline passed (connecting, sending or waiting for the answer)."""


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    headers: http.client.HTTPMessage


class _PinnedConnection(http.client.HTTPSConnection):
    """Connects to ``address``; TLS (when ``tls``) names ``name`` for SNI and the certificate check."""

    def __init__(self, address: str, port: int, *, name: str, tls: bool, timeout: float) -> None:
        self._tls_context = ssl.create_default_context()  # verifies the certificate against ``name``
        super().__init__(address, port, timeout=timeout, context=self._tls_context)
        self._name = name
        self._tls = tls

    def connect(self) -> None:
        self.sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._tls:
            self.sock = self._tls_context.wrap_socket(self.sock, server_hostname=self._name)


def post(
    parts: SplitResult,
    address: str,
    *,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
) -> Answer:
    """POSTs ``body`` to ``parts`` (a checked URL) at ``address``; ``DeadlinePassed`` after ``timeout``
    seconds in all; ``OSError`` (``ssl.SSLError`` included) or ``http.client.HTTPException`` on failure."""
    name = parts.hostname or ""
    tls = parts.scheme == "https"
    port = parts.port or (443 if tls else 80)
    deadline = time.monotonic() + timeout
    connection = _PinnedConnection(address, port, name=name, tls=tls, timeout=timeout)
    expired = threading.Event()

    def cut() -> None:
        expired.set()
        sock = connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)

    watchdog = threading.Timer(timeout, cut)
    watchdog.daemon = True
    watchdog.start()
    host_header = name if ":" not in name else f"[{name}]"
    if parts.port:
        host_header += f":{parts.port}"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", target, body=body, headers={"Host": host_header, **headers})
        response = connection.getresponse()
        return Answer(response.status, response.reason or "", response.headers)
    except (OSError, http.client.HTTPException) as error:
        if expired.is_set() or time.monotonic() >= deadline:
            raise DeadlinePassed(f"no answer within {timeout:g} s") from None
        raise error
    finally:
        watchdog.cancel()
        connection.close()
