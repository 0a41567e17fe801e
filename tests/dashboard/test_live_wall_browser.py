"""The camera wall end to end, nothing mocked: a real RTSP server (a main stream and a smaller detection
sub-stream), four real workers, the real backend (gunicorn with uvicorn workers) and headless Chromium.

A wall of 4 cameras plays all 4 (``currentTime`` advances on every tile); a tile plays the camera's
sub-stream where it has one and its single view the main stream; a layout saved in the page (columns, the
chosen cameras) is what the wall shows after a reload; the wall goes full screen; a camera whose codec the
browser cannot play (H.265, MJPEG) gets a message on its tile and one that is down says since when; 50
viewers (half over WebSockets, half over streaming HTTP) on the one backend process leave ``/healthz``
answering under 1 s.
"""

from __future__ import annotations

import re
import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from browser_support import players, signed_in, wait_for
from playwright.sync_api import Page, expect
from websockets.sync.client import connect as ws_connect

from support.backend import RunningBackend, add_user, start_backend
from support.rtsp_server import gstreamer_available, start_rtsp_server
from support.worker_process import QUICK_WORKER_ENV, WorkerProcess, camera_env

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MAIN_SIZE, SUB_SIZE = (640, 360), (320, 180)
LOAD_VIEWERS = 50


@dataclass
class Wall:
    backend: RunningBackend
    cameras: list[dict]  # the fourth has a detection sub-stream


@pytest.fixture(scope="module")
def wall(tmp_path_factory) -> Iterator[Wall]:
    if not gstreamer_available():
        pytest.fail("the GStreamer RTSP server is missing: scripts/bootstrap --system")
    tmp = tmp_path_factory.mktemp("wall")
    with (
        start_rtsp_server(fps=10, size=MAIN_SIZE, loop=True, shared=True) as main,
        start_rtsp_server(fps=10, size=SUB_SIZE, loop=True, shared=True) as sub,
        # The load test's 50 client threads (in this one pytest process) have stalled one of them for 10 s
        # between connecting and sending its request head on a loaded machine, and the server's head
        # deadline (GUNICORN_HEADER_TIMEOUT, 10 s) closed that connection (its warning in backend.log). The
        # deadline has its own tests (test_abuse_slow_clients.py); here it is longer than the test's waits.
        start_backend(tmp / "backend", env={"GUNICORN_HEADER_TIMEOUT": "60"}) as backend,
    ):
        cameras = [backend.create_camera(f"Cam {n}", main.url) for n in range(1, 4)]
        cameras.append(backend.create_camera("Cam 4", main.url, detect_rtsp_url=sub.url))
        workers = []
        try:
            for camera in cameras:
                env = {
                    **QUICK_WORKER_ENV,
                    **camera_env(camera, main.url, backend.url),
                    # No detector answers: the live view needs capture only, and the test's CPU stays free.
                    "DETECTOR_URL": "grpc://127.0.0.1:1",
                    "CLIPS_ENABLED": "false",
                    "DATA_DIR": str(tmp / f"data-{camera['id']}"),
                }
                if camera["name"] == "Cam 1":
                    env["LIVE_MAX_VIEWERS"] = str(LOAD_VIEWERS + 5)  # the load test's viewers
                if camera["name"] == "Cam 4":
                    # With clips the worker reads both streams: the live port serves both.
                    env |= {"DETECT_RTSP_URL": sub.url, "CLIPS_ENABLED": "true"}
                workers.append(WorkerProcess(env, tmp / f"worker-{camera['id']}.log").start())
            for camera in cameras:
                path = f"/api/cameras/{camera['id']}/live/"
                wait_for(lambda: backend.request("GET", path).json()["state"] == "live", 60, "live")  # noqa: B023
            sub_codec = lambda: backend.request("GET", f"/api/cameras/{cameras[3]['id']}/live/").json()["sub"]  # noqa: E731
            wait_for(lambda: (sub_codec() or {}).get("codec"), 30, "the sub-stream reported")
            yield Wall(backend, cameras)
        finally:
            for worker in workers:
                worker.close()


def tile_times(page: Page) -> list[float]:
    return page.evaluate("Array.from(document.querySelectorAll('.live-tile video')).map(v => v.currentTime)")


def test_a_wall_of_4_cameras_plays_all_4_and_a_tile_plays_the_sub_stream(browser, wall):
    page = signed_in(browser, wall.backend.url)
    try:
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto("/dashboard/live/")
        expect(page.locator(".live-tile")).to_have_count(4)
        wait_for(lambda: all(t > 0 for t in tile_times(page)), 15, "every tile plays", lambda: players(page))
        started = tile_times(page)
        wait_for(
            lambda: all(now > then + 0.5 for now, then in zip(tile_times(page), started, strict=True)),
            10,
            "every tile keeps playing",
        )
        states = page.locator(".live-tile .live-state")
        for n in range(4):
            expect(states.nth(n)).to_have_attribute("data-state", "playing")
        # Cam 4's tile shows its detection sub-stream; its single view the main stream.
        widths = page.evaluate(
            "Array.from(document.querySelectorAll('.live-tile video')).map(v => v.videoWidth)"
        )
        assert widths == [MAIN_SIZE[0]] * 3 + [SUB_SIZE[0]]
        page.locator(".live-tile").nth(3).click()
        expect(page).to_have_url(re.compile(rf"/dashboard/cameras/{wall.cameras[3]['id']}/live/$"))
        width = lambda: page.evaluate("document.querySelector('.live-player video').videoWidth")  # noqa: E731
        assert wait_for(
            lambda: width() == MAIN_SIZE[0],
            10,
            "the single view plays the main stream",
            lambda: players(page),
        )
        assert not errors, errors
    finally:
        page.context.close()


