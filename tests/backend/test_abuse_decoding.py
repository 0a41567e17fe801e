"""Bounded snapshot decoding over real HTTP: a small file that claims a huge frame is refused from its
header, before any pixel is decoded, so eight at once leave the server's memory flat and /healthz quick.

Before the header check, one 7000x7000 WebP of ~130 KB took a gunicorn worker to 1.17 GB and eight
took 6 GB. Runs once, on PostgreSQL: decoding happens before the database is touched.
"""

from __future__ import annotations

import base64
import io
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from PIL import Image

from backend.images import jpeg_base64
from support.backend import server_database, start_backend
from support.process_tree import rss as tree_rss

pytestmark = pytest.mark.slow

# The whole server (arbiter and its worker) stays under this while the bombs arrive; an idle one uses
# about 150 MiB here, one decoded bomb alone would add over 1 GiB.
PEAK_RSS_BOUND = 400 * 1024**2
CONCURRENT = 8


@pytest.fixture(scope="module")
def bomb() -> str:
    """A ~130 KB WebP of 7000x7000 pixels (49 MP, under the old 50 MP limit), base64."""
    buffer = io.BytesIO()
    Image.new("RGB", (7000, 7000)).save(buffer, "WEBP", quality=0, method=0)
    return base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    with (
        server_database(prefix="cctv_decoding") as database_url,
        start_backend(tmp_path_factory.mktemp("decoding"), database_url=database_url, threads=8) as running,
    ):
        yield running


def test_eight_decompression_bombs_at_once_are_refused_with_flat_memory_and_a_live_healthz(backend, bomb):
    camera = backend.create_camera("Bombed", "rtsp://127.0.0.1:8554/bomb")
    payload = {"camera_id": camera["id"], "alert_type": "person", "confidence": 0.9, "image_base64": bomb}
    peak = 0
    health_times: list[float] = []
    done = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(backend.pid))
            started = time.monotonic()
            assert requests.get(f"{backend.url}/healthz", timeout=5).status_code == 200
            health_times.append(time.monotonic() - started)
            done.wait(0.02)

    def send(_: int) -> requests.Response:
        return requests.post(
            f"{backend.url}/api/send-alert/", json=payload, headers=backend.headers(camera["ingest_token"]),
            timeout=60,
        )  # fmt: skip

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with ThreadPoolExecutor(CONCURRENT) as pool:
            answers = list(pool.map(send, range(CONCURRENT)))
    finally:
        done.set()
        watcher.join()

    assert [answer.status_code for answer in answers] == [400] * CONCURRENT
    detail = answers[0].json()["image_base64"][0]
    assert "7000x7000" in detail and "ALERT_IMAGE_MAX_PIXELS" in detail
    print(f"server peak RSS {peak / 2**20:.0f} MiB; slowest /healthz {max(health_times) * 1000:.0f} ms")
    assert peak < PEAK_RSS_BOUND, f"server RSS peaked at {peak / 2**20:.0f} MiB"
    assert health_times and max(health_times) < 1.0
    # Nothing was written: no alert, no file.
    assert backend.alerts(camera["id"]) == []
    assert not list(backend.media_root.rglob("*.webp"))
    # A normal snapshot still goes through right after.
    ok = requests.post(
        f"{backend.url}/api/send-alert/", json={**payload, "image_base64": jpeg_base64()},
        headers=backend.headers(camera["ingest_token"]), timeout=30,
    )  # fmt: skip
    assert ok.status_code == 201
