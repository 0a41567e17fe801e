"""A small real HTTP server that speaks the backend's worker-facing contract (docs/contracts.md):
``POST /api/send-alert/`` with idempotency keys, ``PUT /api/cameras/<id>/events/<key>/`` (event
updates, newest revision wins), ``PUT .../events/<key>/clips/<segment>/`` (clips, stored once) and
``POST /api/cameras/<id>/heartbeat/``.

It stands in for the Django backend in delivery tests so that failures can be injected on demand:
answer with an HTTP error, answer late (after storing, the worst case for duplicates), or be down
altogether. The end-to-end test against the real backend lives in test_real_backend.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ALERT_TYPES = {"intrusion", "person", "vehicle", "suspicious", "violence", "fire", "smoke"}
_HEARTBEAT = re.compile(r"^/api/cameras/(\d+)/heartbeat/$")
_EVENT = re.compile(r"^/api/cameras/(\d+)/events/([\w-]+)/$")
_CLIP = re.compile(r"^/api/cameras/(\d+)/events/([\w-]+)/clips/(\d+)/$")


@dataclass
class Faults:
    status: int | None = None  # answer this status without storing anything
    delay_after_store: float = 0.0  # store the alert, then keep the client waiting this long
    fail_next: int = 0  # how many of the next send-alert calls get ``status`` (0: all while set)


@dataclass
class AlertBackend:
    token: str = "cam_1_secret"
    port: int = 0
    alerts: list[dict[str, Any]] = field(default_factory=list)
    heartbeats: list[dict[str, Any]] = field(default_factory=list)
    replays: int = 0
    updates: list[dict[str, Any]] = field(default_factory=list)
    clips: dict[tuple[str, int], bytes] = field(default_factory=dict)
    clip_uploads: int = 0
    requests: int = 0
    faults: Faults = field(default_factory=Faults)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[str, tuple[str, dict[str, Any]]] = {}
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ---- life cycle: stop()/start() on the same port is "backend down for a while" ----

    def start(self) -> AlertBackend:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def keys(self) -> list[str]:
        with self._lock:
            return [a["idempotency_key"] for a in self.alerts]

    # ---- the contract ----

    def _send_alert(self, headers: Any, body: bytes) -> tuple[int, dict[str, Any]]:
        try:
            data = json.loads(body)
        except ValueError:
            return 400, {"detail": "body is not JSON"}
        problems = self._validate(data)
        if problems:
            return 400, problems
        key = headers.get("Idempotency-Key") or data.get("idempotency_key")
        digest = hashlib.sha256(
            json.dumps({k: v for k, v in data.items() if k != "idempotency_key"}, sort_keys=True).encode()
        ).hexdigest()
        with self._lock:
            if key and key in self._by_key:
                first_digest, alert = self._by_key[key]
                if first_digest != digest:
                    return 422, {"detail": "idempotency key reused with another payload"}
                self.replays += 1
                return 200, alert
            alert = {"id": len(self.alerts) + 1, **data, "idempotency_key": key}
            self.alerts.append(alert)
            if key:
                self._by_key[key] = (digest, alert)
        if self.faults.delay_after_store:
            time.sleep(self.faults.delay_after_store)  # the client times out; the alert IS stored
        return 201, alert

    @staticmethod
    def _validate(data: Any) -> dict[str, str]:
        if not isinstance(data, dict):
            return {"detail": "expected an object"}
        problems = {}
        if not isinstance(data.get("camera_id"), int):
            problems["camera_id"] = "required integer"
        if data.get("alert_type") not in ALERT_TYPES:
            problems["alert_type"] = "unknown alert type"
        conf = data.get("confidence")
        if not isinstance(conf, int | float) or not 0 <= conf <= 1:
            problems["confidence"] = "must be 0..1"
        try:
            image = base64.b64decode(data.get("image_base64", ""), validate=True)
            if image and not image.startswith(b"\xff\xd8"):
                problems["image_base64"] = "not a JPEG"
        except ValueError:
            problems["image_base64"] = "not base64"
        return problems

    def event(self, key: str) -> dict[str, Any]:
        """The alert with every update applied (newest revision wins)."""
        with self._lock:
            (alert,) = [a for a in self.alerts if a["idempotency_key"] == key]
            state = dict(alert)
            for update in sorted(
                (u for u in self.updates if u["key"] == key), key=lambda u: u["revision"]
            ):
                if update["revision"] > state.get("revision", 0):
                    state.update(update)
            return state

    def _put(self, path: str, body: bytes) -> tuple[int, Any]:
        clip = _CLIP.match(path)
        if clip:
            with self._lock:
                self.clip_uploads += 1
                if clip[2] not in {a["idempotency_key"] for a in self.alerts}:
                    return 404, {"detail": "no such event"}
                self.clips.setdefault((clip[2], int(clip[3])), body)
            return 201, {"size": len(body)}
        event = _EVENT.match(path)
        if event:
            data = json.loads(body)
            with self._lock:
                if event[2] not in {a["idempotency_key"] for a in self.alerts}:
                    return 404, {"detail": "no such event"}
                self.updates.append(data)
            return 200, data
        return 404, {"detail": "not found"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        backend = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Authorization") != f"Token {backend.token}":
                    return self._answer(401, {"detail": "bad token"})
                if self.path == "/api/send-alert/":
                    with backend._lock:
                        backend.requests += 1
                        fault = backend.faults.status
                        if fault and backend.faults.fail_next:
                            backend.faults.fail_next -= 1
                            if backend.faults.fail_next == 0:
                                backend.faults.status = None
                    if fault:
                        return self._answer(fault, {"detail": "injected failure"})
                    return self._answer(*backend._send_alert(self.headers, body))
                match = _HEARTBEAT.match(self.path)
                if match:
                    with backend._lock:
                        backend.heartbeats.append({"camera": int(match[1]), **json.loads(body)})
                    return self._answer(204, None)
                return self._answer(404, {"detail": "not found"})

            def do_PUT(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Authorization") != f"Token {backend.token}":
                    return self._answer(401, {"detail": "bad token"})
                if backend.faults.status:
                    return self._answer(backend.faults.status, {"detail": "injected failure"})
                return self._answer(*backend._put(self.path, body))

            def _answer(self, status: int, payload: Any) -> None:
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
