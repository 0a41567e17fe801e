"""The live view's backend side: where a camera's worker serves it, and the proxy of its bytes. The one
module that talks to workers.

A worker reports in its heartbeat where it serves the live view (``http://<ip>:<port>/live``), the
per-process key it asks for, and the stream's codec string. The backend takes that report from the
camera's ingest token only, keeps the IP and port only when the IP lies in LIVE_WORKER_NETWORKS (it dials
that address: a leaked ingest token must not point it at anything else), always asks for the path
``/live`` (``/live/sub``: the detection sub-stream, the camera wall's),
and sends the key in the ``Authorization`` header, never in a URL.

A viewer's session: the view checks who asks and opens the worker's stream synchronously (so the viewer
gets a real status: 503 while the stream is down or the worker's viewer limit is reached, 502 when the
worker does not answer or refuses the key); then ``WorkerStream`` relays the bytes on the server's event
loop: a session holds a socket and a coroutine, no thread. A viewer reading slowly holds the relay up
(the server's send waits), the worker's buffer for it fills, and the worker drops it. At most
LIVE_MAX_SESSIONS sessions per process; more answer 503.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import math
import re
import socket
import threading
import time
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings

from surveillance import metrics
from surveillance.models import AlertType, Camera

MAX_HEADER_BYTES = 8 * 1024  # a worker's answer head is a few lines
READ_TIMEOUT_SECONDS = 30.0  # the worker ends a stalled session after 15 s; this catches a hung worker
CHUNK_BYTES = 64 * 1024
# The kernel's receive buffer for a worker's stream: small, so that a viewer who stops reading stops the
# relay's reads soon and the worker sees it (it drops the viewer) instead of megabytes piling up here.
RECEIVE_BUFFER_BYTES = 256 * 1024

STATE_LIVE, STATE_DOWN, STATE_INACTIVE = "live", "down", "inactive"
MAX_DETECTION_OBJECTS = 50  # as the worker's cctv_worker.live_detections.MAX_OBJECTS


@dataclass(frozen=True)
class LiveAddress:
    host: str
    port: int


def parse_live_url(url: str) -> LiveAddress | None:
    """The worker's reported ``http://<ip>:<port>/live`` as an address the backend may dial, else None."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if parts.scheme != "http" or parts.path != "/live" or parts.username or parts.query:
        return None
    if not host or not port:
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None  # a name would be resolved later, by whatever DNS says then: addresses only
    networks = [ipaddress.ip_network(network, strict=False) for network in settings.LIVE_WORKER_NETWORKS]
    if not any(address in network for network in networks):
        return None
    return LiveAddress(str(address), port)


def live_state(camera: Camera, now: datetime | None = None) -> str:
    """``live`` while the worker reports a live address and the camera is online, else ``down`` (or
    ``inactive`` for a camera that runs no worker)."""
    if not camera.is_active:
        return STATE_INACTIVE
    if camera.live_host and camera.live_port and camera.is_online(now):
        return STATE_LIVE
    return STATE_DOWN


