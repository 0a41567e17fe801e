"""Real Chromium for the dashboard's browser tests: one way to start it, one polling helper."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from support.backend import DEMO_PASSWORD, DEMO_USER
from support.live_site import wait_for as wait_for  # the browser tests' polling, from one place

CHROMIUM = "/usr/bin/chromium"  # Debian's, which plays H.264 (Playwright's own download cannot be had here)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",  # the live view starts playing without a click
]


@contextmanager
def chromium() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/bootstrap --system)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def signed_in(browser: Browser, base_url: str, username: str = DEMO_USER) -> Page:
    """A new page of its own browser context, signed in to the dashboard at ``base_url`` (the caller closes
    ``page.context``)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=base_url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/dashboard/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/login/"))
    return page


def players(page: Page) -> list[dict]:
    """Each player's state for a failure message: its data (state, transport, bytes received and
    appended), its label, and its video's ready state, error and buffered ranges."""
    return page.evaluate(
        """Array.from(document.querySelectorAll('.live-player')).map(p => {
             const v = p.querySelector('video');
             const ranges = Array.from({length: v.buffered.length},
                                       (_, i) => [v.buffered.start(i), v.buffered.end(i)]);
             return {...p.dataset, label: p.querySelector('.live-state').textContent, ready: v.readyState,
                     error: v.error && v.error.message, buffered: ranges, time: v.currentTime};
           })"""
    )
