"""The footage review page in real Chromium (issue 24), nothing mocked: the production server (gunicorn
+ uvicorn), 18 real H.264 segments (3 minutes) uploaded by the worker's route, an event sent by the
camera, the page's own MSE player over the recordings' HLS playlist. It draws the day (one recorded span,
the event's marker); plays through a segment boundary at 1x (12 s of it, not all 3 minutes: test time;
bench/bench_timeline_playback.py plays the whole range) without a stall over 0.5 s, then 80 s of
footage at 8x with the playhead moving 8x (±10 %) and no stall over 0.5 s; shows the event's moment
within 1 s of a click on its marker; makes an export to download; and the strict CSP reports nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from browser_support import chromium, signed_in, wait_for

from support.timeline_site import STALL_RECORDER, STALLS_NOW, TimelineSite, recorded_camera

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SEGMENTS = 18  # 3 minutes of footage in 18 segments


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[TimelineSite]:
    with recorded_camera(tmp_path_factory.mktemp("timeline"), segments=SEGMENTS, event_at=25) as site:
        yield site


def test_the_timeline_draws_plays_seeks_and_exports(site) -> None:
    backend, camera, t0, offset = site.backend, site.camera, site.t0, site.offset
    with chromium() as browser:
        page = signed_in(browser, backend.url)
        violations: list[str] = []
        page.on("console", lambda message: violations.append(message.text)
                if "Content Security Policy" in message.text else None)  # fmt: skip
        page.add_init_script(STALL_RECORDER)
        page.goto(site.timeline_path)
        wait_for(lambda: page.locator(".tl-bar .tl-marker").count() == 1, 10, "the event's marker")
        # The day's segments and its events are fetched side by side: either may be drawn first.
        wait_for(
            lambda: page.locator(".tl-bar .tl-span").count() == 1, 10, "one recorded span (touching segments)"
        )
        wait_for(
            lambda: page.get_attribute("#timeline", "data-segments") == str(SEGMENTS), 10, "the playlist"
        )

        def position() -> float:
            return float(page.evaluate("document.getElementById('tl-video').currentTime"))

        wait_for(lambda: abs(position() - offset) < 0.5, 10, "the player at the day's first recording")
        page.click("#tl-play")
        wait_for(lambda: position() > offset + 0.5, 10, "playback starting")
        page.evaluate("window.__stalls = []")  # the start's own wait is not a stall
        # 1x across a segment boundary (10 s): no stall over 0.5 s.
        wait_for(lambda: position() > offset + 12, 20, "1x playback through a segment boundary")
        stalls = page.evaluate(STALLS_NOW)
        assert all(stall["length"] <= 500 for stall in stalls), stalls
        # 8x: the playhead moves 8 s of footage a second (±10 %), through several boundaries.
        page.select_option("#tl-speed", "8")
        wait_for(lambda: page.evaluate("document.getElementById('tl-video').playbackRate") == 8, 5, "8x")
        began_wall, began_at = time.monotonic(), position()
        wait_for(lambda: position() > began_at + 80, 20, "8x playback through eight segment boundaries")
        rate = (position() - began_at) / (time.monotonic() - began_wall)
        stalls = page.evaluate(STALLS_NOW)
        assert 8 * 0.9 <= rate <= 8 * 1.1, rate
        assert all(stall["length"] <= 500 for stall in stalls), stalls

        page.click("#tl-play")  # pause
        clicked = time.monotonic()
        page.locator(".tl-bar .tl-marker").click()
        wait_for(
            lambda: (
                abs(position() - (offset + 25)) < 0.2
                and page.evaluate("document.getElementById('tl-video').readyState") >= 2
            ),
            1.0,
            "the event's first frame on screen",
        )
        assert time.monotonic() - clicked <= 1.0

        start, end = t0 + timedelta(seconds=5), t0 + timedelta(seconds=35)
        page.fill("#tl-export-start", f"{start:%H:%M:%S}")
        page.fill("#tl-export-end", f"{end:%H:%M:%S}")
        page.fill("#tl-export-name", "yard at noon")
        page.click("#tl-export button[type=submit]")
        wait_for(lambda: "pending" in (page.text_content("#tl-export-status") or ""), 10, "the export queued")
        backend.manage("run_exports", "--once")
        link = page.locator("#tl-export-link")
        wait_for(lambda: link.count() == 1, 10, "the export's download link")
        assert link.get_attribute("href").endswith("/download/")
        # From the event's page straight to its moment in the recordings, with the camera's pre-roll.
        page.goto(f"/dashboard/alerts/{camera['alert_id']}/")
        page.click("#recording-link")
        expected = offset + 25 - camera["pre_roll_seconds"]
        wait_for(lambda: abs(position() - expected) < 0.2, 10, "the event's moment less the pre-roll")
        assert violations == []
        page.context.close()