def test_a_codec_the_browser_cannot_play_gets_a_message_and_a_down_camera_says_since_when(browser, wall):
    user_token = add_user(wall.backend, "hevc-owner")
    for name, codec in (("H265 cam", "hev1.1.6.L93.B0"), ("MJPEG cam", "mjpeg"), ("Down cam", None)):
        response = wall.backend.request(
            "POST", "/api/cameras/", token=user_token, json={"name": name, "rtsp_url": "rtsp://10.0.0.9/s"}
        )
        camera = response.json()
        wall.backend.request("POST", f"/api/cameras/{camera['id']}/activate/", token=user_token)
        if codec:
            # What a worker reading such a camera reports (no such worker here: the player never gets to
            # dial it, it refuses the codec first).
            report = {"url": "http://127.0.0.1:9/live", "key": "k" * 32, "codec": codec}
            beat = wall.backend.request(
                "POST",
                f"/api/cameras/{camera['id']}/heartbeat/",
                token=camera["ingest_token"],
                json={"stream_state": "up", "live": report},
            )
            assert beat.status_code == 204, beat.text
    page = signed_in(browser, wall.backend.url, "hevc-owner")
    try:
        page.goto("/dashboard/live/")
        tiles = page.locator(".live-tile")
        expect(tiles).to_have_count(3)
        down, h265, mjpeg = (tiles.nth(n).locator(".live-state") for n in range(3))  # in name order
        expect(h265).to_have_attribute("data-state", "unsupported")
        expect(h265).to_contain_text("cannot play this camera's H.265 video")
        expect(mjpeg).to_have_attribute("data-state", "unsupported")
        expect(mjpeg).to_contain_text("MJPEG")
        expect(down).to_have_attribute("data-state", "down")
        expect(down).to_contain_text(re.compile(r"down since \d"))
    finally:
        page.context.close()


def test_a_saved_layout_is_the_wall_after_a_reload_and_the_wall_goes_full_screen(browser, wall):
    page = signed_in(browser, wall.backend.url)
    try:
        page.goto("/dashboard/live/")
        page.locator(".wall-layout summary").click()
        page.select_option("#id_columns", "3")
        for camera in wall.cameras[:2]:
            page.check(f"#wall-layout-form input[value='{camera['id']}']")
        page.click("#wall-layout-form button[type=submit]")
        expect(page.locator(".live-tile")).to_have_count(2)
        page.reload()
        expect(page.locator(".live-tile")).to_have_count(2)
        expect(page.locator("#live-wall")).to_have_class(re.compile(r"\bcols-3\b"))
        page.click("#wall-fullscreen")
        wait_for(
            lambda: (
                page.evaluate("document.fullscreenElement && document.fullscreenElement.id") == "live-wall"
            ),
            5,
            "the wall is full screen",
        )
        wait_for(lambda: all(t > 0 for t in tile_times(page)), 15, "the tiles play in full screen")
    finally:
        page.context.close()


def test_50_viewers_on_one_backend_process_leave_healthz_answering_under_1_s(wall):
    """The backend runs one gunicorn worker here (start_backend's default): every viewer is relayed by
    the same event loop that answers /healthz."""
    camera = wall.cameras[0]
    stop = threading.Event()
    received = [0] * LOAD_VIEWERS
    opened = threading.Semaphore(0)
    failures: list[str] = []

    def watch(index: int) -> None:
        try:
            view(index)
        except Exception as error:
            failures.append(f"viewer {index}: {error!r}")
            opened.release()

    def view(index: int) -> None:
        if index % 2:
            url = wall.backend.url.replace("http://", "ws://") + f"/api/cameras/{camera['id']}/live/ws/"
            with ws_connect(url, additional_headers=wall.backend.headers(), open_timeout=20) as ws:
                opened.release()
                while not stop.is_set():
                    received[index] += len(ws.recv(timeout=10))
        else:
            url = f"{wall.backend.url}/api/cameras/{camera['id']}/live/stream/"
            with requests.get(url, headers=wall.backend.headers(), stream=True, timeout=20) as response:
                response.raise_for_status()
                opened.release()
                for chunk in response.iter_content(16384):
                    received[index] += len(chunk)
                    if stop.is_set():
                        return

    threads = [threading.Thread(target=watch, args=(n,), daemon=True) for n in range(LOAD_VIEWERS)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(LOAD_VIEWERS):
            assert opened.acquire(timeout=60), "every viewer's stream opened"
        assert not failures, failures
        wait_for(lambda: all(received), 30, "every viewer receives video")
        answers = []
        for _ in range(20):
            started = time.monotonic()
            response = requests.get(f"{wall.backend.url}/healthz", timeout=5)
            answers.append(time.monotonic() - started)
            assert response.status_code == 200
            time.sleep(0.25)  # spread the probes over the viewers' stream, as a kubelet's are
        print(
            f"/healthz with {LOAD_VIEWERS} viewers: median {statistics.median(answers) * 1000:.0f} ms, "
            f"max {max(answers) * 1000:.0f} ms"
        )
        assert max(answers) < 1.0, answers
        before = list(received)
        wait_for(
            lambda: all(now > then for now, then in zip(received, before, strict=True)),
            10,
            "every viewer still receives video",
        )
    finally:
        stop.set()
        for thread in threads:
            thread.join(15)
