"""The worker against the real Django backend (tests/support/backend.py: migrated database, gunicorn):
people in the footage -> person alerts arrive with a snapshot; the same people across many frames ->
one alert; heartbeats mark the camera online."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.backend import RunningBackend, start_backend
from support.rtsp_server import RtspServer
from support.worker_process import WorkerProcess, camera_env

from .helpers import wait_for


@pytest.fixture
def real_backend(tmp_path: Path) -> Iterator[RunningBackend]:
    with start_backend(tmp_path / "backend") as backend:
        yield backend


@pytest.mark.slow
def test_people_in_the_footage_reach_the_real_backend_as_one_person_alert_with_a_snapshot(
    real_backend: RunningBackend, rtsp_people: RtspServer, person_onnx: Path, tmp_path: Path
) -> None:
    camera = real_backend.create_camera("Bus stop", rtsp_people.url)
    worker = WorkerProcess(
        {
            **camera_env(camera, rtsp_people.url, real_backend.url),
            "MODEL_PATH": str(person_onnx),
            "ALERT_CLASS_MAP": "Normal=person,Fall=person",
            "ALERT_COOLDOWN": "0",  # only the event logic keeps the standing people from re-alerting
            "DETECT_FPS": "4",
            "HEARTBEAT_INTERVAL": "1",
            "INFERENCE_THREADS": "1",
            "DATA_DIR": str(tmp_path / "data"),
        },
        tmp_path / "worker.log",
    ).start()
    try:
        wait_for(lambda: worker.value("cctv_frames_inferred_total", camera=str(camera["id"])) >= 12, 90, 0.2)
        wait_for(lambda: worker.value("cctv_spool_depth", camera=str(camera["id"])) == 0, 20, 0.2)
        alerts = real_backend.alerts(camera["id"])
        assert len(alerts) == 1, worker.output()
        alert = alerts[0]
        assert alert["alert_type"] == "person"
        assert len(alert["detections"]) >= 3
        assert alert["snapshot_url"]
        snapshots = [p for p in real_backend.media_root.rglob("*") if p.is_file()]
        assert len(snapshots) == 1 and snapshots[0].read_bytes()[:2] == b"\xff\xd8"

        def online() -> bool:
            detail = real_backend.request("GET", f"/api/cameras/{camera['id']}/").json()
            return detail.get("online") is True and detail.get("stream_state") == "up"

        wait_for(online, 15, 0.2, "camera online from heartbeats")
        assert worker.terminate() == 0
    finally:
        worker.close()


def test_a_worker_whose_alerts_the_backend_refuses_says_so_in_readyz_metrics_and_the_camera_state(
    real_backend: RunningBackend, rtsp_people: RtspServer, person_onnx: Path, tmp_path: Path
) -> None:
    # Issue 19: a 4xx the worker cannot fix loses the event; it must not pass silently. Here the camera
    # raises fire alerts only, and the worker (no ALERT_TYPES of its own) sends person alerts.
    camera = real_backend.create_camera("Kiln", rtsp_people.url, alert_types=["fire"])
    worker = WorkerProcess(
        {
            **camera_env(camera, rtsp_people.url, real_backend.url),
            "MODEL_PATH": str(person_onnx),
            "ALERT_CLASS_MAP": "Normal=person,Fall=person",
            "DETECT_FPS": "4",
            "HEARTBEAT_INTERVAL": "1",
            "INFERENCE_THREADS": "1",
            "DATA_DIR": str(tmp_path / "data"),
        },
        tmp_path / "worker.log",
    ).start()
    try:
        labels = {"camera": str(camera["id"]), "result": "rejected"}
        wait_for(lambda: worker.value("cctv_alerts_failed_total", **labels) >= 1, 90, 0.2, "a refusal")
        status, body = worker.get("/readyz")
        assert status == 503, body
        ready = json.loads(body)
        reason = ready["delivery_reason"]
        assert ready["delivery"] == "rejected" and "HTTP 400" in reason and "fire" in reason

        def camera_problem() -> str:
            return real_backend.request("GET", f"/api/cameras/{camera['id']}/").json()["problem"]

        wait_for(lambda: "HTTP 400" in camera_problem(), 15, 0.2, "the refusal on the camera")
        # Its heartbeat also says what its model can raise: person only (the camera asks for fire).
        detail = real_backend.request("GET", f"/api/cameras/{camera['id']}/").json()
        assert detail["producible_types"] == ["person"]
    finally:
        worker.terminate()
        worker.close()
