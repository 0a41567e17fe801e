"""One camera watched live, for the live view's end-to-end tests (the WebSocket and HTTP relay, HLS, the
detection overlay): a real RTSP server looping a street scene, the real backend (gunicorn with uvicorn
workers: the relay needs the ASGI server) and the camera's real worker process, ready once the worker has
reported its live address.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest

from support.backend import RunningBackend, start_backend
from support.footage import vtest_avi
from support.rtsp_server import RtspServer, gstreamer_available, start_rtsp_server
from support.worker_process import QUICK_WORKER_ENV, WorkerProcess, camera_env

# No detector answers: the live view needs capture only, and the test's CPU stays free.
NO_DETECTOR = {"DETECTOR_URL": "grpc://127.0.0.1:1"}


def wait_for(
    condition: Callable[[], Any], timeout: float, what: str, state: Callable[[], Any] | None = None
) -> Any:
    """Poll ``condition`` until it returns something truthy; fail naming ``what`` after ``timeout`` s (and
    what ``state`` says then, where given: a page's players, for one)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)  # polling a condition with a deadline, not timing
    raise AssertionError(f"not within {timeout} s: {what}" + (f"; then: {state()!r}" if state else ""))


@dataclass
class LiveSite:
    backend: RunningBackend
    camera: dict
    worker: WorkerProcess
    rtsp: RtspServer

    def viewers(self) -> float:
        """The worker's own count of its live viewers (WebSocket, HTTP and HLS sessions)."""
        return self.worker.value("cctv_live_viewers", camera=str(self.camera["id"]))

    def rtsp_sessions(self) -> int:
        """Connections open at the RTSP server's port: the sessions the camera itself would see."""
        return sum(
            1
            for conn in psutil.net_connections(kind="tcp")
            if conn.laddr and conn.laddr.port == self.rtsp.port and conn.status == psutil.CONN_ESTABLISHED
        )


@contextlib.contextmanager
def one_camera_live(
    tmp: Path, *, name: str = "Gate", camera: Mapping[str, Any] | None = None, worker_env: Mapping[str, str]
) -> Iterator[LiveSite]:
    """The site, in ``tmp``; ``camera``: more fields of the camera, ``worker_env``: the worker's settings
    on top of the quick ones (``NO_DETECTOR``, or a model)."""
    if not gstreamer_available():
        pytest.fail("the GStreamer RTSP server is missing: scripts/bootstrap --system")
    # A real street scene: its bitrate (~100 KB/s) lets a viewer that stops reading fill its buffer soon.
    source = vtest_avi(tmp)
    with (
        start_rtsp_server(source, fps=10, size=(768, 576), loop=True, shared=True) as rtsp,
        start_backend(tmp / "backend") as backend,
    ):
        created = backend.create_camera(name, rtsp.url, **(camera or {}))
        worker = WorkerProcess(
            {
                **QUICK_WORKER_ENV,
                **camera_env(created, rtsp.url, backend.url),
                "HEARTBEAT_INTERVAL": "1",
                "CLIPS_ENABLED": "false",
                "DATA_DIR": str(tmp / "data"),
                **worker_env,
            },
            tmp / "worker.log",
        ).start()
        try:
            live = lambda: backend.request("GET", f"/api/cameras/{created['id']}/live/").json()  # noqa: E731
            wait_for(lambda: live()["state"] == "live", 60, "the worker reports its live address")
            yield LiveSite(backend, created, worker, rtsp)
        finally:
            worker.close()
