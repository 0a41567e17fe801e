"""A real HTTP webhook receiver on loopback for tests: records every request, answers what it is told.

    with WebhookReceiver() as receiver:
        receiver.responses = [503, 503]        # then 200 for everything after
        ... point a channel at receiver.url ...
        request = receiver.wait_for(1)[0]

It can be stopped and started again on the same port (a receiver that is down for a while).
"""

from __future__ import annotations

import random
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from support.net import free_port, worker_block


def free_port_below_ephemeral() -> int:
    """A free port outside the kernel's ephemeral range: connecting to it while nobody listens can never
    end in a TCP self-connect (source port == destination port), which would then hold the port."""
    if worker_block() is not None:  # under xdist: this worker's own block, below the ephemeral range too
        return free_port()
    with open("/proc/sys/net/ipv4/ip_local_port_range") as ports:
        low = int(ports.read().split()[0])
    for _ in range(200):
        port = random.randrange(max(1024, low - 12000), low)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return free_port()


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.time() when it arrived
    status: int  # what the receiver answered


@dataclass
class WebhookReceiver:
    port: int = field(default_factory=free_port_below_ephemeral)
    # Answers for the next requests: a status, or (status, {headers}); 200 once the list is used up.
    responses: list = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    # Seconds to wait before answering (keeps deliveries in flight, as a slow receiver does).
    delay: float = 0.0

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if receiver.delay:
                    time.sleep(receiver.delay)  # the receiver's own slowness, not a test waiting
                with receiver._lock:
                    answer = receiver.responses.pop(0) if receiver.responses else 200
                    status, headers = answer if isinstance(answer, tuple) else (answer, {})
                    receiver.requests.append(
                        Received(self.path, dict(self.headers.items()), body, time.time(), status)
                    )
                    receiver._lock.notify_all()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        return Handler

    def start(self) -> WebhookReceiver:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def delivery_ids(self) -> list[str]:
        with self._lock:
            return [request.headers["X-CCTV-Delivery"] for request in self.requests if request.status < 300]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The first ``count`` requests, waiting up to ``timeout`` seconds for them."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self.requests)} of {count} requests within {timeout} s")
                self._lock.wait(left)
            return list(self.requests[:count])

    def __enter__(self) -> WebhookReceiver:
        return self if self._server is not None else self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
