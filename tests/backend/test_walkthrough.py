"""The seed README's curl walkthrough, end to end over real HTTP against a running backend (gunicorn):
get a token, create a camera, activate it, read active cameras, send an alert, list alerts, acknowledge.

Uses the real ``curl`` with the README's flags. On PostgreSQL runs the server gets a scratch database.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess

import pytest
from django.conf import settings

from backend.images import jpeg_bytes
from support.backend import scratch_postgres_database, start_backend

pytestmark = [
    pytest.mark.slow,
    pytest.mark.database,  # the server's migrations and queries on the suite's database: run on both
    pytest.mark.skipif(shutil.which("curl") is None, reason="needs the curl command (Debian package curl)"),
]


def curl(*args: str) -> tuple[int, dict | list | None]:
    result = subprocess.run(
        ["curl", "-sS", "-w", "\n%{http_code}", *args], capture_output=True, text=True, timeout=60, check=True
    )
    body, _, status = result.stdout.rpartition("\n")
    return int(status), (json.loads(body) if body.strip() else None)


@contextlib.contextmanager
def server_database():
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        with scratch_postgres_database(os.environ["DATABASE_URL"], prefix="cctv_walkthrough") as url:
            yield url
    else:
        yield None


def test_the_seed_readme_walkthrough_works_over_http(tmp_path):
    with server_database() as database_url, start_backend(tmp_path, database_url=database_url) as backend:
        url = backend.url
        json_header = ["-H", "Content-Type: application/json"]

        # Get Token
        credentials = json.dumps({"username": backend.username, "password": backend.password})
        status, body = curl("-X", "POST", f"{url}/api-token-auth/", *json_header, "-d", credentials)
        assert status == 200
        auth = ["-H", f"Authorization: Token {body['token']}"]

        # Create Camera (the README's "Via API" example)
        new_camera = {
            "name": "Parking Lot Camera",
            "rtsp_url": "rtsp://admin:password@192.168.1.100:554/stream1",
        }
        status, camera = curl(
            "-X", "POST", f"{url}/api/cameras/", *auth, *json_header, "-d", json.dumps(new_camera)
        )
        assert status == 201, camera
        camera_id = camera["id"]

        # List Cameras: the password is masked
        status, cameras = curl(f"{url}/api/cameras/", *auth)
        assert status == 200
        assert cameras["results"][0]["rtsp_url"] == "rtsp://admin:***@192.168.1.100:554/stream1"

        # Activate Camera, then Get Active Cameras (for pipeline)
        status, activated = curl("-X", "POST", f"{url}/api/cameras/{camera_id}/activate/", *auth)
        assert (status, activated["is_active"]) == (200, True)
        status, active = curl(f"{url}/api/active-cameras/", *auth)
        assert status == 200
        assert active[0]["id"] == camera_id
        assert active[0]["rtsp_url"] == "rtsp://admin:password@192.168.1.100:554/stream1"

        # Send Alert (used by pipeline): the seed's five fields and a user token
        image = jpeg_bytes(320, 240)
        alert_body = {
            "camera_id": camera_id,
            "alert_type": "intrusion",
            "confidence": 0.85,
            "image_base64": base64.b64encode(image).decode(),
            "description": "Person detected",
        }
        send_alert = ["-X", "POST", f"{url}/api/send-alert/", *json_header, "-d", json.dumps(alert_body)]
        status, alert = curl(*send_alert, *auth)
        assert status == 201, alert

        # ... and as the worker does it: the camera's ingest token and an idempotency key, sent twice
        worker = ["-H", f"Authorization: Token {active[0]['ingest_token']}", "-H", "Idempotency-Key: evt-1"]
        first = curl(*send_alert, *worker)
        again = curl(*send_alert, *worker)
        assert (first[0], again[0], again[1]["id"]) == (201, 200, first[1]["id"])

        # List Alerts: newest first, the snapshot served as the very bytes sent
        status, alerts = curl(f"{url}/api/alerts/", *auth)
        assert (status, alerts["count"]) == (200, 2)
        assert [item["id"] for item in alerts["results"]] == [first[1]["id"], alert["id"]]
        snapshot = subprocess.run(["curl", "-sS", "--fail", *auth, alerts["results"][1]["snapshot_url"]],
                                  capture_output=True, timeout=60, check=True).stdout  # fmt: skip
        assert snapshot == image

        # Acknowledge Alert
        status, acknowledged = curl("-X", "POST", f"{url}/api/alerts/{alert['id']}/acknowledge/", *auth)
        assert (status, acknowledged["acknowledged"], acknowledged["acknowledged_by"]) == (200, True, "demo")

        # Without a token nothing answers
        assert curl(f"{url}/api/alerts/")[0] == 401
