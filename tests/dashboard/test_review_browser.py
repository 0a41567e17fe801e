"""Review state on the alert feed in real Chromium (issue 24), against a live server: the count of what is
left to review since the last shift, one card marked reviewed, the unreviewed filter, bulk "mark
reviewed", a new alert raising the count through the feed's own polling, and the zone filter. A screenshot
of the feed is taken (``CCTV_UPDATE_SCREENSHOTS=1`` writes it to docs/screenshots/ for the README)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from browser_support import chromium, signed_in, wait_for
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from support.backend import DEMO_PASSWORD
from surveillance.models import Alert, AlertReview

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("CCTV_UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / f"cctv-screenshots-{os.getpid()}"
)
SQUARE = [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5], [0.1, 0.5]]
expect.set_options(timeout=10_000)


@pytest.fixture
def site(live_server, transactional_db, settings, monkeypatch) -> str:
    # Playwright's sync API keeps an event loop in this thread; the test's ORM calls are plain sync code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.DASHBOARD_POLL_SECONDS = 0.3
    return live_server.url


def shot(page: Page, name: str) -> None:
    # The thumbnails load lazily: the picture waits for them (polled here, as the strict CSP refuses the
    # eval behind wait_for_function's string form).
    loaded = "Array.from(document.images).every(img => img.complete && img.naturalWidth > 0)"
    wait_for(lambda: page.evaluate(loaded), timeout=10, what="the feed's thumbnails")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def to_review(count: int) -> str:
    return f"{count} to review since the last shift"


def test_a_shift_reviews_its_backlog_on_the_feed(site, make_camera, make_alert) -> None:
    alice = get_user_model().objects.create_user(username="alice", password=DEMO_PASSWORD)
    gate = make_camera(
        alice, "Gate", zones=[{"name": "door", "points": SQUARE}, {"name": "yard", "points": SQUARE}]
    )
    alerts = [make_alert(gate, kind) for kind in ("person", "vehicle", "person")]
    moment = alerts[0].occurred_at.isoformat()
    Alert.objects.filter(pk=alerts[0].pk).update(
        seen_objects=[
            {"track_id": 1, "label": "person", "alert_type": "person", "first_seen": moment,
             "last_seen": moment, "confidence": 0.9, "zones": ["door"]}
        ]
    )  # fmt: skip
    with chromium() as browser:
        page = signed_in(browser, site, "alice")
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        count = page.locator("#to-review")
        expect(count).to_have_text(to_review(3))

        # One card marked reviewed: the mark shows on it, and the count drops.
        first = page.locator(f"#alert-{alerts[0].id}")
        first.locator("button:has-text('Mark reviewed')").click()
        expect(first).to_contain_text("✓ reviewed")
        expect(count).to_have_text(to_review(2))
        shot(page, "review-feed")

        # The count is a link to what is left: the unreviewed events of the last shift.
        count.click()
        expect(page.locator(".alert-card")).to_have_count(2)
        expect(page.locator(f"#alert-{alerts[0].id}")).to_have_count(0)

        # A new event arrives while the page is open: the polling feed shows it and counts it.
        fresh = make_alert(gate, "fire")
        expect(page.locator(f"#alert-{fresh.id}")).to_be_visible()
        expect(count).to_have_text(to_review(3))

        # Bulk: all on the page marked reviewed at once.
        page.check("#pick-all")
        page.click("#review-selected")
        expect(page.locator(".msg.success")).to_contain_text("3 alerts marked reviewed")
        expect(count).to_have_text(to_review(0))
        assert AlertReview.objects.filter(user=alice).count() == 4

        # The zone filter: only the event with an object in the door zone.
        page.select_option("#id_review", "")
        page.select_option("#id_zone", "door")
        page.click("button:has-text('Filter')")
        expect(page.locator(".alert-card")).to_have_count(1)
        expect(page.locator(f"#alert-{alerts[0].id}")).to_contain_text("✓ reviewed")
        page.context.close()
    assert problems == []
