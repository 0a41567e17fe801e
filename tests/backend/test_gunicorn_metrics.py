"""Production server settings (cctv_backend/gunicorn_conf.py): with several gunicorn workers and
PROMETHEUS_MULTIPROC_DIR, /metrics adds up the counters of every worker, whichever one answers."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor

import pytest
from prometheus_client.parser import text_string_to_metric_families

from backend.images import jpeg_bytes
from support.backend import start_backend

pytestmark = pytest.mark.slow

SENT = 12


def ingested(text: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "cctv_backend_alerts_ingested_total" and sample.labels.get("alert_type") == "fire"
    )


def test_metrics_add_up_every_worker(tmp_path):
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus")}
    # One thread per worker and parallel clients: the requests spread over the three workers.
    with start_backend(tmp_path / "backend", workers=3, threads=1, env=env) as backend:
        camera = backend.create_camera("Kiln", "rtsp://127.0.0.1:8554/kiln", alert_types=["fire"])
        image = base64.b64encode(jpeg_bytes()).decode()

        def send(index: int) -> int:
            return backend.request(
                "POST", "/api/send-alert/", token=camera["ingest_token"],
                json={"camera_id": camera["id"], "alert_type": "fire", "confidence": 0.9,
                      "image_base64": image, "description": f"#{index}"},
            ).status_code  # fmt: skip

        with ThreadPoolExecutor(max_workers=6) as pool:
            assert set(pool.map(send, range(SENT))) == {201}
        scrapes = {ingested(backend.request("GET", "/metrics").text) for _ in range(6)}
    assert scrapes == {float(SENT)}
