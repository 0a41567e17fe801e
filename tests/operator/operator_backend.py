"""An HTTP double of the backend's `/api/active-cameras/`, on the test's own event loop.

Real HTTP on a loopback port, so the operator's client runs unchanged. A real Django backend is
another component's (see tests/support/backend.py); the operator only needs this one endpoint,
and a double lets tests inject the failures a real server rarely gives on demand.
"""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from aiohttp import web

TOKEN = "operator-service-token"
MODES = ("ok", "down", "error500", "garbage", "timeout", "malformed")


def camera_payload(camera_id: int, **changes: Any) -> dict[str, Any]:
    """One item of the answer, shaped as in docs/contracts.md."""
    item = {
        "id": camera_id,
        "rtsp_url": f"rtsp://viewer:secret@192.0.2.{camera_id % 250}:554/stream{camera_id}",
        "name": f"Camera {camera_id}",
        "ingest_token": f"cam_{camera_id}_token{camera_id:04d}",
        "alert_types": ["person", "vehicle", "intrusion"],
        "confidence_threshold": 0.5,
        "frame_skip": 30,
        "detect_fps": None,
        "cooldown_seconds": 60,
        "min_box_area": 0.0,
        "zones": [{"name": "driveway", "points": [[0.1, 0.2], [0.9, 0.2], [0.9, 0.9]], "intrusion": True}],
        "updated_at": "2026-11-25T11:00:00Z",
    }
    item.update(changes)
    return item


def desired_cameras(payload: Any) -> dict[int, Any]:
    """The desired cameras of an answer in which every camera must be valid (else InvalidAnswer)."""
    from cctv_operator.sync.answer import InvalidAnswer, parse_answer

    answer = parse_answer(payload)
    if answer.rejected:
        raise InvalidAnswer(next(iter(answer.rejected.values())))
    return answer.cameras


class BackendDouble:
    def __init__(self) -> None:
        self.cameras: dict[int, dict[str, Any]] = {}
        self.mode = "ok"
        self.requests = 0
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    def activate(self, camera_id: int, **changes: Any) -> dict[str, Any]:
        self.cameras[camera_id] = camera_payload(camera_id, **changes)
        return self.cameras[camera_id]

    def deactivate(self, camera_id: int) -> None:
        del self.cameras[camera_id]

    async def _active_cameras(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        if request.headers.get("Authorization") != f"Token {TOKEN}":
            return web.json_response({"detail": "Invalid token."}, status=401)
        if self.mode == "down":
            assert request.transport is not None
            request.transport.close()  # the connection drops: the client sees the backend as unreachable
            return web.Response(status=503)
        if self.mode == "error500":
            return web.Response(status=500, text="<h1>Server Error (500)</h1>")
        if self.mode == "garbage":
            return web.Response(status=200, text='[{"id": 1, "rtsp_url": ', content_type="application/json")
        if self.mode == "timeout":
            await self._release.wait()  # longer than the operator's DJANGO_API_TIMEOUT
        if self.mode == "malformed":
            return web.json_response({"results": list(self.cameras.values())})  # a page, not a list
        return web.json_response([copy.deepcopy(self.cameras[key]) for key in sorted(self.cameras)])

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/api/active-cameras/", self._active_cameras)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()
