"""The live view end to end, nothing mocked: a real RTSP server, the real worker process, the real
backend (gunicorn with uvicorn workers: the relay needs the ASGI server) and headless Chromium.

The live page plays within 3 s of opening (``currentTime`` advances); the wall shows every camera and
opens the single view; the relay is fragmented MP4 a real demuxer decodes; one RTSP session per stream
whatever the number of viewers (counted at the RTSP server's port); the worker's viewer limit and a
viewer that stops reading; tenancy over real HTTP; a closed connection ends its session at once; a
browser without MSE is given the HLS playlist.
"""

from __future__ import annotations

import contextlib
import io
import re
import socket
import threading
import time
from collections.abc import Iterator

import av
import pytest
import requests
from browser_support import players, signed_in, wait_for
from playwright.sync_api import expect
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as ws_connect

from support.backend import DEMO_PASSWORD, DEMO_USER, add_user
from support.live_site import NO_DETECTOR, LiveSite, one_camera_live

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MAX_VIEWERS = 3


class Site(LiveSite):
    @property
    def stream_path(self) -> str:
        return f"/api/cameras/{self.camera['id']}/live/stream/"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    worker_env = {
        **NO_DETECTOR,
        "LIVE_MAX_VIEWERS": str(MAX_VIEWERS),
        # About 10 s of this stream: a viewer that stops reading is dropped soon enough for its test,
        # while the reading viewers of the limit test never are, even when a loaded machine starves their
        # threads for seconds.
        "LIVE_BUFFER_BYTES": str(1024 * 1024),
    }
    with one_camera_live(tmp_path_factory.mktemp("live"), worker_env=worker_env) as live:
        yield Site(live.backend, live.camera, live.worker, live.rtsp)


def open_stream(site: Site, token: str | None = None) -> requests.Response:
    return requests.get(
        f"{site.backend.url}{site.stream_path}", headers=site.backend.headers(token), stream=True, timeout=10
    )


def drain(chunks: Iterator[bytes], stop: threading.Event) -> None:
    """Reads a viewer's stream until told to stop or the stream ends (its bytes are not needed)."""
    with contextlib.suppress(requests.RequestException, AttributeError, ValueError):
        for _ in chunks:
            if stop.is_set():
                return


def read_at_least(chunks: Iterator[bytes], size: int) -> bytes:
    """The first ``size`` bytes or more of ``chunks`` (one ``iter_content`` of a response, kept for the
    rest of its reading: a second ``iter_content`` is a new generator, and the first one's close, whenever
    the garbage collector gets to it, closes the connection under urllib3's chunked reads: every viewer of
    the limit test once ended a second after it started, all at once)."""
    data = b""
    for chunk in chunks:
        data += chunk
        if len(data) >= size:
            break
    return data


def whole_boxes(data: bytes) -> bytes:
    """``data`` up to its last complete top-level MP4 box (a read stops mid-fragment)."""
    end = 0
    while end + 8 <= len(data) and end + int.from_bytes(data[end : end + 4], "big") <= len(data):
        end += int.from_bytes(data[end : end + 4], "big")
    return data[:end]


def test_the_stream_is_fragmented_mp4_that_decodes(site):
    with open_stream(site) as response:
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == "video/mp4"
        assert response.headers["X-Codec"].startswith("avc1.")
        data = read_at_least(response.iter_content(16384), 200_000)
    assert data[4:8] == b"ftyp"
    with av.open(io.BytesIO(whole_boxes(data)), format="mp4") as container:
        assert sum(1 for _ in container.decode(video=0)) >= 5


def test_tenancy_over_real_http(site):
    other = add_user(site.backend, "mallory")
    assert open_stream(site, other).status_code == 404
    assert requests.get(f"{site.backend.url}{site.stream_path}", timeout=10).status_code == 401
    assert open_stream(site, site.camera["ingest_token"]).status_code == 403
    described = site.backend.request("GET", f"/api/cameras/{site.camera['id']}/live/", token=other)
    assert described.status_code == 404


def ws_url(site: Site) -> str:
    return site.backend.url.replace("http://", "ws://") + f"/api/cameras/{site.camera['id']}/live/ws/"


def ws_refusal(site: Site, **kwargs) -> int:
    """The HTTP status that refused the upgrade (fails if it was accepted)."""
    with pytest.raises(InvalidStatus) as refused:
        ws_connect(ws_url(site), open_timeout=10, **kwargs).close()
    return refused.value.response.status_code


