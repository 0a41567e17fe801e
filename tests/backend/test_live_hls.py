"""HLS (Safari/iOS) end to end, nothing mocked: a real RTSP server, the real worker process, the real
backend (gunicorn with uvicorn workers) and real HTTP. ``GET /api/cameras/<id>/live/`` advertises the
playlist; the playlist is valid HLS (parsed by the ``m3u8`` library) with EXT-X-MAP, and the init segment
followed by its segments decodes with advancing timestamps; the playlist advances; the session cookie
works as the token does; tenancy refuses other users, anonymous callers and ingest tokens; the worker's
HLS session ends after its idle timeout (its viewer gone), and it is still one RTSP session.
"""

from __future__ import annotations

import io
import itertools
import re
import time
from collections.abc import Iterator

import av
import m3u8
import pytest
import requests

from support.backend import DEMO_PASSWORD, DEMO_USER, add_user
from support.live_site import NO_DETECTOR, LiveSite, one_camera_live, wait_for

pytestmark = pytest.mark.slow

IDLE_SECONDS = 3


class Site(LiveSite):
    @property
    def hls(self) -> str:
        return f"{self.backend.url}/api/cameras/{self.camera['id']}/live/hls/"

    def get(self, name: str, **kwargs) -> requests.Response:
        kwargs.setdefault("headers", self.backend.headers())
        return requests.get(self.hls + name, timeout=20, **kwargs)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    worker_env = {**NO_DETECTOR, "LIVE_HLS_IDLE_SECONDS": str(IDLE_SECONDS)}
    with one_camera_live(tmp_path_factory.mktemp("hls"), worker_env=worker_env) as live:
        yield Site(live.backend, live.camera, live.worker, live.rtsp)


def playlist(site: Site, **kwargs) -> m3u8.M3U8:
    response = site.get("index.m3u8", **kwargs)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/vnd.apple.mpegurl"
    return m3u8.loads(response.text)


def complete(parsed: m3u8.M3U8) -> list:
    """The complete segments (m3u8 lists the parts of the one being built as one without a URI)."""
    return [segment for segment in parsed.segments if segment.uri]


def test_the_live_route_advertises_the_playlist(site):
    body = site.backend.request("GET", f"/api/cameras/{site.camera['id']}/live/").json()
    assert body["hls"] == site.hls + "index.m3u8"


def test_the_playlist_is_hls_whose_segments_decode_with_advancing_timestamps(site):
    parsed = wait_for(lambda: complete(p := playlist(site)) and p, 20, "a playlist with segments")
    assert parsed.version == 9 and parsed.segment_map[0].uri == "init.mp4"
    assert parsed.target_duration >= 1 and not parsed.is_endlist
    init = site.get("init.mp4")
    assert init.status_code == 200 and init.content[4:8] == b"ftyp"
    data = init.content
    for segment in complete(parsed):
        got = site.get(segment.uri)
        assert got.status_code == 200, got.text
        data += got.content
    with av.open(io.BytesIO(data), format="mp4") as container:
        pts = [frame.time for frame in container.decode(video=0)]
    assert len(pts) >= 5 and all(b > a for a, b in itertools.pairwise(pts))
    assert site.rtsp_sessions() == 1  # HLS is one more consumer of the worker's one RTSP session


def test_the_playlist_advances(site):
    first = playlist(site)
    last = lambda p: p.media_sequence + len(complete(p))  # noqa: E731
    wait_for(lambda: last(playlist(site)) > last(first), 15, "a newer segment in the playlist")


def test_ll_hls_parts_and_a_blocking_reload_through_the_backend(site):
    parsed = wait_for(lambda: complete(p := playlist(site)) and p, 20, "a playlist with segments")
    assert parsed.server_control.can_block_reload == "YES" and parsed.part_inf.part_target > 0
    last = complete(parsed)[-1]
    assert last.parts and last.parts[0].independent == "YES"
    part = site.get(last.parts[0].uri)
    assert part.status_code == 200 and part.content[4:8] == b"moof"
    # The next segment's first part: the answer waits for it (about a segment at most), and lists it.
    sequence = parsed.media_sequence + len(complete(parsed))
    started = time.monotonic()
    blocked = site.get(f"index.m3u8?_HLS_msn={sequence + 1}&_HLS_part=0")
    assert blocked.status_code == 200 and f'URI="part-{sequence + 1}.0.m4s"' in blocked.text
    assert time.monotonic() - started < 5  # bounded by the worker's BLOCK_WAIT (3 s) and the transfer
    assert site.get("index.m3u8?_HLS_msn=x").status_code == 400
    assert site.get(f"index.m3u8?_HLS_msn={sequence + 50}").status_code == 400  # too far ahead


def test_the_session_cookie_works_as_the_token_does(site):
    http = requests.Session()
    login = http.get(f"{site.backend.url}/dashboard/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)
    assert token, login.text[:300]
    form = {"username": DEMO_USER, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token.group(1)}
    http.post(f"{site.backend.url}/dashboard/login/", data=form, timeout=10, headers={"Referer": login.url})
    response = http.get(site.hls + "index.m3u8", timeout=20)
    assert response.status_code == 200 and response.text.startswith("#EXTM3U")


@pytest.mark.parametrize("name", ["index.m3u8", "init.mp4", "seg-0.m4s"])
def test_tenancy_over_real_http(site, name):
    other = add_user(site.backend, f"mallory-{name.replace('.', '-')}")
    assert site.get(name, headers=site.backend.headers(other)).status_code == 404
    assert site.get(name, headers={}).status_code == 401
    assert site.get(name, headers=site.backend.headers(site.camera["ingest_token"])).status_code == 403
    in_url = site.get(name + "?token=" + site.backend.user_token, headers={})
    assert in_url.status_code == 401  # a token in a URL never counts


@pytest.mark.parametrize("name", ["index.m3u9", "seg-.m4s", "seg-1.m4s.mp4", "..%2Flive", "x" * 300])
def test_any_other_name_is_404(site, name):
    assert site.get(name).status_code == 404


def test_the_session_stops_after_its_idle_timeout(site):
    playlist(site)
    assert site.viewers() >= 1
    # Nobody asks for anything: the worker ends the session and lets its segments go.
    wait_for(lambda: site.viewers() == 0, IDLE_SECONDS + 5, "the idle HLS session ended")
    assert site.get("seg-0.m4s").status_code == 404
