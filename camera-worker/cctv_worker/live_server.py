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

HLS (Safari/iOS; ``cctv_worker.capture.hls``), same key, same refusals: ``GET /hls/index.m3u8``
(``/hls/sub/index.m3u8``: the sub-stream) starts the stream's HLS session if none runs (503 ``busy``
when the sink has no place for it), answers 200 at once and sends the playlist when its first segment is
complete (within ``PLAYLIST_WAIT`` seconds, else a playlist without segments, which a player reloads),
body delimited by the close; ``?_HLS_msn=<n>&_HLS_part=<p>`` (an LL-HLS blocking reload) waits until
that partial segment exists, at most ``BLOCK_WAIT`` seconds. ``GET /hls/init.mp4``, ``GET
/hls/seg-<n>.m4s`` and ``GET /hls/part-<n>.<p>.m4s`` answer from the running
session's memory with a Content-Length, 404 when there is no session or the segment has gone. Every
request keeps the session alive; ``LIVE_HLS_IDLE_SECONDS`` after the last one it ends.
``GET /live/detections`` (the same key): the objects of the last analysed frame as JSON, for the live
view's overlay (``cctv_worker.live_detections``: bounded, alert types only, boxes normalised 0..1). It
answers at once, never waits for a frame, so a poll holds no thread longer than a write.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cctv_worker.capture.hls import HlsSessions
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
PLAYLIST_WAIT = 10.0  # a new HLS session's first segment: a keyframe, then a segment's length
HLS_PATH = re.compile(
    r"^/hls/(?:(?P<sub>sub)/)?(?:(?P<playlist>index\.m3u8)|(?P<init>init\.mp4)|seg-(?P<seq>[0-9]{1,12})\.m4s"
    r"|part-(?P<pseq>[0-9]{1,12})\.(?P<part>[0-9]{1,4})\.m4s)$"
)
# LL-HLS blocking reloads (``?_HLS_msn=<n>&_HLS_part=<p>``): answered when that part exists, or after
# BLOCK_WAIT seconds (RFC 8216bis: three target durations) with the playlist as it is; at most
# MAX_BLOCKING requests of the port wait at once, the others are answered at once.
BLOCK_WAIT = 3.0
MAX_BLOCKING = 64
BLOCKING_QUERY = re.compile(r"^_HLS_msn=(?P<msn>[0-9]{1,12})(?:&_HLS_part=(?P<part>[0-9]{1,4}))?$")
EMPTY_PLAYLIST = "#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n"


class _ListeningServer(ThreadingHTTPServer):
    # socketserver's listen backlog is 5: a burst of viewers (a wall opening, a backend replica
    # reconnecting its viewers, HLS part requests) overflowed it, the kernel dropped the SYNs, and the
    # retransmission a second or three later ran past the backend's LIVE_CONNECT_TIMEOUT_SECONDS (502).
    request_queue_size = 128
    daemon_threads = True


