"""A scene busy past EVENT_MAX_LENGTH on real footage (issue 19): vtest.avi's pedestrians in view for
half a minute, a 10 s length limit, the real RTSP server, worker (person detector, ONNX) and Django
backend (gunicorn). Every part of the busy stretch is a stored event from its first second: the
continuations' alerts are accepted with a snapshot (the worker's last frame), their updates and clips
arrive, and the backend refuses nothing. Before the fix the first continuation's alert was refused
("image_base64: This field may not be blank."), every later update answered 404 and the rest was lost.
"""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise
from pathlib import Path

import pytest

from support.backend import start_backend
from support.footage import appearances_video
from support.rtsp_server import start_rtsp_server
from support.worker_process import WorkerProcess, camera_env

from .helpers import wait_for

FPS = 10
SIZE = (384, 288)  # a sub-stream's size: real-time on a loaded 2-core machine (see the clips footage test)
MAX_LENGTH = 10.0  # the smallest EVENT_MAX_LENGTH the worker accepts
# Pedestrians (vtest from its start) in view from 5 s to 37 s: three splits at least.
SCHEDULE = [(5.0, 37.0, 0.0)]
CONFIDENCE = 0.4
STAMP_MASK = '[{"name": "frame index", "points": [[0, 0], [0.9, 0], [0.9, 0.1], [0, 0.1]]}]'


def ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@pytest.fixture
def footage(tmp_path: Path, person_onnx: Path) -> Path:
    from cctv_worker.detect.onnx_backend import OnnxDetector

    detector = OnnxDetector(person_onnx, conf_floor=0.2, threads=1)
    return appearances_video(
        tmp_path,
        SCHEDULE,
        seconds=90.0,
        size=SIZE,
        seen=lambda image: [d.box for d in detector.detect(image)],
    )


@pytest.mark.timeout(300)
def test_a_scene_busy_past_the_length_limit_is_stored_as_continuing_events_with_snapshots(
    tmp_path: Path, person_onnx: Path, footage: Path
) -> None:
    with (
        start_backend(tmp_path / "backend") as backend,
        start_rtsp_server(footage, fps=FPS, size=SIZE) as rtsp,
    ):
        camera = backend.create_camera("Street", rtsp.url)
        worker = WorkerProcess(
            {
                **camera_env(camera, rtsp.url, backend.url),
                "MODEL_PATH": str(person_onnx),
                "ALERT_CLASS_MAP": "Normal=person,Fall=person",
                "ALERT_COOLDOWN": "0",
                "CONFIDENCE_THRESHOLD": str(CONFIDENCE),
                "EVENT_GRACE": "8",
                "EVENT_MAX_LENGTH": str(MAX_LENGTH),
                "PRE_ROLL": "1",
                "POST_ROLL": "1",
                "DETECT_FPS": "1",
                "MOTION_MASKS": STAMP_MASK,
                "INFERENCE_THREADS": "1",
                "RETRY_MAX_DELAY": "1",
                "HEARTBEAT_INTERVAL": "5",
                "DATA_DIR": str(tmp_path / "data"),
            },
            tmp_path / "worker.log",
        ).start()
        try:

            def split_events_closed_with_clips() -> bool:
                alerts = backend.alerts(camera["id"])
                return len(alerts) >= 3 and all(a["status"] == "closed" and a["clip"] for a in alerts)

            wait_for(split_events_closed_with_clips, 200, 0.5, "the split events, closed, with their clips")
            alerts = sorted(backend.alerts(camera["id"]), key=lambda a: a["started_at"])
            rejected = worker.value("cctv_alerts_failed_total", camera=str(camera["id"]), result="rejected")
        finally:
            worker.terminate()
    log = worker.output()
    assert rejected == 0, log[-4000:]
    assert "backend rejected" not in log, log[-4000:]
    for alert in alerts:
        assert alert["snapshot_url"], alert
        assert alert["objects"], alert
    # One stretch, cut at the limit: each continuation starts where its predecessor ended.
    for before, after in pairwise(alerts):
        assert ts(before["ended_at"]) - ts(before["started_at"]) <= MAX_LENGTH + 2.0, before
        assert abs(ts(after["started_at"]) - ts(before["ended_at"])) < 0.5, (before, after)
