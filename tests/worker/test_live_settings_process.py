"""Settings saved while an event is open (issue 19): real processes throughout, the real Django backend
under gunicorn over HTTP, a real RTSP server with four people standing in view (one long event), and the
laptop product's local runtime running the real ``cctv-worker``.

- A live setting (a zone, a threshold) changes nothing but the setting: the same worker process goes on,
  the new value shows in the open event within seconds, and the event is not split.
- A restart setting (the detection rate) starts a new worker, and the new worker continues the open
  event: one event, one key, its clip segments 0 and 1.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from cctv_operator.runtimes.local.runtime import LocalRuntime
from cctv_operator.sync.answer import parse_answer
from support.backend import RunningBackend, start_backend
from support.footage import bus_jpg
from support.rtsp_server import start_rtsp_server

from .helpers import wait_for

WHOLE_FRAME = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]


@pytest.fixture
def scene(tmp_path: Path) -> Iterator[tuple[RunningBackend, dict]]:
    with ExitStack() as stack:
        backend = stack.enter_context(start_backend(tmp_path / "backend"))
        rtsp = stack.enter_context(start_rtsp_server(bus_jpg(), fps=10, size=(480, 640)))
        camera = backend.create_camera(
            "Bus stop", rtsp.url, alert_types=["person"], detect_fps=2, event_grace_seconds=10
        )
        yield backend, camera


def runtime_for(backend: RunningBackend, tmp_path: Path, model: Path) -> LocalRuntime:
    base = {
        **os.environ,
        "MODEL_PATH": str(model),
        "ALERT_CLASS_MAP": "Normal=person,Fall=person",
        "INFERENCE_THREADS": "1",
        "HEARTBEAT_INTERVAL": "1",
        "RETRY_MAX_DELAY": "1",
        "METRICS_PORT": "0",  # the runtime picks one per camera
        "METRICS_HOST": "127.0.0.1",
        "LIVE_ENABLED": "false",
        "LOG_FORMAT": "text",
        "SHUTDOWN_GRACE": "15",
    }
    return LocalRuntime(api_url=backend.url, data_dir=tmp_path / "workers", base_env=base, stop_grace=30.0)


def desired(backend: RunningBackend, camera_id: int):
    """What the sync hands the runtime: the camera as GET /api/active-cameras/ says it is now."""
    response = backend.request("GET", "/api/active-cameras/", token=backend.operator_token)
    response.raise_for_status()
    return parse_answer(response.json()).cameras[camera_id]


def only_alert(backend: RunningBackend, camera_id: int) -> dict:
    alerts = backend.alerts(camera_id)
    assert len(alerts) == 1, f"the event was split: {[(a['id'], a['status']) for a in alerts]}"
    return alerts[0]


@pytest.mark.timeout(400)
@pytest.mark.slow
async def test_a_live_setting_saved_during_an_event_reaches_the_same_worker_and_the_event_goes_on(
    scene, tmp_path: Path, person_onnx: Path
) -> None:
    backend, camera = scene
    runtime = runtime_for(backend, tmp_path, person_onnx)
    try:
        await runtime.apply(desired(backend, camera["id"]))
        pid = runtime.pid_of(camera["id"])
        wait_for(lambda: len(backend.alerts(camera["id"])) == 1, 180, 0.5, "the event")
        event = only_alert(backend, camera["id"])
        assert event["status"] == "open" and "porch" not in event["description"]

        # An informational zone over the whole frame and a lower threshold, saved through the API.
        saved = time.monotonic()
        zone = {"name": "porch", "points": WHOLE_FRAME, "intrusion": False, "exclusive": False}
        backend.request(
            "PATCH", f"/api/cameras/{camera['id']}/", json={"zones": [zone], "confidence_threshold": 0.4}
        ).raise_for_status()
        await runtime.apply(desired(backend, camera["id"]))  # what the sync does at its next pass
        assert runtime.pid_of(camera["id"]) == pid, "the worker was restarted for a live setting"

        def zone_seen() -> bool:
            alert = only_alert(backend, camera["id"])
            return any("porch" in obj.get("zones", ()) for obj in alert["objects"])

        wait_for(zone_seen, 60, 0.25, "the new zone in the open event")
        took = time.monotonic() - saved
        print(f"live zone change: in the open event {took:.1f} s after the save (same worker pid {pid})")
        # SETTINGS_INTERVAL (2 s) + the event's update interval (5 s) + delivery.
        assert took < 15
        after = only_alert(backend, camera["id"])
        assert after["id"] == event["id"] and after["status"] == "open"
        assert after["idempotency_key"] == event["idempotency_key"]
        assert runtime.pid_of(camera["id"]) == pid
        log = (tmp_path / "workers" / "logs" / f"camera-{camera['id']}.log").read_text()
        assert "live settings applied without a restart: confidence_threshold, zones" in log
    finally:
        await runtime.close()
    # Stopped for good (no restart setting changed): the event closes, with one clip.
    closed = only_alert(backend, camera["id"])
    assert closed["status"] == "closed"
    wait_for(lambda: only_alert(backend, camera["id"])["clips"], 60, 0.5, "the clip")
    assert [c["segment"] for c in only_alert(backend, camera["id"])["clips"]] == [0]


@pytest.mark.timeout(400)
@pytest.mark.slow
async def test_a_restart_setting_saved_during_an_event_hands_the_event_to_the_new_worker(
    scene, tmp_path: Path, person_onnx: Path
) -> None:
    backend, camera = scene
    runtime = runtime_for(backend, tmp_path, person_onnx)
    try:
        await runtime.apply(desired(backend, camera["id"]))
        first_pid = runtime.pid_of(camera["id"])
        wait_for(lambda: len(backend.alerts(camera["id"])) == 1, 180, 0.5, "the event")
        event = only_alert(backend, camera["id"])
        assert event["status"] == "open"

        backend.request("PATCH", f"/api/cameras/{camera['id']}/", json={"detect_fps": 3}).raise_for_status()
        await runtime.apply(desired(backend, camera["id"]))  # stops the old worker, starts a new one
        second_pid = runtime.pid_of(camera["id"])
        assert second_pid not in (None, first_pid)
        handed = only_alert(backend, camera["id"])
        assert handed["status"] == "open", "the old worker closed the event instead of handing it over"
        handed_ids = {obj["track_id"] for obj in handed["objects"]}

        # The new worker sees the people again and updates the same event: its own tracks join the handed
        # ones (numbered above them), the handed ones stay.
        def continued() -> bool:
            ids = {obj["track_id"] for obj in only_alert(backend, camera["id"])["objects"]}
            return handed_ids < ids and min(ids - handed_ids) > max(handed_ids)

        wait_for(continued, 120, 0.5, "the new worker's update of the handed-over event")
        assert only_alert(backend, camera["id"])["status"] == "open"
        log = (tmp_path / "workers" / "logs" / f"camera-{camera['id']}.log").read_text()
        assert "handing 1 open event(s) over to the next worker" in log
        assert "event continued from the previous worker" in log
    finally:
        await runtime.close()
    # The camera stopped for good now: the one event closes, its clip in two segments (one per worker).
    final = only_alert(backend, camera["id"])
    assert final["status"] == "closed" and final["idempotency_key"] == event["idempotency_key"]
    wait_for(lambda: len(only_alert(backend, camera["id"])["clips"]) == 2, 60, 0.5, "both clip segments")
    assert [c["segment"] for c in only_alert(backend, camera["id"])["clips"]] == [0, 1]
