"""tests/support/backend.py: the real backend other suites start (gunicorn, tokens, helpers, clean exit)."""

from __future__ import annotations

import base64

import psutil
import pytest
import requests

from backend.images import jpeg_bytes
from support.backend import start_backend

pytestmark = pytest.mark.slow


def test_start_backend_serves_tokens_and_helpers_and_leaves_no_process(tmp_path):
    before = {child.pid for child in psutil.Process().children(recursive=True)}
    with start_backend(tmp_path) as backend:
        started = {child.pid for child in psutil.Process().children(recursive=True)} - before
        assert started, "the server runs as a child process"
        camera = backend.create_camera("Gate", "rtsp://u:p@127.0.0.1:8554/gate", frame_skip=5)
        assert camera["ingest_token"].startswith(f"cam_{camera['id']}_")
        assert camera["is_active"] and camera["frame_skip"] == 5
        active = backend.request("GET", "/api/active-cameras/", token=backend.operator_token).json()
        assert [item["id"] for item in active] == [camera["id"]]
        image = base64.b64encode(jpeg_bytes()).decode()
        for index in range(3):
            response = backend.request(
                "POST", "/api/send-alert/", token=camera["ingest_token"],
                json={"camera_id": camera["id"], "alert_type": "person", "confidence": 0.5,
                      "image_base64": image, "description": f"#{index}"},
            )  # fmt: skip
            assert response.status_code == 201
        assert [alert["description"] for alert in backend.alerts(camera["id"])] == ["#2", "#1", "#0"]
        assert len(list((backend.media_root / "snapshots").rglob("*.jpg"))) == 3
        url = backend.url
    assert not [pid for pid in started if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/healthz", timeout=2)
