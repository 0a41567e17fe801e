"""Idempotent ingest under real concurrency: ten identical requests at once store one alert and one file.

Runs against pytest-django's live server (real HTTP, one thread per request, one database connection
each) on PostgreSQL, where the writers truly race and the unique constraint settles it.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from backend.images import files_under, jpeg_base64
from surveillance.cameras import selectors
from surveillance.models import Alert

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

PARALLEL = 10


def post_together(url: str, token: str, bodies: list[dict], key: str) -> list[requests.Response]:
    barrier = threading.Barrier(len(bodies))

    def post(body: dict) -> requests.Response:
        with requests.Session() as session:
            barrier.wait(timeout=30)  # release every request at the same moment
            return session.post(
                url,
                json=body,
                headers={"Authorization": f"Token {token}", "Idempotency-Key": key},
                timeout=60,
            )

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(post, bodies))


def test_ten_parallel_posts_with_one_key_store_one_alert_and_one_file(live_server, alice_camera, media_root):
    token = selectors.camera_ingest_token(camera=alice_camera)
    body = {"camera_id": alice_camera.pk, "alert_type": "person", "confidence": 0.9,
            "image_base64": jpeg_base64(width=640, height=480), "description": "race"}  # fmt: skip
    responses = post_together(f"{live_server.url}/api/send-alert/", token, [body] * PARALLEL, key="race-1")
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * (PARALLEL - 1) + [201], [r.text[:200] for r in responses]
    assert len({response.json()["id"] for response in responses}) == 1
    assert Alert.objects.count() == 1
    assert files_under(media_root) == [media_root / Alert.objects.get().snapshot.name]


def test_parallel_posts_with_one_key_and_different_payloads_store_one_and_refuse_the_rest(
    live_server, alice_camera, media_root
):
    token = selectors.camera_ingest_token(camera=alice_camera)
    bodies = [
        {"camera_id": alice_camera.pk, "alert_type": "person", "confidence": round(0.5 + index / 100, 2),
         "image_base64": jpeg_base64(seed=index), "description": f"variant {index}"}
        for index in range(PARALLEL)
    ]  # fmt: skip
    responses = post_together(f"{live_server.url}/api/send-alert/", token, bodies, key="race-2")
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [422] * (PARALLEL - 1)
    assert Alert.objects.count() == 1
    assert len(files_under(media_root)) == 1
