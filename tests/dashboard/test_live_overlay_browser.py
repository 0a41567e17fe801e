"""The live view's detection overlay end to end, nothing mocked: a real RTSP server looping a street with
pedestrians, the real worker process with the real person detector (ONNX), the real backend (gunicorn
with uvicorn workers) and headless Chromium.

``GET /api/cameras/<id>/live/detections/`` over real HTTP: the worker's latest objects with alert-type
labels (never the model's class names), the live stream's tenancy (another user's camera 404, no login
401, an ingest token 403). In Chromium: the toggle draws boxes on the canvas over the video (pixels that
are not transparent), switching it off clears and hides the canvas and stops polling, and the choice
is remembered for that view across a reload.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests
from browser_support import signed_in, wait_for
from playwright.sync_api import expect

# The person detector's fixtures (the model is exported once and cached between runs).
from worker.conftest import person_onnx, person_pt  # noqa: F401

from support.backend import add_user
from support.live_site import LiveSite, one_camera_live

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MODEL_CLASS_NAMES = ("Normal", "Fall")  # the bundled model's: they never reach a viewer


class Site(LiveSite):
    @property
    def path(self) -> str:
        return f"/api/cameras/{self.camera['id']}/live/detections/"

    def detections(self, token: str | None = None) -> requests.Response:
        return requests.get(f"{self.backend.url}{self.path}", headers=self.backend.headers(token), timeout=10)


@pytest.fixture(scope="module")
def site(tmp_path_factory, person_onnx) -> Iterator[Site]:  # noqa: F811
    # The street's pedestrians are small: a smaller box than the default minimum counts.
    camera = {"alert_types": ["person"], "min_box_area": 0.001, "confidence_threshold": 0.3}
    worker_env = {
        "MODEL_PATH": str(person_onnx),
        "ALERT_CLASS_MAP": "Normal=person,Fall=person",
        "DETECT_FPS": "2",
        "INFERENCE_THREADS": "1",
    }
    with one_camera_live(
        tmp_path_factory.mktemp("overlay"), name="Street", camera=camera, worker_env=worker_env
    ) as live:
        yield Site(live.backend, live.camera, live.worker, live.rtsp)


def test_the_latest_detections_carry_alert_type_labels_and_normalised_boxes(site):
    def objects():
        answer = site.detections()
        assert answer.status_code == 200, answer.text
        assert answer.headers["Cache-Control"] == "no-store"
        return answer.json()["objects"]

    found = wait_for(objects, 60, "the worker detects the pedestrians")
    for item in found:
        assert item["alert_type"] == "person" and item["label"] == "Person"
        assert item["label"] not in MODEL_CLASS_NAMES
        assert 0.0 <= item["confidence"] <= 1.0 and isinstance(item["track_id"], int)
        x1, y1, x2, y2 = item["box"]
        assert 0.0 <= x1 < x2 <= 1.0 and 0.0 <= y1 < y2 <= 1.0
    # The capture time of the frame they were found on: recent wall-clock time.
    assert abs(site.detections().json()["captured_at"] - time.time()) < 30


def test_the_detections_have_the_live_streams_tenancy_over_real_http(site):
    other = add_user(site.backend, "mallory")
    assert site.detections(other).status_code == 404
    assert requests.get(f"{site.backend.url}{site.path}", timeout=10).status_code == 401
    assert site.detections(site.camera["ingest_token"]).status_code == 403
    missing = site.path.replace(f"/{site.camera['id']}/", "/999999/")
    answer = requests.get(f"{site.backend.url}{missing}", headers=site.backend.headers(), timeout=10)
    assert answer.status_code == 404


@pytest.fixture
def page(browser, site):
    page = signed_in(browser, site.backend.url)
    yield page
    page.context.close()


# page.evaluate, not wait_for_function: that one evaluates a string, which the page's CSP forbids.
OPAQUE_PIXELS = """() => {
  const canvas = document.querySelector('canvas.live-overlay');
  if (!canvas.width || !canvas.height) return 0;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let count = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) count++;
  return count;
}"""


def test_the_toggle_draws_the_boxes_over_the_video_and_off_clears_them(page, site):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    polls: list[str] = []
    page.on("request", lambda req: polls.append(req.url) if "/live/detections/" in req.url else None)
    page.goto(f"/dashboard/cameras/{site.camera['id']}/live/")
    toggle = page.locator(".overlay-toggle")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(page.locator("canvas.live-overlay")).to_be_hidden()
    page.wait_for_timeout(1500)
    assert polls == []  # off: the page asks for nothing

    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    wait_for(lambda: page.evaluate(OPAQUE_PIXELS) > 100, 30, "boxes drawn on the overlay")
    boxes = int(page.locator("canvas.live-overlay").get_attribute("data-boxes") or 0)
    assert boxes > 0

    # Remembered for this view: a reload comes back with the overlay on.
    page.reload()
    expect(page.locator(".overlay-toggle")).to_have_attribute("aria-pressed", "true")
    wait_for(lambda: page.evaluate(OPAQUE_PIXELS) > 100, 30, "boxes drawn again after the reload")

    page.locator(".overlay-toggle").click()
    expect(page.locator(".overlay-toggle")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("canvas.live-overlay")).to_be_hidden()
    assert page.evaluate(OPAQUE_PIXELS) == 0
    asked = len(polls)
    page.wait_for_timeout(1500)
    assert len(polls) <= asked + 1  # at most the one in flight when it was switched off
    assert errors == []

    # Per view: the wall has its own choice (still off), and its tile draws the same boxes when on.
    page.goto("/dashboard/live/")
    expect(page.locator(".overlay-toggle")).to_have_attribute("aria-pressed", "false")
    page.locator(".overlay-toggle").click()
    wait_for(lambda: page.evaluate(OPAQUE_PIXELS) > 100, 30, "boxes drawn on the wall's tile")
    page.goto(f"/dashboard/cameras/{site.camera['id']}/live/")
    expect(page.locator(".overlay-toggle")).to_have_attribute("aria-pressed", "false")
    assert errors == []
