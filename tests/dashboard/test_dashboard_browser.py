"""The dashboard in a real headless Chromium (Playwright) against a live server: the whole daily workflow.

Nothing is mocked: alerts arrive through the real HTTP API with the camera's ingest token, exactly as a
worker sends them, and the page has to pick them up by itself. Screenshots of the main pages are taken
in every run; `CCTV_UPDATE_SCREENSHOTS=1` writes them to docs/screenshots/ (the README shows them), so
that an ordinary run leaves the checkout as it found it.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from dashboard_support import snapshot_base64
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from support.clock import iso, recent
from support.django_fixtures import PASSWORD
from surveillance.cameras import services
from surveillance.cameras.selectors import camera_ingest_token
from surveillance.models import Alert, Camera

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("CCTV_UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / f"cctv-screenshots-{os.getpid()}"
)

WAIT_MS = 10_000
# Assertions on the page wait as long as its actions: Playwright's own default for expect() is 5 s, which a
# feed poll missed once on a loaded six-worker run (the alert arrived, the poll came late).
expect.set_options(timeout=WAIT_MS)


@pytest.fixture
def site(browser, live_server, transactional_db, settings):
    settings.DASHBOARD_POLL_SECONDS = 0.3
    return live_server.url


@pytest.fixture
def page(browser, site):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=site)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    yield page
    context.close()


def make_user(username: str):
    return get_user_model().objects.create_user(username=username, password=PASSWORD)


def log_in(page: Page, username: str) -> None:
    page.goto("/dashboard/")
    expect(page).to_have_url(re.compile(r"/dashboard/login/\?next=/dashboard/$"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Alerts")


def send_alert(site: str, camera: Camera, alert_type: str = "person", **extra) -> dict:
    """POST /api/send-alert/ as the camera's worker does, with its ingest token."""
    camera.refresh_from_db()
    if alert_type not in camera.alert_types:  # an ingest token sends only the camera's enabled types
        services.camera_update(camera=camera, alert_types=[*camera.alert_types, alert_type])
    if not camera.is_active:  # an ingest token works only while its camera is active
        services.camera_set_active(camera=camera, active=True)
    body = {
        "camera_id": camera.id,
        "alert_type": alert_type,
        "confidence": 0.87,
        "description": f"{alert_type} near the gate",
        "image_base64": snapshot_base64(640, 360),
        "detections": [{"label": alert_type, "confidence": 0.87, "box": [0.4, 0.3, 0.6, 0.9]}],
        **extra,
    }
    response = requests.post(
        f"{site}/api/send-alert/",
        json=body,
        headers={"Authorization": f"Token {camera_ingest_token(camera=camera)}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return response.json()


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # Lazy thumbnails and fresh-card highlights would make the picture depend on timing.
    # Polled from here: wait_for_function's own polling evaluates its string with eval, which the pages'
    # Content-Security-Policy refuses (an EvalError whenever the images were not loaded at first look).
    loaded = "Array.from(document.images).every(img => img.complete && img.naturalWidth > 0)"
    deadline = time.monotonic() + WAIT_MS / 1000
    while not page.evaluate(loaded):
        assert time.monotonic() < deadline, "the page's images did not load"
        page.wait_for_timeout(50)
    page.add_style_tag(content=".is-fresh { animation: none !important; }")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_a_day_of_work_add_camera_watch_the_feed_acknowledge_filter_and_draw_a_zone(page, site):
    alice = make_user("alice")
    log_in(page, "alice")

    # Add a camera: a bad URL is refused next to the field, then a good one is saved.
    page.click("text=Cameras")
    page.click("text=+ Add camera")
    page.fill("#id_name", "Gate")
    page.fill("#id_rtsp_url", "http://10.0.0.5/stream")
    page.fill("#id_cooldown_seconds", "30")
    page.click("button:has-text('Add camera')")
    expect(page.locator("#rtsp_url-error")).to_contain_text("must start with rtsp://")
    assert not Camera.objects.exists()
    page.fill("#id_rtsp_url", "rtsp://admin:s3cret@10.0.0.5:554/stream1")
    page.click("button:has-text('Add camera')")
    row = page.locator("tr", has_text="Gate")
    expect(row).to_contain_text("Inactive")
    expect(row).to_contain_text("rtsp://admin:***@10.0.0.5:554/stream1")
    assert "s3cret" not in page.content()
    camera = Camera.objects.get(user=alice, name="Gate")
    assert camera.cooldown_seconds == 30

    # Activate it; once its worker reports the stream up it is online.
    row.locator("button:has-text('Activate')").click()
    expect(page.locator("tr", has_text="Gate")).to_contain_text("Stream down")
    page.evaluate("window.__notReloaded = true")
    camera.refresh_from_db()
    assert camera.is_active
    heartbeat = requests.post(
        f"{site}/api/cameras/{camera.id}/heartbeat/",
        json={"stream_state": "up", "fps": 12.5},
        headers={"Authorization": f"Token {camera_ingest_token(camera=camera)}"},
        timeout=30,
    )
    assert heartbeat.status_code == 204, heartbeat.text
    services.camera_create(user=alice, name="Loading bay", rtsp_url="rtsp://10.0.0.6/main")
    # The list refreshes itself: the new state and the new camera show up without a reload.
    expect(page.locator("tr", has_text="Gate")).to_contain_text("Online")
    expect(page.locator("tr", has_text="Loading bay")).to_contain_text("Inactive")
    expect(page.locator("#camera-summary")).to_contain_text("1 online")
    assert page.evaluate("window.__notReloaded") is True
    expect(page.locator("tr", has_text="Gate")).to_contain_text("12.5")

    # The feed is open; an alert posted through the API appears without a reload.
    page.click("nav >> text=Alerts")
    expect(page.locator("#no-alerts")).to_be_visible()
    page.evaluate("window.__notReloaded = true")
    first = send_alert(site, camera, "person")
    card = page.locator(f"#alert-{first['id']}")
    expect(card).to_be_visible()
    expect(card).to_contain_text("Gate")
    # One word for each (issue 19): "unacknowledged" for the acknowledgement, "open" for a running event.
    expect(page.locator("#open-count")).to_have_text("1 unacknowledged")
    assert page.evaluate("window.__notReloaded") is True
    for kind in ("vehicle", "intrusion", "person"):
        send_alert(site, camera, kind)
    expect(page.locator(".alert-card")).to_have_count(4)
    shot(page, "alerts")

    # Acknowledge the first one from its card.
    card.locator("button:has-text('Acknowledge')").click()
    expect(page.locator(f"#alert-{first['id']}")).to_contain_text("acknowledged")
    assert Alert.objects.get(pk=first["id"]).acknowledged_by == alice

    # Filter: open vehicle alerts only.
    page.select_option("#id_type", "vehicle")
    page.select_option("#id_ack", "no")
    page.click("button:has-text('Filter')")
    expect(page.locator(".alert-card")).to_have_count(1)
    expect(page.locator(".alert-card .tag")).to_have_text("Vehicle")
    # ... and the filtered feed stays live for what matches.
    other = send_alert(site, camera, "fire")
    vehicle = send_alert(site, camera, "vehicle")
    expect(page.locator(f"#alert-{vehicle['id']}")).to_be_visible()
    expect(page.locator(f"#alert-{other['id']}")).to_have_count(0)

    # Acknowledge many: select all open on this page.
    page.check("#pick-all")
    page.click("#ack-selected")
    expect(page.locator(".msg.success")).to_contain_text("2 alerts acknowledged")
    assert Alert.objects.filter(alert_type="vehicle", acknowledged=False).count() == 0

    # Alert detail: the full snapshot with the detection drawn.
    page.goto(f"/dashboard/alerts/{first['id']}/")
    expect(page.locator(".stage img")).to_be_visible()
    box = page.locator(".stage .box")
    expect(box).to_contain_text("person 87%")
    image_box = page.locator(".stage img").bounding_box()
    drawn = box.bounding_box()
    assert drawn["x"] - image_box["x"] == pytest.approx(image_box["width"] * 0.4, abs=3)
    shot(page, "alert-detail")

    # Zones: draw a triangle on the latest snapshot and save it.
    page.goto(f"/dashboard/cameras/{camera.id}/zones/")
    expect(page.locator("#zone-image")).to_be_visible()
    page.click("#zone-new")
    svg = page.locator("#zone-svg")
    size = svg.bounding_box()
    for x, y in [(0.2, 0.3), (0.7, 0.3), (0.5, 0.8)]:
        svg.click(position={"x": size["width"] * x, "y": size["height"] * y})
    page.click("#zone-finish")
    page.fill(".zone-name", "driveway")
    shot(page, "zones")
    page.click("#zone-save")
    expect(page.locator(".msg.success")).to_contain_text("1 zone saved")
    camera.refresh_from_db()
    [zone] = camera.zones
    assert zone["name"] == "driveway" and zone["intrusion"] is True
    assert [[round(x, 1), round(y, 1)] for x, y in zone["points"]] == [[0.2, 0.3], [0.7, 0.3], [0.5, 0.8]]
    expect(page.locator("#zone-svg polygon")).to_have_count(1)

    # The editor says that a zone switches detection off elsewhere, and a zone can be informational only
    # (issue 19): unticked, the camera keeps watching the rest of the frame.
    expect(page.locator("#zone-scope-note")).to_contain_text("switches detection off everywhere else")
    scope = page.locator(".zone-exclusive")
    expect(scope).to_be_checked()
    assert zone["exclusive"] is True
    scope.uncheck()
    page.click("#zone-save")
    expect(page.locator(".msg.success")).to_contain_text("1 zone saved")
    camera.refresh_from_db()
    assert camera.zones[0]["exclusive"] is False and camera.zones[0]["intrusion"] is True
    expect(page.locator(".zone-exclusive")).not_to_be_checked()

    # Statistics: both charts have bars.
    page.click("text=Statistics")
    expect(page.locator("#chart-daily rect")).not_to_have_count(0)
    expect(page.locator("#chart-cameras rect")).not_to_have_count(0)
    shot(page, "statistics")

    # The camera list now shows the last alert and the day's count.
    page.click("nav >> text=Cameras")
    expect(page.locator("tr", has_text="Gate")).to_contain_text("vehicle")
    shot(page, "cameras")


def test_a_user_never_sees_another_users_cameras_or_alerts_in_the_browser(page, site):
    alice, bob = make_user("alice"), make_user("bob")
    bob_camera = services.camera_create(user=bob, name="Bob garage", rtsp_url="rtsp://b:pw@10.9.9.9/x")
    alice_camera = services.camera_create(user=alice, name="Alice porch", rtsp_url="rtsp://10.0.0.1/x")
    bob_alert = send_alert(site, bob_camera, "fire")
    log_in(page, "alice")
    page.evaluate("window.__notReloaded = true")

    # A new alert of Bob's never reaches Alice's live feed, hers does.
    bob_new = send_alert(site, bob_camera, "smoke")
    alice_new = send_alert(site, alice_camera, "person")
    expect(page.locator(f"#alert-{alice_new['id']}")).to_be_visible()
    for alert_id in (bob_alert["id"], bob_new["id"]):
        expect(page.locator(f"#alert-{alert_id}")).to_have_count(0)

    for path in ("/dashboard/", "/dashboard/cameras/", "/dashboard/statistics/"):
        page.goto(path)
        expect(page.locator("main")).not_to_contain_text("Bob garage")
    for path in (
        f"/dashboard/alerts/{bob_alert['id']}/",
        f"/dashboard/cameras/{bob_camera.id}/",
        f"/dashboard/cameras/{bob_camera.id}/zones/",
    ):
        response = page.goto(path)
        assert response.status == 404, path


def test_the_pages_fit_a_phone_screen_without_sideways_scrolling(browser, site):
    alice = make_user("alice")
    camera = services.camera_create(user=alice, name="Front door", rtsp_url="rtsp://u:p@10.0.0.2/x")
    send_alert(site, camera, "person")
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, base_url=site, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        log_in(page, "alice")
        for path in (
            "/dashboard/",
            "/dashboard/cameras/",
            "/dashboard/statistics/",
            "/dashboard/cameras/new/",
        ):
            page.goto(path)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
        page.goto("/dashboard/")
        shot(page, "alerts-phone")
    finally:
        context.close()


def test_an_events_page_groups_its_tracks_and_labels_boxes_with_the_alert_type(page, site):
    # Issue 19: a 3-minute event listed 106 tracks, and its boxes said the model's "Normal" / "Fall".
    alice = make_user("alice")
    camera = services.camera_create(
        user=alice, name="Street", rtsp_url="rtsp://10.0.0.5/s", alert_types=["person"]
    )
    started = recent(minutes=5)
    objects = [
        {"track_id": i, "label": "Normal", "alert_type": "person", "first_seen": iso(started),
         "last_seen": iso(started + timedelta(seconds=5)), "confidence": round(0.5 + i / 100, 2), "zones": []}
        for i in range(1, 21)
    ]  # fmt: skip
    alert = send_alert(
        site, camera, "person", idempotency_key="busy", status="open", started_at=iso(started),
        objects=objects, revision=1,
        detections=[{"label": "Normal", "confidence": 0.54, "box": [0.4, 0.3, 0.6, 0.9]}],
    )  # fmt: skip
    log_in(page, "alice")
    page.goto(f"/dashboard/alerts/{alert['id']}/")
    expect(page.locator(".stage .box")).to_contain_text("person 54%")
    expect(page.locator(".stage .box")).not_to_contain_text("Normal")
    group = page.locator("#event-objects .object-group")
    expect(group.locator("strong")).to_have_text("20 \u00d7 person")  # twenty, times sign, person
    expect(group.locator(":scope > div.small")).to_have_count(3)
    expect(group.locator(":scope > div.small").first).to_contain_text("#20 0.70")
    rest = group.locator("details.object-rest")
    expect(rest.locator("summary")).to_have_text("17 more person tracks")
    expect(rest.locator("div.small").first).to_be_hidden()
    rest.locator("summary").click()
    expect(rest.locator("div.small")).to_have_count(17)
    expect(rest.locator("div.small").first).to_be_visible()
    expect(page.locator("#event-status")).to_contain_text("● open")

    # The camera form says which types the camera's model can raise (its worker's heartbeat reports them).
    services.camera_record_heartbeat(camera=camera, stream_state="up", fps=5.0, producible_types=["person"])
    page.goto(f"/dashboard/cameras/{camera.id}/")
    expect(page.locator("#producible-types")).to_contain_text("This camera's model can raise: person.")


def test_every_page_shows_times_in_one_format_in_the_browsers_time_zone(browser, site):
    # Issue 19: the feed said "30 Nov 10:00:05", the delivery log "Nov. 30, 2026, 10 a.m.", both in the
    # server's zone. Now one format, in the zone of the browser (here Tokyo, the server runs in UTC).
    from notifications import services as notification_services
    from notifications.models import Delivery

    alice = make_user("alice")
    notification_services.channel_create(user=alice, kind="email", name="inbox", addresses=["a@example.com"])
    camera = services.camera_create(
        user=alice, name="Gate", rtsp_url="rtsp://10.0.0.5/s", alert_types=["person"]
    )
    alert = send_alert(site, camera, "person")
    stored = Alert.objects.get(pk=alert["id"])
    tokyo = ZoneInfo("Asia/Tokyo")
    context = browser.new_context(base_url=site, timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        log_in(page, "alice")
        card_time = page.locator(f"#alert-{alert['id']} time.when")
        expect(card_time).to_have_text(stored.occurred_at.astimezone(tokyo).strftime("%Y-%m-%d %H:%M:%S"))
        expect(card_time).to_have_attribute("title", "your time zone: Asia/Tokyo")
        page.goto("/dashboard/notifications/deliveries/")
        created = Delivery.objects.get(alert=stored).created_at
        expect(page.locator("time.when").first).to_have_text(
            created.astimezone(tokyo).strftime("%Y-%m-%d %H:%M:%S")
        )
        page.goto(f"/dashboard/alerts/{alert['id']}/")
        expect(page.locator("dd time.when").first).to_have_text(
            stored.occurred_at.astimezone(tokyo).strftime("%Y-%m-%d %H:%M:%S")
        )
    finally:
        context.close()


def test_invalid_zones_sent_by_a_tampered_editor_are_refused_in_the_page(page, site):
    alice = make_user("alice")
    camera = services.camera_create(user=alice, name="Gate", rtsp_url="rtsp://10.0.0.5/x")
    log_in(page, "alice")
    page.goto(f"/dashboard/cameras/{camera.id}/zones/")
    bad = [{"name": "x", "points": [[0.1, 0.1], [2, 2], [0.3, 0.1]]}]
    page.evaluate(
        "bad => { document.querySelector('#zone-form').addEventListener('submit', () => {"
        " document.querySelector('input[name=zones]').value = bad; }); }",
        json.dumps(bad),
    )
    page.click("#zone-save")
    expect(page.locator("#zones-error")).to_contain_text("points are [x, y]")
    camera.refresh_from_db()
    assert camera.zones == []


def test_the_alert_detail_plays_its_clip_seeks_and_shows_the_event_on_the_timeline(browser, tmp_path):
    """Against the real server process (gunicorn): Django's test server would serve media files itself,
    bypassing the clip view's access check and range requests that seeking needs."""
    from support.backend import start_backend
    from support.clips import make_mp4

    with start_backend(tmp_path / "backend") as backend:
        camera = backend.create_camera("Gate", "rtsp://10.0.0.5/s")
        token = {"Authorization": f"Token {camera['ingest_token']}"}
        body = {
            "camera_id": camera["id"], "alert_type": "person", "confidence": 0.87, "description": "2 people",
            "image_base64": snapshot_base64(640, 360), "idempotency_key": "ev-1", "status": "open",
            "started_at": iso(recent(minutes=1)), "revision": 1,
        }  # fmt: skip
        alert = requests.post(f"{backend.url}/api/send-alert/", json=body, headers=token, timeout=30).json()
        clip = make_mp4(tmp_path / "clip.mp4", seconds=6, size=(320, 240))
        response = requests.put(
            f"{backend.url}/api/cameras/{camera['id']}/events/ev-1/clips/0/",
            data=clip.read_bytes(),
            headers={**token, "Content-Type": "video/mp4"},
            timeout=30,
        )
        assert response.status_code == 201, response.text
        context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=backend.url)
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        try:
            page.goto("/dashboard/login/")
            page.fill("#id_username", backend.username)
            page.fill("#id_password", backend.password)
            page.click("button[type=submit]")
            expect(page.locator(f"#alert-{alert['id']}")).to_contain_text("● open")
            page.goto(f"/dashboard/alerts/{alert['id']}/")
            expect(page.locator("#event-status")).to_contain_text("● open")
            expect(page.locator(".timeline-bar.is-current")).to_have_count(1)
            assert page.locator("video#clip").get_attribute("poster")  # the snapshot until it plays
            played = page.evaluate(PLAY_AND_SEEK)
        finally:
            context.close()
    assert played["error"] is None
    assert 5.5 <= played["duration"] <= 6.5
    assert 3.8 <= played["position"] <= 4.2


PLAY_AND_SEEK = """async () => {
    const v = document.querySelector('video#clip');
    let error = null;
    if (v.readyState < 3) await new Promise((ok) => {
        v.addEventListener('canplay', ok, {once: true});
        v.addEventListener('error', () => { error = v.error && v.error.code; ok(); }, {once: true});
        v.load();
    });
    const duration = v.duration;
    v.currentTime = 4.0;
    await new Promise(ok => v.addEventListener('seeked', ok, {once: true}));
    return {error, duration, position: v.currentTime};
}"""
