"""Two backend processes (replicas) with one database and one S3 bucket and no shared volume: what a
camera uploads through one is served by the other, over real HTTP (gunicorn, ASGI streaming of the proxied
object with ranges), and neither writes a media file to its own disk."""

from __future__ import annotations

import base64
import contextlib

import pytest

from backend.event_objects import at, seen_object
from backend.images import jpeg_bytes
from support.backend import server_database, start_backend
from support.clips import make_mp4

pytestmark = pytest.mark.slow

BUCKET = "cctv-replicas"


def test_a_second_replica_serves_what_the_first_stored(tmp_path, s3_store):
    s3_store.ensure_bucket(BUCKET)  # its own: the settings have no key prefix, the other tests use one
    env = {
        "MEDIA_STORE": "s3",
        "MEDIA_S3_ENDPOINT_URL": s3_store.endpoint,
        "MEDIA_S3_BUCKET": BUCKET,
        "MEDIA_S3_PATH_STYLE": "1",
        "MEDIA_S3_ACCESS_KEY_ID": s3_store.access_key,
        "MEDIA_S3_SECRET_ACCESS_KEY": s3_store.secret_key,
        "MEDIA_SERVE_MODE": "proxy",
    }
    clip = make_mp4(tmp_path / "c.mp4", seconds=2).read_bytes()
    with contextlib.ExitStack() as stack:
        database = stack.enter_context(server_database())
        first = stack.enter_context(start_backend(tmp_path / "a", database_url=database, env=env))
        second = stack.enter_context(start_backend(tmp_path / "b", database_url=database, env=env))
        camera = first.create_camera("Gate", "rtsp://u:p@127.0.0.1:8554/gate")
        token = camera["ingest_token"]
        body = {
            "camera_id": camera["id"],
            "alert_type": "person",
            "confidence": 0.9,
            "image_base64": base64.b64encode(jpeg_bytes()).decode(),
            "description": "at the gate",
            "idempotency_key": "ev-1",
            "status": "open",
            "started_at": at(0),
            "objects": [seen_object()],
            "revision": 1,
        }
        created = first.request("POST", "/api/send-alert/", token=token, json=body)
        assert created.status_code == 201, created.text
        uploaded = first.request(
            "PUT",
            f"/api/cameras/{camera['id']}/events/ev-1/clips/0/",
            token=token,
            data=clip,
            headers={"Content-Type": "video/mp4", "X-Clip-Started-At": at(-5)},
        )
        assert uploaded.status_code == 201, uploaded.text

        alert = second.alerts(camera["id"])[0]
        snapshot = second.request("GET", "/media/" + alert["snapshot_url"].split("/media/", 1)[1])
        assert snapshot.status_code == 200 and snapshot.content == jpeg_bytes()
        clip_path = "/media/" + alert["clip"]["url"].split("/media/", 1)[1]
        part = second.request("GET", clip_path, headers={"Range": "bytes=1000-1999"})
        assert part.status_code == 206 and part.content == clip[1000:2000]
        assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(clip)}"
        assert second.request("GET", clip_path).content == clip
        for backend in (first, second):
            assert not [path for path in backend.media_root.rglob("*") if path.is_file()]
