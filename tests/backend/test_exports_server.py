"""Exports and HLS playback through the production server (gunicorn + uvicorn workers, as the chart and
scripts/run run it) against slow clients: readers that stop reading an export's download or a playlist's
segment, and a request body trickled byte by byte, hold no server thread the API needs. The export is
made end to end: segments uploaded by the worker's route with the camera's ingest token, the export asked
for over HTTP and made by ``manage.py run_exports --once`` on the server's database and store."""

from __future__ import annotations

import json
import socket
import time
from datetime import timedelta
from pathlib import Path

import av
import numpy as np
import pytest
import requests

from support.backend import server_database, start_backend
from support.clock import recent

SLOW_CLIENTS = 24  # more than the server's threads (8 per worker, 2 workers)
GOAL_SECONDS = 2.0


def noisy_mp4(path: Path, *, seed: int) -> Path:
    """10 s of moving noise at 640x360 (H.264 spends its bits: a few MB, more than any socket buffer)."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (360, 640, 3), dtype=np.uint8)
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 640, 360, "yuv420p"
        stream.options = {"g": "10", "preset": "ultrafast", "crf": "18"}
        for index in range(100):
            frame = av.VideoFrame.from_ndarray(np.roll(base, index * 8, axis=1), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    with (
        server_database(prefix="cctv_exports") as database_url,
        start_backend(
            tmp_path_factory.mktemp("exports-server"), database_url=database_url, workers=2
        ) as running,
    ):
        yield running


@pytest.fixture(scope="module")
def export(backend, tmp_path_factory) -> dict:
    """A done export of 40 s of four uploaded segments (over 8 MB: more than the sockets buffer)."""
    folder = tmp_path_factory.mktemp("exports-segments")
    camera = backend.create_camera("Export", "rtsp://10.9.8.1/export", record_mode="continuous")
    t0 = recent(minutes=10)
    for index in range(4):
        path = noisy_mp4(folder / f"{index}.mp4", seed=index)
        start = t0 + timedelta(seconds=10 * index)
        segment = f"/api/cameras/{camera['id']}/recordings/segments/{round(start.timestamp() * 1000)}/"
        answer = requests.put(
            f"{backend.url}{segment}",
            data=path.read_bytes(),
            headers={
                "Authorization": f"Token {camera['ingest_token']}",
                "Content-Type": "video/mp4",
                "X-Segment-Ended-At": iso(start + timedelta(seconds=10)),
                "X-Segment-Kind": "continuous",
            },
            timeout=30,
        )
        assert answer.status_code == 201, answer.text
    body = {"camera": camera["id"], "start": iso(t0), "end": iso(t0 + timedelta(seconds=40)), "name": "slow"}
    created = backend.request("POST", "/api/exports/", json=body)
    assert created.status_code == 201, created.text
    backend.manage("run_exports", "--once")
    done = backend.request("GET", f"/api/exports/{created.json()['id']}/").json()
    assert done["status"] == "done" and done["size"] > 8_000_000, done
    return {**done, "camera": camera, "t0": t0}


def stalled_readers(backend, path: str, count: int) -> list[socket.socket]:
    """Clients that ask for ``path`` and then read nothing (a tiny receive window)."""
    host, port = backend.url.removeprefix("http://").split(":")
    readers = []
    for _ in range(count):
        client = socket.socket()
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        client.connect((host, int(port)))
        token = backend.user_token
        client.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Token {token}\r\n\r\n".encode()
        )
        readers.append(client)
    return readers


def api_answers_quickly(backend) -> None:
    for path in ("/healthz", "/api/exports/", "/api/cameras/"):
        began = time.monotonic()
        answer = backend.request("GET", path, timeout=GOAL_SECONDS * 5)
        took = time.monotonic() - began
        assert answer.status_code == 200 and took < GOAL_SECONDS, (path, answer.status_code, took)


@pytest.mark.database
def test_stalled_readers_of_a_download_hold_no_thread_the_api_needs(backend, export) -> None:
    readers = stalled_readers(backend, f"/api/exports/{export['id']}/download/", SLOW_CLIENTS)
    try:
        time.sleep(1.0)  # let every download start and fill its socket
        api_answers_quickly(backend)
    finally:
        for reader in readers:
            reader.close()


@pytest.mark.database
def test_stalled_readers_of_hls_segments_hold_no_thread_the_api_needs(backend, export) -> None:
    camera, t0 = export["camera"], export["t0"]
    playlist = backend.request(
        "GET",
        f"/api/cameras/{camera['id']}/recordings/playlist.m3u8",
        params={"start": iso(t0), "end": iso(t0 + timedelta(seconds=40))},
    )
    assert playlist.status_code == 200 and playlist.text.count("media.m4s") == 4
    first = round(t0.timestamp() * 1000)
    path = f"/api/cameras/{camera['id']}/recordings/segments/{first}/hls/media.m4s"
    readers = stalled_readers(backend, path, SLOW_CLIENTS)
    try:
        time.sleep(1.0)
        api_answers_quickly(backend)
    finally:
        for reader in readers:
            reader.close()


@pytest.mark.database
def test_a_trickled_export_request_holds_no_thread_and_creates_nothing(backend, export) -> None:
    body = json.dumps({"camera": export["camera"]["id"], "start": iso(recent(minutes=5)),
                       "end": iso(recent(minutes=4)), "name": "trickled"}).encode()  # fmt: skip
    host, port = backend.url.removeprefix("http://").split(":")
    clients = []
    for _ in range(SLOW_CLIENTS):
        client = socket.create_connection((host, int(port)))
        client.sendall(
            (
                f"POST /api/exports/ HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                f"Authorization: Token {backend.user_token}\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode()
            + body[:1]
        )
        clients.append(client)
    try:
        for _ in range(3):
            time.sleep(0.5)
            for client in clients:
                client.sendall(b" ")  # a byte now and then, never the whole body
        api_answers_quickly(backend)
    finally:
        for client in clients:
            client.close()
    names = [item["name"] for item in backend.request("GET", "/api/exports/").json()["results"]]
    assert "trickled" not in names