def session_cookie(site: Site) -> str:
    http = requests.Session()
    login = http.get(f"{site.backend.url}/dashboard/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)
    assert token, login.text[:300]
    form = {"username": DEMO_USER, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token.group(1)}
    http.post(f"{site.backend.url}/dashboard/login/", data=form, timeout=10, headers={"Referer": login.url})
    return "; ".join(f"{name}={value}" for name, value in http.cookies.items())


def test_the_websocket_sends_the_fragmented_mp4_with_a_token_or_the_session(site):
    for headers in (site.backend.headers(), {"Cookie": session_cookie(site)}):
        origin = site.backend.url
        opened = ws_connect(ws_url(site), additional_headers=headers, origin=origin, open_timeout=10)
        with opened as ws:
            data = b""
            while len(data) < 50_000:
                message = ws.recv(timeout=10)
                assert isinstance(message, bytes)
                data += message
        assert data[4:8] == b"ftyp"
        with av.open(io.BytesIO(whole_boxes(data)), format="mp4") as container:
            assert sum(1 for _ in container.decode(video=0)) >= 1
    wait_for(lambda: site.viewers() == 0, 5, "a closed WebSocket ends its session at once")


def test_websocket_tenancy_and_origin(site):
    other = add_user(site.backend, "eve")
    assert ws_refusal(site, additional_headers=site.backend.headers(other)) == 404
    assert ws_refusal(site) == 401  # no credentials
    assert ws_refusal(site, additional_headers=site.backend.headers(site.camera["ingest_token"])) == 403
    # A page of another site (or another port: another origin) with the viewer's cookie: refused before
    # anything else; so is a token in the URL (it is not read).
    cookie = {"Cookie": session_cookie(site)}
    assert ws_refusal(site, additional_headers=cookie, origin="http://evil.example") == 403
    assert ws_refusal(site, additional_headers=cookie, origin=site.backend.url + "0") == 403
    with pytest.raises(InvalidStatus) as refused:
        ws_connect(ws_url(site) + f"?token={site.backend.user_token}", open_timeout=10).close()
    assert refused.value.response.status_code == 401
    assert site.viewers() == 0
    # A refusal is an answer, not a server error (uvicorn's protocol logged one at ERROR for each).
    assert site.backend.log_path is not None
    assert "without completing handshake" not in site.backend.log_path.read_text()


def test_one_rtsp_session_whatever_the_viewers_and_the_viewer_limit(site):
    assert site.rtsp_sessions() == 1
    viewers = [open_stream(site) for _ in range(MAX_VIEWERS)]
    stop = threading.Event()
    try:
        streams = [viewer.iter_content(16384) for viewer in viewers]
        for viewer, chunks in zip(viewers, streams, strict=True):
            assert viewer.status_code == 200 and read_at_least(chunks, 1000)[4:8] == b"ftyp"
        # Every viewer keeps reading, as a player does: one that stops is dropped as slow (a test of its
        # own below), which would free its slot while the limit is checked.
        for chunks in streams:
            threading.Thread(target=drain, args=(chunks, stop), daemon=True).start()
        assert site.rtsp_sessions() == 1
        assert wait_for(lambda: site.viewers() == MAX_VIEWERS, 10, "every viewer counted")
        busy = open_stream(site)
        assert busy.status_code == 503 and busy.json()["state"] == "busy"
        assert site.viewers() == MAX_VIEWERS
    finally:
        stop.set()
        for viewer in viewers:
            viewer.close()
    # A closed connection ends its session at once (the next fragment's write fails).
    wait_for(lambda: site.viewers() == 0, 5, "the closed viewers' sessions ended")


def test_a_viewer_that_stops_reading_is_dropped(site):
    dropped = lambda: site.worker.value(  # noqa: E731
        "cctv_live_sessions_total", camera=str(site.camera["id"]), result="dropped"
    )
    before = dropped()
    host, port = site.backend.url.removeprefix("http://").split(":")
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting: a small window
        sock.settimeout(10)
        sock.connect((host, int(port)))
        auth = f"Authorization: Token {site.backend.user_token}"
        request = f"GET {site.stream_path} HTTP/1.1\r\nHost: {host}\r\n{auth}\r\n\r\n"
        sock.sendall(request.encode())
        assert b" 200 " in sock.recv(64)
        # Never read again: the worker's buffer for this viewer fills, or its write blocks, and it is dropped.
        wait_for(lambda: dropped() > before, 120, "the slow viewer dropped")
    wait_for(lambda: site.viewers() == 0, 10, "no viewer left")


@pytest.fixture
def page(browser, site):
    page = signed_in(browser, site.backend.url)
    yield page
    page.context.close()


def test_the_live_page_plays_within_3_s_and_the_wall_opens_it(page, site):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    opened = time.monotonic()
    page.goto(f"/dashboard/cameras/{site.camera['id']}/live/")
    # page.evaluate, not wait_for_function: that one evaluates a string, which the page's CSP forbids.
    played = lambda: page.evaluate("document.querySelector('.live-player video').currentTime")  # noqa: E731
    wait_for(lambda: played() > 0, 3, "the video plays")
    assert time.monotonic() - opened < 3.5  # the page's own load counted in
    started = played()
    wait_for(lambda: played() > started + 0.5, 5, "the video keeps playing")
    expect(page.locator(".live-state")).to_have_attribute("data-state", "playing")
    # Over the WebSocket (the fallback to streaming HTTP is for servers and proxies without them).
    assert page.evaluate("document.querySelector('.live-player').dataset.transport") == "ws"
    assert not errors, errors

    page.goto("/dashboard/live/")
    tile = page.locator(".live-tile")
    expect(tile).to_have_count(1)
    tile_state = lambda: tile.locator(".live-state").get_attribute("data-state") == "playing"  # noqa: E731
    wait_for(tile_state, 10, "the wall's tile plays", lambda: players(page))
    tile.click()
    expect(page).to_have_url(re.compile(rf"/dashboard/cameras/{site.camera['id']}/live/$"))


def test_a_session_that_sends_nothing_is_given_up_and_reopened(page, site):
    """A socket that opens and then carries nothing (a proxy that buffers, a relay or worker stuck): the
    player gives up after its stall limit (8 s), says so, and opens a new session, which plays. The silent
    socket is made in the browser (Playwright routes the first WebSocket and never answers on it): the real
    backend and worker have no way to open a session and send nothing. The later sockets are the real ones."""
    sockets: list[object] = []

    def first_silent(ws) -> None:
        sockets.append(ws)
        if len(sockets) > 1:
            ws.connect_to_server()  # passed through to the real backend

    page.route_web_socket(re.compile(r".*/live/ws/$"), first_silent)
    state = lambda: page.evaluate("document.querySelector('.live-state').dataset.state")  # noqa: E731
    opened = time.monotonic()
    page.goto(f"/dashboard/cameras/{site.camera['id']}/live/")
    # state() first: the sync API delivers the route's callbacks only while it is called.
    wait_for(lambda: state() == "connecting" and len(sockets) == 1, 5, "the first socket opened")
    wait_for(lambda: state() == "down", 15, "the player gave the silent session up")
    assert 7.5 < time.monotonic() - opened < 14
    expect(page.locator(".live-state")).to_contain_text("No video for 8 s")
    wait_for(lambda: state() == "playing", 15, "the next session plays")
    assert len(sockets) == 2


# A browser without MSE that plays HLS natively (Safari, iOS), as Chromium pretends to be one: no
# MediaSource, and canPlayType says yes to HLS. Chromium cannot play the playlist itself (no native HLS),
# so this checks the choice and the URL the video is given; the playlist and its segments are checked with
# a parser and a decoder in tests/backend/test_live_hls.py.
WITHOUT_MSE = """
delete window.MediaSource;
delete window.ManagedMediaSource;
window.__sources = [];
const canPlay = HTMLMediaElement.prototype.canPlayType;
HTMLMediaElement.prototype.canPlayType = function (type) {
  return type === "application/vnd.apple.mpegurl" ? "maybe" : canPlay.call(this, type);
};
const src = Object.getOwnPropertyDescriptor(HTMLMediaElement.prototype, "src");
Object.defineProperty(HTMLMediaElement.prototype, "src", {
  get() { return src.get.call(this); },
  set(value) { window.__sources.push(value); src.set.call(this, value); },
});
"""


def test_a_browser_without_mse_gets_the_hls_playlist(page, site):
    page.add_init_script(WITHOUT_MSE)
    page.goto(f"/dashboard/cameras/{site.camera['id']}/live/")
    transport = lambda: page.evaluate("document.querySelector('.live-player').dataset.transport")  # noqa: E731
    wait_for(lambda: transport() == "hls", 5, "the player chose HLS")
    playlist = f"{site.backend.url}/api/cameras/{site.camera['id']}/live/hls/index.m3u8"
    assert page.evaluate("window.__sources")[0] == playlist


def test_a_stream_that_goes_down_shows_down_and_resumes_by_itself_within_10_s(page, site):
    """Last in this module: it stops the module's RTSP server (and starts it again)."""
    state = lambda: page.evaluate("document.querySelector('.live-state').dataset.state")  # noqa: E731
    page.goto(f"/dashboard/cameras/{site.camera['id']}/live/")
    wait_for(lambda: state() == "playing", 5, "the live view plays")
    site.rtsp.stop()
    wait_for(lambda: state() == "down", 20, "the player shows the stream down")
    site.rtsp.start()
    wait_for(lambda: state() == "playing", 10, "the player resumes by itself")
    played = page.evaluate("document.querySelector('.live-player video').currentTime")
    # "playing" is shown once media is buffered; the picture then moves as soon as the next fragments come
    # through the worker and the relay. On an idle machine that is well under a second; a full suite on six
    # workers (CPU-bound fuzzing and inference beside it) once took over 5 s here, so 10 s.
    wait_for(
        lambda: page.evaluate("document.querySelector('.live-player video').currentTime") > played,
        10,
        "the video plays again",
    )