class LiveServer:
    def __init__(
        self,
        host: str,
        port: int,
        live: LiveSink,
        key: str,
        metrics: WorkerMetrics,
        sub: LiveSink | None = None,
        hls_idle_seconds: float = 30.0,
        detections: LatestDetections | None = None,
    ) -> None:
        expected = f"Bearer {key}".encode()
        sinks = {"/live": live, "/live/sub": sub or live}
        main_hls = HlsSessions(live, idle_timeout=hls_idle_seconds)
        self.hls = {
            "main": main_hls,
            "sub": HlsSessions(sub, idle_timeout=hls_idle_seconds) if sub else main_hls,
        }

        class Handler(BaseHTTPRequestHandler):
            timeout = REQUEST_TIMEOUT  # reading the request; the streaming below sets its own

            def do_GET(self) -> None:
                given = self.headers.get("Authorization", "").encode()
                path = self.path.split("?", 1)[0]
                if not hmac.compare_digest(given, expected):
                    metrics.live_session("unauthorized")
                    self._refuse(401, "unauthorized")
                elif (match := HLS_PATH.match(path)) is not None:
                    self._hls(
                        self.path.partition("?")[2],
                        match,
                        sinks["/live/sub" if match["sub"] else "/live"],
                        hls[match["sub"] or "main"],
                    )
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
                sent, ended = 0, "the stream ended"
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
                            ended = f"no fragment for {IDLE_TIMEOUT:g} s"  # the stream stalled
                            break
                        self.wfile.write(chunk)
                        sent += len(chunk)
                        metrics.live_bytes_sent.inc(len(chunk))
                    if viewer.dropped:
                        ended = "it fell behind (its buffer is full)"
                        metrics.live_session("dropped")
                except OSError as error:  # TimeoutError included
                    ended = f"the write failed ({error.__class__.__name__})"  # gone, or stopped reading
                    metrics.live_session("dropped")
                finally:
                    live.detach(viewer)
                    self.close_connection = True
                    log.info("live session ended: %s", ended, extra={"bytes": sent})

            def _hls(self, query: str, match: re.Match[str], sink: LiveSink, sessions: HlsSessions) -> None:
                if not match["playlist"]:
                    session = sessions.current()
                    data = None
                    if session is not None:
                        segmenter = session.segmenter
                        if match["init"]:
                            data = segmenter.init_segment or None
                        elif match["seq"]:
                            data = segmenter.segment(int(match["seq"]))
                        else:
                            data = segmenter.partial(int(match["pseq"]), int(match["part"]))
                    if data is None:
                        self._refuse(404, "not found")
                        return
                    self._answer(200, "video/mp4" if match["init"] else "video/iso.segment", data)
                    metrics.live_bytes_sent.inc(len(data))
                    return
                blocking = BLOCKING_QUERY.match(query) if query else None
                if query and blocking is None and "_HLS_msn" in query:
                    self._refuse(400, "bad request")
                    return
                if sink.codec is None:
                    metrics.live_session("down")
                    self._refuse(503, "down")
                    return
                started = not sessions.active
                session = sessions.open()
                if session is None:
                    metrics.live_session("busy")
                    self._refuse(503, "busy")
                    return
                if started:
                    metrics.live_session("started")
                wanted = None
                if blocking is not None:
                    wanted = (int(blocking["msn"]), int(blocking["part"]) if blocking["part"] else None)
                    upcoming = session.segmenter.next_part
                    if upcoming is not None and wanted[0] > upcoming[0] + 1:
                        self._refuse(400, "bad request")  # more than two segments ahead (RFC 8216bis)
                        return
                # The head now, the playlist once there is a segment: the backend's proxy reads the head in
                # a request thread and relays the body on its event loop, so the wait holds no thread there.
                self.send_response(200)
                self.send_header("Content-Type", "application/vnd.apple.mpegurl")
                self.send_header("X-Codec", sink.codec or "")
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.flush()
                session.segmenter.wait_for(0, PLAYLIST_WAIT)
                if wanted is not None and blocked.acquire(blocking=False):
                    try:
                        session.segmenter.wait_for(wanted[0], BLOCK_WAIT, part=wanted[1])
                    finally:
                        blocked.release()
                session.touch()
                self.connection.settimeout(WRITE_TIMEOUT)
                self.wfile.write((session.segmenter.playlist() or EMPTY_PLAYLIST).encode())
                self.close_connection = True

            def _answer(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.connection.settimeout(WRITE_TIMEOUT)
                self.wfile.write(body)

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

        hls = self.hls
        blocked = threading.BoundedSemaphore(MAX_BLOCKING)
        self.server = _ListeningServer((host, port), Handler)
        self._thread = threading.Thread(target=self.server.serve_forever, name="live", daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def start(self) -> None:
        self._thread.start()
        log.info("serving the live view on port %d", self.port)

    def stop(self) -> None:
        for sessions in set(self.hls.values()):
            sessions.stop()
        self.server.shutdown()
        self.server.server_close()
