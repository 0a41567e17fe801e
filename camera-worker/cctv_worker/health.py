"""The worker's HTTP port (METRICS_PORT): ``/metrics`` for Prometheus, ``/healthz`` (the main loop is
alive: the liveness probe) and ``/readyz`` (the stream is connected and frames are recent). The shared
detector serves its port with the same server, its own checks and scrape."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

log = logging.getLogger(__name__)

Check = Callable[[], tuple[bool, dict[str, object]]]


class HealthServer:
    """``scrape``: the ``/metrics`` body; by default the registry's series."""

    def __init__(
        self,
        host: str,
        port: int,
        registry: CollectorRegistry,
        *,
        live: Check,
        ready: Check,
        scrape: Callable[[], bytes] | None = None,
    ) -> None:
        metrics_body = scrape or (lambda: generate_latest(registry))

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    self._send(200, metrics_body(), CONTENT_TYPE_LATEST)
                elif path in ("/healthz", "/readyz"):
                    ok, detail = (live if path == "/healthz" else ready)()
                    body = json.dumps({"status": "ok" if ok else "fail", **detail}).encode()
                    self._send(200 if ok else 503, body, "application/json")
                else:
                    self._send(404, b'{"status": "not found"}', "application/json")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # scrapes and probes every few seconds would flood the log

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, name="health", daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def start(self) -> None:
        self._thread.start()
        log.info("serving /metrics, /healthz, /readyz on port %d", self.port)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
