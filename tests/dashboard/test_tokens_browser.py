"""The API tokens page in real Chromium against a live server: a token made there works on the API at once
and stops at once when revoked there (issue 25). Short by design: the page's rules are in
test_dashboard_views_tokens.py."""

from __future__ import annotations

import re

import pytest
import requests
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from support.django_fixtures import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_token_made_on_the_page_works_and_stops_when_revoked_there(browser, live_server, transactional_db):
    get_user_model().objects.create_user(username="alice", password=PASSWORD)
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto("/dashboard/login/")
        page.fill("#id_username", "alice")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.click("nav >> text=API tokens")
        expect(page.locator("h1")).to_have_text("API tokens")
        page.fill("#id_name", "Home Assistant")
        page.select_option("#id_scope", "read")
        page.fill("#id_expires_in_days", "30")
        page.click("#token-form button[type=submit]")
        secret = page.locator("#token-secret").inner_text().strip()
        assert re.fullmatch(r"pat_[0-9a-f]{12}_[0-9a-f]{64}", secret)
        api = f"{live_server.url}/api/cameras/"
        headers = {"Authorization": f"Bearer {secret}"}
        assert requests.get(api, headers=headers, timeout=30).status_code == 200
        assert requests.post(api, json={}, headers=headers, timeout=30).status_code == 403  # read-only
        page.goto("/dashboard/tokens/")
        expect(page.locator("#token-table")).to_contain_text("Home Assistant")
        assert secret not in page.content()
        page.click("#token-table >> text=Revoke")
        expect(page.locator(".messages")).to_contain_text("revoked")
        assert requests.get(api, headers=headers, timeout=30).status_code == 401
    finally:
        context.close()
