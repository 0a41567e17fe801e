"""Recording onto object storage end to end (issue 23): the real worker process records continuously
through the real backend (gunicorn) whose media store is S3, a real SeaweedFS S3 gateway
(tests/support/s3_store.py, cctv_local.object_store).

- The segments the API lists are the objects in the bucket (same count, same sizes, listed with boto3),
  without a gap over 1 s, and each one's ``url`` plays over real HTTP: redirected to a presigned URL of
  the store, and streamed by a backend in proxy mode.
- The store stopped for a while during recording: the backend answers 503 to an upload, the worker keeps
  its segments on disk and uploads them once the store is back; none lost, none twice, and no row
  without its object (``manage.py reconcile_media``).
"""

from __future__ import annotations

import contextlib
import re
import secrets
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import pytest
import requests

from cctv_local.object_store import ObjectStore, StorePorts
from support.backend import BACKEND_DIR, RunningBackend, server_argv, start_backend, stop_process, wait_ready
from support.net import free_port
from support.rtsp_server import RtspServer, start_rtsp_server
from support.s3_store import ACCESS_KEY

from .helpers import assert_no_segment_dropped, wait_for
from .test_recording import FPS, SEGMENT_SECONDS, _holes, _overlaps, _recordings, _time, _worker

# How long the store is down in the fault test: the 60 s, six segments piling up on disk.
STORE_DOWN_SECONDS = 60.0


def _s3_env(store: ObjectStore, bucket: str, *, serve_mode: str = "redirect") -> dict[str, str]:
    """The backend's environment for this store (the variables of cctv_backend/settings/media.py)."""
    return {
        "MEDIA_STORE": "s3",
        "MEDIA_S3_ENDPOINT_URL": store.endpoint,
        "MEDIA_S3_BUCKET": bucket,
        "MEDIA_S3_REGION": "us-east-1",
        "MEDIA_S3_PATH_STYLE": "1",
        "MEDIA_S3_ACCESS_KEY_ID": store.access_key,
        "MEDIA_S3_SECRET_ACCESS_KEY": store.secret_key,
        "MEDIA_S3_TIMEOUT_SECONDS": "3",
        "MEDIA_SERVE_MODE": serve_mode,
    }


@pytest.fixture
def rtsp() -> Iterator[RtspServer]:
    with start_rtsp_server("testsrc", fps=FPS, size=(640, 360)) as server:
        yield server


def _objects(store: ObjectStore, bucket: str, camera_id: int) -> dict[str, int]:
    """Every stored segment of the camera: key -> size, as the bucket lists them."""
    found: dict[str, int] = {}
    pages = (
        store.client()
        .get_paginator("list_objects_v2")
        .paginate(Bucket=bucket, Prefix=f"recordings/{camera_id}/")
    )
    for page in pages:
        for item in page.get("Contents", []):
            found[item["Key"]] = item["Size"]
    return found


def _start_ms(segment: dict) -> int:
    return round(_time(segment["start"]).timestamp() * 1000)


def _by_start(objects: dict[str, int]) -> dict[int, int]:
    """Start (Unix ms, the name's first part: ``<start_ms>-<kind>.mp4``) -> size."""
    return {int(key.rsplit("/", 1)[1].split("-", 1)[0]): size for key, size in objects.items()}


def _assert_bucket_matches(store: ObjectStore, bucket: str, camera_id: int, segments: list[dict]) -> None:
    stored = _by_start(_objects(store, bucket, camera_id))
    listed = {_start_ms(segment): segment["size"] for segment in segments}
    assert len(stored) == len(segments), (sorted(stored), sorted(listed))
    assert stored == listed


def _decodes(body: bytes, scratch: Path, duration: float) -> None:
    scratch.write_bytes(body)
    with av.open(str(scratch)) as clip:
        frames = list(clip.decode(clip.streams.video[0]))
    assert frames and frames[0].key_frame
    assert abs(len(frames) - duration * FPS) <= 2, (len(frames), duration)


