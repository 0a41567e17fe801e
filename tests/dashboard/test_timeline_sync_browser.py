"""Two cameras played in sync from one timeline, in real Chromium (issue 24), nothing mocked: the
production server, real H.264 segments of two cameras over the same minute (one recorded in motion mode),
the page's own MSE players. While playing, and across a jump of the one playhead, the two players show the
same wall-clock moment within 0.5 s; the motion-mode camera's bar carries the motion band; the export form
makes one file per camera shown."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests
from browser_support import chromium, signed_in, wait_for

from support.backend import RunningBackend, server_database, start_backend
from support.clips import make_mp4
from support.clock import recent

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SEGMENTS = 4  # 40 s of each camera
# CCTV_UPDATE_SCREENSHOTS=1 writes the page's picture to docs/screenshots/ (the README shows it).
SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("CCTV_UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / f"cctv-screenshots-{os.getpid()}"
)
# Both players' positions (seconds since the day's start, the same wall clock in each) in one JS turn.
POSITIONS = "Array.from(document.querySelectorAll('video')).map(v => [v.currentTime, v.paused])"


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[tuple[RunningBackend, dict, dict, datetime]]:
    tmp = tmp_path_factory.mktemp("sync")
    t0 = recent(minutes=20)
    if (t0 + timedelta(seconds=60)).date() != t0.date():  # keep the footage inside one UTC day
        t0 -= timedelta(minutes=5)
    files = [make_mp4(tmp / f"{i}.mp4", seconds=10, size=(320, 240), seed=i) for i in range(SEGMENTS)]
    with (
        server_database(prefix="cctv_sync") as database_url,
        start_backend(tmp / "b", database_url=database_url) as backend,
    ):
        gate = backend.create_camera("Gate", "rtsp://10.9.8.3/gate", record_mode="motion")
        yard = backend.create_camera("Yard", "rtsp://10.9.8.4/yard", record_mode="continuous")
        for camera, kind in ((gate, "motion"), (yard, "continuous")):
            for index, path in enumerate(files):
                start = t0 + timedelta(seconds=10 * index)
                segment = (
                    f"/api/cameras/{camera['id']}/recordings/segments/{round(start.timestamp() * 1000)}/"
                )
                answer = requests.put(
                    f"{backend.url}{segment}",
                    data=path.read_bytes(),
                    headers={
                        "Authorization": f"Token {camera['ingest_token']}", "Content-Type": "video/mp4",
                        "X-Segment-Ended-At": iso(start + timedelta(seconds=10)), "X-Segment-Kind": kind,
                    },
                    timeout=30,
                )  # fmt: skip
                assert answer.status_code == 201, answer.text
        yield backend, gate, yard, t0


def test_two_cameras_play_at_the_same_wall_clock_moment(site) -> None:
    backend, gate, yard, t0 = site
    offset = (t0 - t0.replace(hour=0, minute=0, second=0, microsecond=0)).total_seconds()
    with chromium() as browser:
        page = signed_in(browser, backend.url)
        violations: list[str] = []
        page.on("console", lambda message: violations.append(message.text)
                if "Content Security Policy" in message.text else None)  # fmt: skip
        page.goto(f"/dashboard/cameras/{gate['id']}/timeline/?day={t0:%Y-%m-%d}&with={yard['id']}")
        assert page.locator("video").count() == 2
        # Four touching motion-mode segments: one motion run on the bar, as long as the recorded span.
        wait_for(lambda: page.locator(".tl-bar .tl-motion").count() == 1, 10, "the motion band")
        band = page.locator(".tl-bar .tl-motion").bounding_box()
        span = page.locator(".tl-bar .tl-span").bounding_box()
        assert band is not None and span is not None and abs(band["x"] - span["x"]) <= 1

        def positions() -> list[list]:
            return page.evaluate(POSITIONS)

        wait_for(lambda: all(abs(t - offset) < 0.5 for t, _ in positions()), 10, "both players at the start")
        page.click("#tl-play")
        wait_for(lambda: all(not paused for _, paused in positions()), 10, "both players playing")
        samples: list[float] = []

        def sample_until(seconds: float) -> None:
            def step() -> bool:
                (main, _), (follower, _) = positions()
                samples.append(abs(main - follower))
                return main > seconds

            wait_for(step, 30, f"playback to {seconds - offset:.0f} s of the footage")

        sample_until(offset + 6)
        page.keyboard.press("ArrowRight")  # the one playhead jumps 10 s: both players follow
        sample_until(offset + 20)
        assert len(samples) >= 20, samples
        assert max(samples) <= 0.5, samples
        page.click("#tl-play")  # pause: both stop
        wait_for(lambda: all(paused for _, paused in positions()), 5, "both players paused")
        # Zoomed to 10 minutes a bar, the 40 s of motion are a band one can see, under the playhead.
        page.select_option("#tl-zoom", "144")
        wait_for(
            lambda: page.locator(".tl-bar .tl-motion").bounding_box()["width"] > 40, 5, "the zoomed band"
        )
        head = page.locator("#tl-head").bounding_box()
        frame = page.locator("#tl-scroll").bounding_box()
        assert head is not None and frame is not None
        assert frame["x"] <= head["x"] <= frame["x"] + frame["width"], (head, frame)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        # The viewport, not full_page: a full-page capture resizes the page and loses the bar's scroll.
        page.screenshot(path=str(SCREENSHOTS / "timeline-sync.png"))

        # The export form takes the range of every camera shown: one file each.
        start, end = t0 + timedelta(seconds=5), t0 + timedelta(seconds=25)
        page.fill("#tl-export-start", f"{start:%H:%M:%S}")
        page.fill("#tl-export-end", f"{end:%H:%M:%S}")
        page.click("#tl-export button[type=submit]")
        wait_for(lambda: page.locator(".tl-export-item").count() == 2, 10, "two exports queued")
        backend.manage("run_exports", "--once")
        backend.manage("run_exports", "--once")
        for camera in (gate, yard):
            link = page.locator(f"#tl-export-link-{camera['id']}")
            wait_for(lambda link=link: link.count() == 1, 10, f"the download of {camera['name']}")
            assert camera["name"] in (link.text_content() or "")
        assert violations == []
        page.context.close()
