"""The worker's live port (LIVE_PORT): ``GET /live`` streams the camera as fragmented MP4 to the backend,
which authenticates viewers and proxies the bytes; nobody else may call it. ``GET /live/sub`` streams the
detection sub-stream (the camera wall's): the same as ``/live`` where the worker reads one stream only.

Who may call: whoever sends ``Authorization: Bearer <live key>``. The key is made at start-up (random,
per process) and reported to the backend in the heartbeat, over the worker's authenticated channel; it
never appears in a URL. Before the key is checked only the request line and headers are read (the
request has no body), within ``REQUEST_TIMEOUT`` seconds: a client that trickles them loses its
connection. On Kubernetes the chart's NetworkPolicy admits only the backend to this port.

The answer: 401 without the right key; 404 for any other path; 503 with ``{"state": "down"}`` while the
stream is disconnected and ``{"state": "busy"}`` when LIVE_MAX_VIEWERS are watching; else 200, body
``video/mp4`` (the init segment, then fragments from a keyframe on) until the viewer leaves, falls
behind (its buffer full, or a write blocked for ``WRITE_TIMEOUT``), or the stream ends. The body is
delimited by the connection's close (HTTP/1.0), the codec string is in the ``X-Codec`` header.

``GET /live/detections`` (the same key): the objects of the last analysed frame as JSON, for the live
view's overlay (``cctv_worker.live_detections``: bounded, alert types only, boxes normalised 0..1). It
answers at once, never waits for a frame, so a poll holds no thread longer than a write.
"""

from __future__ import annotations

import hmac
import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cctv_worker.capture.live import LiveSink
from cctv_worker.live_detections import LatestDetections
from cctv_worker.metrics import WorkerMetrics

log = logging.getLogger(__name__)

REQUEST_TIMEOUT = 5.0  # seconds to send the request line and headers
WRITE_TIMEOUT = 5.0  # a write that blocks this long (the reader stopped reading) drops the viewer
# The kernel's send buffer per viewer: small, so that a viewer's backlog is counted in its own buffer
# (LIVE_BUFFER_BYTES) and a reader that stops is noticed, not hidden behind megabytes of socket buffer.
SEND_BUFFER_BYTES = 256 * 1024
IDLE_TIMEOUT = 15.0  # no fragment for this long (a stalled stream): the session ends, the player reopens


class LiveServer:
    def __init__(
        self,
        host: str,
        port: int,
        live: LiveSink,
        key: str,
        metrics: WorkerMetrics,
        sub: LiveSink | None = None,
        detections: LatestDetections | None = None,
    ) -> None:
        expected = f"Bearer {key}".encode()
        sinks = {"/live": live, "/live/sub": sub or live}

        class Handler(BaseHTTPRequestHandler):
            timeout = REQUEST_TIMEOUT  # reading the request; the streaming below sets its own

            def do_GET(self) -> None:
                given = self.headers.get("Authorization", "").encode()
                if not hmac.compare_digest(given, expected):
                    metrics.live_session("unauthorized")
                    self._refuse(401, "unauthorized")
                elif self.path.split("?", 1)[0] == "/live/detections" and detections is not None:
                    self._json(200, detections.body())
                elif (sink := sinks.get(self.path.split("?", 1)[0])) is None:
                    self._refuse(404, "not found")
                elif sink.codec is None:
                    metrics.live_session("down")
                    self._refuse(503, "down")
                else:
                    self._stream(sink)

            def _stream(self, live: LiveSink) -> None:
                viewer = live.attach()
                if viewer is None:
                    metrics.live_session("busy")
                    self._refuse(503, "busy")
                    return
                metrics.live_session("started")
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "video/mp4")
                    self.send_header("X-Codec", live.codec or "")
                    self.send_header("Cache-Control", "no-store")
                    self.end_headers()
                    self.wfile.flush()
                    self.connection.settimeout(WRITE_TIMEOUT)
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
                    while (chunk := viewer.next_chunk(IDLE_TIMEOUT)) is not None:
                        if not chunk:
                            break  # no fragment for IDLE_TIMEOUT: the stream stalled
                        self.wfile.write(chunk)
                        metrics.live_bytes_sent.inc(len(chunk))
                    if viewer.dropped:
                        metrics.live_session("dropped")
                except OSError:  # TimeoutError included
                    metrics.live_session("dropped")  # gone, or stopped reading
                finally:
                    live.detach(viewer)
                    self.close_connection = True

            def _refuse(self, status: int, state: str) -> None:
                self._json(status, json.dumps({"state": state}).encode())

            def _json(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass  # the sessions are counted; a log line per request would only add noise

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, name="live", daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def start(self) -> None:
        self._thread.start()
        log.info("serving the live view on port %d", self.port)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