class LiveUnavailable(Exception):
    """The session cannot start: ``status`` and ``state`` are what the viewer is told."""

    def __init__(self, status: int, state: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.state, self.detail = status, state, detail


_sessions = threading.BoundedSemaphore(1)  # replaced at first use with LIVE_MAX_SESSIONS places
_sessions_ready = False
_sessions_lock = threading.Lock()


def _session_places() -> threading.BoundedSemaphore:
    global _sessions, _sessions_ready
    with _sessions_lock:
        if not _sessions_ready:
            _sessions, _sessions_ready = threading.BoundedSemaphore(settings.LIVE_MAX_SESSIONS), True
        return _sessions


HLS_NAME = re.compile(r"^(?:index\.m3u8|init\.mp4|seg-[0-9]{1,12}\.m4s|part-[0-9]{1,12}\.[0-9]{1,4}\.m4s)$")
HLS_NUMBER = re.compile(r"^[0-9]{1,12}$")


def hls_query(name: str, msn: str | None, part: str | None) -> str:
    """The query passed on to the worker: an LL-HLS blocking reload's ``_HLS_msn`` and ``_HLS_part`` of a
    playlist request, checked (digits); anything else a player adds is dropped. ValueError if malformed."""
    if name != "index.m3u8" or msn is None:
        return ""
    if not HLS_NUMBER.match(msn) or (part is not None and not HLS_NUMBER.match(part)):
        raise ValueError("_HLS_msn and _HLS_part are numbers")
    return f"?_HLS_msn={int(msn)}" + (f"&_HLS_part={int(part)}" if part is not None else "")


def open_hls(camera: Camera, name: str, *, sub: bool = False, query: str = "") -> WorkerStream:
    """Opens one HLS resource of the camera (``index.m3u8``, ``init.mp4``, ``seg-<n>.m4s``) at its worker,
    or raises ``LiveUnavailable``. The same checks and the same LIVE_MAX_SESSIONS places as a stream, held
    only while the request is relayed: a playlist's wait for a new session's first segment, or for the part
    a blocking reload asks for (both bounded by the worker, and by READ_TIMEOUT_SECONDS here), holds a
    coroutine and one of those places, never a thread. ``query``: from ``hls_query``."""
    if not HLS_NAME.match(name):
        raise LiveUnavailable(404, STATE_DOWN, "Not found.")
    if live_state(camera) != STATE_LIVE:
        raise LiveUnavailable(503, STATE_DOWN, "The camera's stream is not live.")
    places = _session_places()
    if not places.acquire(blocking=False):
        metrics.LIVE_SESSIONS.labels(result="refused").inc()
        raise LiveUnavailable(503, "busy", "This server is relaying as many live views as it may.")
    try:
        path = (f"/hls/sub/{name}" if sub else f"/hls/{name}") + query
        sock, head_rest, headers = _handshake(camera, path)
    except LiveUnavailable:
        places.release()
        raise
    stream = WorkerStream(sock, head_rest, camera.live_codec, places.release, first_frame=False)
    stream.content_type = headers.get("Content-Type", "application/octet-stream")[:64]
    return stream


def open_stream(camera: Camera, *, sub: bool = False) -> WorkerStream:
    """Opens the camera's live stream (``sub``: its detection sub-stream) at its worker, or raises
    ``LiveUnavailable``."""
    opened = time.monotonic()
    if live_state(camera) != STATE_LIVE:
        metrics.LIVE_SESSIONS.labels(result="down").inc()
        raise LiveUnavailable(503, STATE_DOWN, "The camera's stream is not live.")
    places = _session_places()
    if not places.acquire(blocking=False):
        metrics.LIVE_SESSIONS.labels(result="refused").inc()
        raise LiveUnavailable(503, "busy", "This server is relaying as many live views as it may.")
    try:
        sock, head_rest, headers = _handshake(camera, "/live/sub" if sub else "/live")
    except LiveUnavailable:
        places.release()
        raise
    metrics.LIVE_SESSIONS.labels(result="started").inc()
    codec = headers.get("X-Codec", "")[:64]
    return WorkerStream(sock, head_rest, codec or camera.live_codec, places.release, opened=opened)


def _handshake(
    camera: Camera, path: str, *, session: bool = True
) -> tuple[socket.socket, bytes, dict[str, str]]:
    """Connects to the camera's worker, asks for ``path`` and reads the answer's head: the socket, what
    followed the head, and the head's fields on a 200; else raises ``LiveUnavailable``. The connect and the
    whole head each have LIVE_CONNECT_TIMEOUT_SECONDS: a worker (or whatever answers at its address) that
    trickles its head a byte at a time is given up then, not after a timeout per byte. ``session``: the
    outcome is counted in cctv_live_sessions_total (a detections poll is no session)."""
    timeout = settings.LIVE_CONNECT_TIMEOUT_SECONDS
    host = camera.live_host or ""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        # Before connecting: the window it offers is set then.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
        sock.settimeout(timeout)
        sock.connect((host, camera.live_port))
    except OSError as exc:
        sock.close()
        _count("failed", session)
        raise LiveUnavailable(502, STATE_DOWN, "The camera's worker does not answer.") from exc
    try:
        request = f"GET {path} HTTP/1.0\r\nHost: worker\r\nAuthorization: Bearer {camera.live_key}\r\n\r\n"
        sock.sendall(request.encode())
        deadline = time.monotonic() + timeout
        head = b""
        while b"\r\n\r\n" not in head:
            _until(sock, deadline)
            chunk = sock.recv(4096)
            if not chunk or len(head) + len(chunk) > MAX_HEADER_BYTES:
                raise OSError("no answer head from the worker")
            head += chunk
    except OSError as exc:
        sock.close()
        _count("failed", session)
        raise LiveUnavailable(502, STATE_DOWN, "The camera's worker does not answer.") from exc
    head, _, rest = head.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if len(lines[0].split()) > 1 and lines[0].split()[1].isdigit() else 0
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    if status == 200:
        return sock, rest, headers
    rest = _read_rest(sock, rest)
    sock.close()
    if status == 503:
        state = _state_of(rest)
        _count("refused" if state == "busy" else "down", session)
        busy = "The camera has as many live viewers as it may."
        detail = busy if state == "busy" else "The stream is down."
        raise LiveUnavailable(503, state, detail)
    if status == 400 and path.startswith("/hls/"):
        raise LiveUnavailable(400, STATE_LIVE, "A blocking reload asked for a part too far ahead.")
    if status == 404 and path.startswith("/hls/"):
        raise LiveUnavailable(404, STATE_DOWN, "Not found (no HLS session, or the segment has gone).")
    _count("failed", session)
    raise LiveUnavailable(502, STATE_DOWN, f"The camera's worker answered {status}.")


def _count(result: str, session: bool) -> None:
    if session:
        metrics.LIVE_SESSIONS.labels(result=result).inc()


def _until(sock: socket.socket, deadline: float) -> None:
    """The socket's timeout for its next read: what is left until ``deadline`` (TimeoutError past it)."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the worker's answer took too long")
    sock.settimeout(left)


def _read_rest(sock: socket.socket, body: bytes, limit: int = MAX_HEADER_BYTES) -> bytes:
    """The rest of a short body (the worker closes after it), at most ``limit`` bytes and
    LIVE_CONNECT_TIMEOUT_SECONDS; what came until then."""
    deadline = time.monotonic() + settings.LIVE_CONNECT_TIMEOUT_SECONDS
    try:
        while len(body) < limit:
            _until(sock, deadline)
            if not (chunk := sock.recv(limit)):
                break
            body += chunk
    except OSError:  # TimeoutError included
        pass
    return body[:limit]


def _state_of(body: bytes) -> str:
    try:
        state = json.loads(body.decode()).get("state")
    except (ValueError, AttributeError):
        return STATE_DOWN
    return "busy" if state == "busy" else STATE_DOWN


class WorkerStream:
    """The bytes of one open worker stream, for ``StreamingHttpResponse`` (async). Closing it (the
    response's close, the end of the iteration, or a cancelled one) closes the socket and frees the
    session's place, once.

    Once iterated, the socket belongs to an asyncio transport on the event loop, and only that transport
    may close it: it takes the socket out of the loop's selector first. A relay cancelled while it waits
    to send (a slow viewer) leaves this generator suspended at a ``yield``, so its ``finally`` runs late or
    never; a close of the raw socket there freed the descriptor while the selector still listed it, the
    kernel gave the number to the next worker socket, and the loop, believing it already registered, never
    watched that one: the next viewer got no byte (the worker's writes piled up unread) until its player
    gave up."""

    def __init__(
        self,
        sock: socket.socket,
        first: bytes,
        codec: str,
        release,
        *,
        opened: float | None = None,
        first_frame: bool = True,
    ) -> None:
        self.codec = codec
        self.content_type = "video/mp4"
        self._sock, self._first = sock, first
        self._opened = time.monotonic() if opened is None else opened  # for the time to the first frame
        self._counted = not first_frame  # HLS requests are no stream sessions: no time to a first frame
        self._release = _Once(release)
        self._transport: asyncio.BaseTransport | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        # If the response is dropped before it is iterated (the viewer left at once), still free both.
        self._finalizer = weakref.finalize(self, _close_and_release, sock, self._release)

    def close(self) -> None:
        """Ends the session, from any thread (Django closes a response in a worker thread)."""
        self._closed = True
        transport, loop = self._transport, self._loop
        if transport is None or loop is None:
            self._finalizer()  # never handed to the event loop: the socket is closed here
            return
        self._transport = None
        self._finalizer.detach()  # the transport closes the socket
        if _running_loop() is loop:
            transport.close()
        else:
            loop.call_soon_threadsafe(transport.close)
        self._release()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._closed:
            return
        try:
            self._sock.setblocking(False)
            reader, writer = await asyncio.open_connection(sock=self._sock)
            self._transport, self._loop = writer.transport, asyncio.get_running_loop()
            if self._first:
                self._sent(self._first)
                yield self._first
            while chunk := await asyncio.wait_for(reader.read(CHUNK_BYTES), READ_TIMEOUT_SECONDS):
                self._sent(chunk)
                yield chunk
        except (OSError, TimeoutError):
            return  # the worker ended the session (the stream went down, a restart): the player reopens
        finally:
            self.close()

    def _sent(self, chunk: bytes) -> None:
        if not self._counted:
            # The worker's body starts when the first keyframe is muxed (init segment and fragment at once).
            self._counted = True
            metrics.LIVE_FIRST_FRAME.observe(time.monotonic() - self._opened)
        metrics.LIVE_BYTES_SENT.inc(len(chunk))


class _Once:
    """Calls ``action`` the first time it is called, from whichever thread; later calls do nothing."""

    def __init__(self, action) -> None:
        self._action: object = action
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            action, self._action = self._action, None
        if callable(action):
            action()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _close_and_release(sock: socket.socket, release) -> None:
    try:
        sock.close()
    finally:
        release()


MAX_DETECTIONS_BYTES = 64 * 1024  # the worker sends at most 50 objects (~6 KB); more is not a worker's


def read_detections(camera: Camera) -> dict:
    """The objects of the last frame the camera's worker analysed (``GET /live/detections`` at the
    worker, with its live key), each given the alert type's display name as ``label``; else raises
    ``LiveUnavailable``. Short and synchronous: the worker answers at once from memory; the head and the
    body each get LIVE_CONNECT_TIMEOUT_SECONDS in all, however the bytes trickle in."""
    if live_state(camera) != STATE_LIVE:
        raise LiveUnavailable(503, STATE_DOWN, "The camera's stream is not live.")
    sock, rest, _ = _handshake(camera, "/live/detections", session=False)
    try:
        body = _read_rest(sock, rest, MAX_DETECTIONS_BYTES + 1)
    finally:
        sock.close()
    if len(body) > MAX_DETECTIONS_BYTES:
        raise LiveUnavailable(502, STATE_DOWN, "The camera's worker answered too much.")
    try:
        return _detections_of(json.loads(body))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise LiveUnavailable(502, STATE_DOWN, "The camera's worker answered nonsense.") from exc


def _detections_of(raw: dict) -> dict:
    """Only the fields of the contract, checked, passed on: a worker's body is not echoed blindly."""
    captured_at = raw["captured_at"]
    objects = []
    for item in raw["objects"][:MAX_DETECTION_OBJECTS]:
        box = [_finite(v) for v in item["box"]]
        if len(box) != 4:
            raise ValueError("a box has four numbers")
        alert_type = str(item["alert_type"])
        label = AlertType(alert_type).label if alert_type in AlertType.values else alert_type
        confidence = item.get("confidence")
        objects.append(
            {
                "alert_type": alert_type,
                "label": label,
                "confidence": None if confidence is None else _finite(confidence),
                "track_id": int(item["track_id"]),
                "box": [min(1.0, max(0.0, v)) for v in box],
            }
        )
    return {
        "captured_at": None if captured_at is None else _finite(captured_at),
        "objects": objects,
    }


def _finite(value: object) -> float:
    number = float(value)  # type: ignore[arg-type]  # a wrong type raises: the worker's body is refused
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number
