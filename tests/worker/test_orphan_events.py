"""An event left open by a worker killed mid-event is closed by the backend once the camera's next
worker reports (in its heartbeats) that it does not have that event open; the new worker's own open
event stays open. Real processes: the RTSP server, two workers one after the other (the first
SIGKILLed), and the real Django backend under gunicorn."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import pytest

from support.backend import start_backend
from support.footage import bus_jpg
from support.rtsp_server import start_rtsp_server
from support.worker_process import WorkerProcess, camera_env

from .helpers import wait_for

#: The backend waits this long (its minimum CAMERA_ONLINE_SECONDS) before it closes an event that the
#: camera's worker does not report open: an event opened after a heartbeat was taken must be safe.
MARGIN = 5


def ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@pytest.mark.timeout(300)
@pytest.mark.slow
def test_an_event_of_a_killed_worker_is_closed_and_the_new_workers_event_stays_open(
    tmp_path: Path, person_onnx: Path
) -> None:
    with (
        start_backend(tmp_path / "backend", env={"CAMERA_ONLINE_SECONDS": str(MARGIN)}) as backend,
        start_rtsp_server(bus_jpg(), fps=10, size=(480, 640)) as rtsp,  # people standing: one long event
    ):
        camera = backend.create_camera("Bus stop", rtsp.url)

        def worker(name: str) -> WorkerProcess:
            return WorkerProcess(
                {
                    **camera_env(camera, rtsp.url, backend.url),
                    "MODEL_PATH": str(person_onnx),
                    "ALERT_CLASS_MAP": "Normal=person,Fall=person",
                    "DETECT_FPS": "2",
                    "INFERENCE_THREADS": "1",
                    "HEARTBEAT_INTERVAL": "1",
                    "RETRY_MAX_DELAY": "1",
                    "CLIPS_ENABLED": "false",
                    "DATA_DIR": str(tmp_path / name),  # a new pod: nothing of the first one's spool
                },
                tmp_path / f"{name}.log",
            ).start()

        first = worker("first")
        try:
            wait_for(lambda: len(backend.alerts(camera["id"])) == 1, 120, 0.5, "the first worker's event")
            first.kill()  # SIGKILL: its event's close is never sent
            killed_at = datetime.now().timestamp()
            (orphan,) = backend.alerts(camera["id"])
            assert orphan["status"] == "open"
        finally:
            first.close()
        second = worker("second")
        try:

            def orphan_closed() -> bool:
                alerts = {a["id"]: a for a in backend.alerts(camera["id"])}
                return alerts[orphan["id"]]["status"] == "closed" and len(alerts) == 2

            wait_for(orphan_closed, 120, 0.5, "the orphan closed and the second worker's event open")
            alerts = {a["id"]: a for a in backend.alerts(camera["id"])}
            closed = alerts.pop(orphan["id"])
            # It ends at its last sighting the backend knows of: after it started, before the kill.
            assert ts(closed["started_at"]) <= ts(closed["ended_at"]) <= killed_at
            (live,) = alerts.values()
            # The second worker reports its own event in every heartbeat: it stays open past the margin.
            time.sleep(MARGIN + 3)
            assert {a["id"]: a["status"] for a in backend.alerts(camera["id"])} == {
                orphan["id"]: "closed",
                live["id"]: "open",
            }
        finally:
            second.terminate()
            second.close()