@contextlib.contextmanager
def _second_server(backend: RunningBackend, tmp_path: Path, **env: str) -> Iterator[str]:
    """Another gunicorn on the same database and store, with ``env`` changed (e.g. the serve mode): as a
    second replica of the backend would run. Yields its URL."""
    port = free_port()
    with (tmp_path / "second-backend.log").open("w") as log:
        process = subprocess.Popen(
            server_argv(port),
            cwd=BACKEND_DIR,
            env={**backend.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, process, log_path=tmp_path / "second-backend.log")
        yield url
    finally:
        stop_process(process)


@pytest.mark.timeout(400)
@pytest.mark.slow
def test_continuous_recording_lands_in_the_bucket_and_plays_redirected_and_proxied(
    s3_store: ObjectStore, rtsp: RtspServer, random_onnx: Path, tmp_path: Path
) -> None:
    bucket = f"rec-{secrets.token_hex(6)}"  # this test's own: the bucket's listing is the whole truth
    s3_store.ensure_bucket(bucket)
    with start_backend(tmp_path / "backend", env=_s3_env(s3_store, bucket)) as backend:
        camera = backend.create_camera("Yard", rtsp.url, record_mode="continuous")
        cam = str(camera["id"])
        started = datetime.now(UTC)
        worker = _worker(backend.url, camera, rtsp, random_onnx, tmp_path, "worker")
        try:
            wait_for(lambda: worker.value("cctv_segments_uploaded_total", camera=cam) >= 3, 150, 0.5,
                     "three segments uploaded")  # fmt: skip
            assert worker.terminate() == 0, worker.output()  # the running one is kept, shorter, and sent
        finally:
            worker.close()
        assert_no_segment_dropped(worker, cam)
        segments = _recordings(backend, camera["id"], started - timedelta(minutes=1), datetime.now(UTC))[
            "segments"
        ]
        assert len(segments) >= 3
        holes = _holes(segments)
        assert _overlaps(segments) == [] and (not holes or max(holes) <= 1.0), holes
        assert not (backend.media_root / "recordings").exists()  # nothing went to the backend's disk
        _assert_bucket_matches(s3_store, bucket, camera["id"], segments)

        store_origin = s3_store.endpoint
        for index, segment in enumerate(segments):
            # Redirect mode: the backend checks access, then sends the browser to a presigned URL of the
            # store; the store serves it without the backend's token (requests drops it on the new port).
            first = backend.request("GET", segment["url"].removeprefix(backend.url), allow_redirects=False)
            assert first.status_code == 302, first.text
            assert first.headers["Location"].startswith(f"{store_origin}/{bucket}/recordings/")
            assert "X-Amz-Signature=" in first.headers["Location"]
            followed = backend.request("GET", segment["url"].removeprefix(backend.url))
            assert followed.status_code == 200 and len(followed.content) == segment["size"]
            _decodes(followed.content, tmp_path / f"r{index}.mp4", segment["duration"])
            # Nobody else gets it: no token, no redirect.
            assert requests.get(segment["url"], allow_redirects=False, timeout=10).status_code in (401, 403)

        with _second_server(backend, tmp_path, MEDIA_SERVE_MODE="proxy") as proxy_url:
            for index, segment in enumerate(segments):
                path = segment["url"].removeprefix(backend.url)
                proxied = requests.get(
                    f"{proxy_url}{path}", headers=backend.headers(), allow_redirects=False, timeout=30
                )
                assert proxied.status_code == 200, proxied.text
                assert len(proxied.content) == segment["size"]
                _decodes(proxied.content, tmp_path / f"p{index}.mp4", segment["duration"])


@pytest.fixture
def own_store(tmp_path: Path) -> Iterator[ObjectStore]:
    """A store of this test alone: it is stopped and started again, which the session's (shared by the
    other S3 tests of this xdist worker) must not be. Ports from this worker's block (support.net)."""
    ports = StorePorts(*(free_port() for _ in range(8)))
    with ObjectStore(
        tmp_path / "store",
        access_key=ACCESS_KEY,
        secret_key=secrets.token_hex(20),
        ports=ports,
        stop_grace=1.0,  # the outage starts when stop() returns: no 15 s of a store refusing writes first
    ) as store:
        yield store


def _upload(backend: RunningBackend, camera: dict, start: datetime, body: bytes) -> requests.Response:
    return backend.request(
        "PUT",
        f"/api/cameras/{camera['id']}/recordings/segments/{round(start.timestamp() * 1000)}/",
        token=camera["ingest_token"],
        data=body,
        headers={
            "Content-Type": "video/mp4",
            "X-Segment-Ended-At": (start + timedelta(seconds=SEGMENT_SECONDS)).isoformat(),
            "X-Segment-Kind": "continuous",
        },
    )


@pytest.mark.timeout(480)
@pytest.mark.slow
def test_segments_wait_on_disk_while_the_store_is_down_and_arrive_once_after(
    own_store: ObjectStore, rtsp: RtspServer, random_onnx: Path, tmp_path: Path
) -> None:
    bucket = "cctv-rec"
    own_store.ensure_bucket(bucket)
    with start_backend(tmp_path / "backend", env=_s3_env(own_store, bucket)) as backend:
        camera = backend.create_camera("Gate", rtsp.url, record_mode="continuous")
        cam = str(camera["id"])
        started = datetime.now(UTC)
        worker = _worker(backend.url, camera, rtsp, random_onnx, tmp_path, "worker")
        try:
            wait_for(lambda: worker.value("cctv_segments_uploaded_total", camera=cam) >= 1, 120, 0.5)
            first = _recordings(backend, camera["id"], started - timedelta(minutes=1), datetime.now(UTC))
            sample = backend.request("GET", first["segments"][0]["url"].removeprefix(backend.url)).content

            own_store.stop()
            down_at = time.monotonic()
            recorded_at_stop = worker.value("cctv_segments_recorded_total", camera=cam)
            # The backend cannot store an upload: 503, with nothing registered (a start of its own, an
            # hour back, that no worker segment has).
            probe_start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
            refused = _upload(backend, camera, probe_start, sample)
            assert refused.status_code == 503, refused.text
            assert "Retry-After" in refused.headers
            uploaded_at_stop = worker.value("cctv_segments_uploaded_total", camera=cam)
            time.sleep(max(0.0, down_at + STORE_DOWN_SECONDS - time.monotonic()))  # the outage itself
            recorded = worker.value("cctv_segments_recorded_total", camera=cam)
            assert recorded >= recorded_at_stop + STORE_DOWN_SECONDS / SEGMENT_SECONDS - 2
            # At most the upload in flight when the store stopped was acknowledged after; the rest wait.
            assert worker.value("cctv_segments_uploaded_total", camera=cam) <= uploaded_at_stop + 1
            spool = list((tmp_path / "data" / f"segments-camera-{cam}").glob("*-continuous.mp4"))
            assert len(spool) >= STORE_DOWN_SECONDS / SEGMENT_SECONDS - 2, spool
            assert worker.value("cctv_segment_spool_bytes", camera=cam) > 0

            own_store.start()  # the same data folder and ports: what was stored before is still there
            wait_for(lambda: worker.value("cctv_segment_spool_bytes", camera=cam) == 0, 120, 0.5,
                     "spool emptied after the store returned")  # fmt: skip
            recorded = worker.value("cctv_segments_recorded_total", camera=cam)
            uploaded = worker.value("cctv_segments_uploaded_total", camera=cam)
            assert worker.terminate() == 0, worker.output()
        finally:
            worker.close()
        assert_no_segment_dropped(worker, cam)
        listed = _recordings(backend, camera["id"], probe_start - timedelta(minutes=1), datetime.now(UTC))
        segments = listed["segments"]
        starts = [segment["start"] for segment in segments]
        assert _time(starts[0]) >= started - timedelta(seconds=30)  # the refused probe was not registered
        # None lost: every segment recorded before the last scrape is there (the last, cut at shutdown,
        # may come after it); none twice: one row per start, and the times tile without holes or overlaps
        # through the outage.
        assert uploaded >= recorded and len(segments) >= recorded, (uploaded, recorded, len(segments))
        assert len(set(starts)) == len(starts)
        holes = _holes(segments)
        assert _overlaps(segments) == [] and (not holes or max(holes) <= 1.0), holes
        _assert_bucket_matches(own_store, bucket, camera["id"], segments)
        # The worker's own uploads met the 503 too (the server's access log: gunicorn_conf's format).
        assert backend.log_path is not None
        refusals = re.findall(
            rf'"PUT /api/cameras/{cam}/recordings/segments/(\d+)/ HTTP/1.1" 503', backend.log_path.read_text()
        )
        probe_ms = str(round(probe_start.timestamp() * 1000))
        assert probe_ms in refusals and {ms for ms in refusals if ms != probe_ms}, refusals
        # No row without its object and no object without its row (grace 0: nothing is in flight now).
        report = backend.manage("reconcile_media", "--grace-minutes", "0").stdout
        assert "recordings/ 0 object(s) without a row (0 bytes), 0 row(s) without an object" in report, report
