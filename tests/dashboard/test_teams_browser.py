"""Teams in the dashboard in real Chromium against a live server (issue 25): the header's team switcher
narrows the camera list, a viewer sees no add or edit buttons and is refused a forced POST (403), an owner
adds and removes a member and makes a camera group on the team's page, and a service account made there
gets a token that works within the team and stops when revoked there."""

from __future__ import annotations

import re

import pytest
import requests
from browser_support import signed_in
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, Page, expect

from support.backend import DEMO_PASSWORD
from teams.models import CameraGroup, Membership, ServiceAccount
from teams.services import member_add, personal_team_of, team_create

pytestmark = [pytest.mark.browser, pytest.mark.slow]
expect.set_options(timeout=10_000)


@pytest.fixture
def site(live_server, transactional_db, make_camera):
    """Alice owns the shared team "Warehouse" (camera "Dock") and her personal team (camera "Home");
    Bob is a viewer in Warehouse; Carol is in no team of Alice's."""
    users = get_user_model().objects
    alice = users.create_user(username="alice", password=DEMO_PASSWORD)
    users.create_user(username="bob", password=DEMO_PASSWORD)
    users.create_user(username="carol", password=DEMO_PASSWORD)
    warehouse = team_create(user=alice, name="Warehouse")
    member_add(team=warehouse, username="bob", role="viewer")
    make_camera(alice, "Home", "rtsp://10.0.0.5/home")
    make_camera(alice, "Dock", "rtsp://10.0.0.6/dock", team=warehouse.pk)
    return live_server.url, alice, warehouse


def camera_names(page: Page) -> list[str]:
    return sorted(page.locator("#camera-table tbody tr td[data-label=Camera] .strong").all_inner_texts())


def switch_to(page: Page, label: str) -> None:
    """Picks ``label`` in the header's team picker (it submits itself) and waits for the page to say so."""
    page.select_option("#team-select", label=label)
    expect(page.locator(".messages")).to_contain_text("Showing")
    expect(page.locator("#team-select option:checked")).to_have_text(label)


def test_switching_teams_changes_the_camera_list(browser: Browser, site) -> None:
    url, _alice, _warehouse = site
    page = signed_in(browser, url, "alice")
    try:
        page.goto("/dashboard/cameras/")
        # Default: all of her teams.
        expect(page.locator("#team-select option:checked")).to_have_text("All teams")
        assert camera_names(page) == ["Dock", "Home"]
        switch_to(page, "Warehouse (owner)")
        expect(page).to_have_url(re.compile(r"/dashboard/cameras/$"))  # back where she was
        assert camera_names(page) == ["Dock"]
        # The choice is kept in the session: another page, then the camera list again.
        page.goto("/dashboard/notifications/")
        page.goto("/dashboard/cameras/")
        assert camera_names(page) == ["Dock"]
        # The add form offers her teams and starts on the current one.
        page.click("#add-camera")
        expect(page.locator("#id_team option:checked")).to_have_text("Warehouse (owner)")
        page.goto("/dashboard/cameras/")
        switch_to(page, "alice (personal) (owner)")
        assert camera_names(page) == ["Home"]
        switch_to(page, "All teams")
        assert camera_names(page) == ["Dock", "Home"]
    finally:
        page.context.close()


def test_a_viewers_alert_cards_offer_review_and_not_acknowledge(browser: Browser, site, make_alert) -> None:
    url, _alice, warehouse = site
    dock = warehouse.cameras.get(name="Dock")
    alert = make_alert(dock)
    for who, acknowledge in (("bob", 0), ("alice", 1)):
        page = signed_in(browser, url, who)
        try:
            page.goto("/dashboard/")
            card = page.locator(f"#alert-{alert.pk}")
            expect(card).to_be_visible()
            expect(card.locator(".ack-one button")).to_have_count(acknowledge)
            expect(card.locator(".review-one button")).to_have_text("Mark reviewed")  # every role reviews
        finally:
            page.context.close()
    # The server decides either way: the viewer's forced acknowledge is refused.
    page = signed_in(browser, url, "bob")
    try:
        page.goto("/dashboard/")
        token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
        forced = page.request.post(
            f"/dashboard/alerts/{alert.pk}/acknowledge/",
            form={"csrfmiddlewaretoken": token or ""},
            headers={"Referer": f"{url}/dashboard/"},
            max_redirects=0,
        )
        assert forced.status == 403, forced.text()[:300]
    finally:
        page.context.close()


def test_a_viewer_sees_no_add_camera_button_and_a_forced_post_is_403(browser: Browser, site) -> None:
    url, _alice, warehouse = site
    page = signed_in(browser, url, "bob")
    try:
        page.goto("/dashboard/cameras/")
        switch_to(page, "Warehouse (viewer)")
        assert camera_names(page) == ["Dock"]
        expect(page.locator("#add-camera")).to_have_count(0)
        row = page.locator("#camera-table tbody tr")
        expect(row.locator("text=Edit")).to_have_count(0)
        expect(row.locator("text=Activate")).to_have_count(0)
        # The page's own CSRF token, then a POST the page would never send: the server refuses it.
        token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
        forced = page.request.post(
            f"{url}/dashboard/cameras/new/",
            form={
                "csrfmiddlewaretoken": token or "",
                "team": str(warehouse.pk),
                "name": "Sneaky",
                "rtsp_url": "rtsp://10.0.0.9/x",
                "confidence_threshold": "0.6",
                "cooldown_seconds": "30",
                "event_grace_seconds": "10",
                "event_max_seconds": "600",
                "pre_roll_seconds": "5",
                "post_roll_seconds": "5",
                "frame_skip": "15",
                "min_box_area": "0.01",
            },
            headers={"Referer": f"{url}/dashboard/cameras/new/"},
        )
        assert forced.status == 403, forced.text()[:300]
        dock = warehouse.cameras.get()
        activate = page.request.post(
            f"{url}/dashboard/cameras/{dock.pk}/activate/",
            form={"csrfmiddlewaretoken": token or ""},
            headers={"Referer": f"{url}/dashboard/cameras/"},
        )
        assert activate.status == 403
        assert warehouse.cameras.count() == 1
        dock.refresh_from_db()
        assert dock.is_active is False
    finally:
        page.context.close()


def test_an_owner_adds_and_removes_a_member_and_makes_a_camera_group(browser: Browser, site) -> None:
    url, _alice, warehouse = site
    page = signed_in(browser, url, "alice")
    try:
        page.click("nav >> text=Teams")
        expect(page.locator("#team-table")).to_contain_text("Warehouse")
        page.click("#team-table >> text=Warehouse")
        expect(page.locator("h1")).to_have_text("Warehouse")
        page.fill("#id_username", "carol")
        page.select_option("#id_role", "operator")
        page.click("#member-form button[type=submit]")
        expect(page.locator(".messages")).to_contain_text("carol added as operator")
        carol = get_user_model().objects.get(username="carol")
        expect(page.locator(f"#member-{carol.pk}")).to_contain_text("carol")
        assert Membership.objects.get(team=warehouse, user=carol).role == "operator"
        # An unknown user: the reason, next to the form.
        page.fill("#id_username", "nobody-such")
        page.click("#member-form button[type=submit]")
        expect(page.locator("#member-form .form-error")).to_contain_text("No user named 'nobody-such'")
        page.goto(f"/dashboard/teams/{warehouse.pk}/")
        page.click(f"#member-{carol.pk} >> text=Remove")
        expect(page.locator(".messages")).to_contain_text("carol removed")
        expect(page.locator(f"#member-{carol.pk}")).to_have_count(0)
        assert not Membership.objects.filter(team=warehouse, user=carol).exists()
        # A camera group ("site") of the team's cameras, made on the same page.
        page.fill("#newgroup_name", "Loading bay")
        page.check("#group-form >> text=Dock")
        page.click("#group-form button[type=submit]")
        expect(page.locator(".messages")).to_contain_text("Camera group “Loading bay” made")
        group = CameraGroup.objects.get(team=warehouse, name="Loading bay")
        expect(page.locator(f"#group-{group.pk}")).to_contain_text("Dock")
        assert [camera.name for camera in group.cameras.all()] == ["Dock"]
    finally:
        page.context.close()


def test_a_service_account_made_on_the_team_page_works_in_its_team_and_stops_when_revoked(
    browser: Browser, site
) -> None:
    url, alice, warehouse = site
    page = signed_in(browser, url, "alice")
    try:
        page.goto(f"/dashboard/teams/{warehouse.pk}/")
        page.fill("#account_name", "Home Assistant")
        page.select_option("#account_role", "viewer")
        page.select_option("#account_scope", "read")
        page.click("#account-form button[type=submit]")
        secret = page.locator("#token-secret").inner_text().strip()
        assert re.fullmatch(r"pat_[0-9a-f]{12}_[0-9a-f]{64}", secret)
        headers = {"Authorization": f"Bearer {secret}"}
        listed = requests.get(f"{url}/api/cameras/", headers=headers, timeout=30)
        assert listed.status_code == 200
        assert [row["name"] for row in listed.json()["results"]] == ["Dock"]  # not her personal "Home"
        home = personal_team_of(alice).cameras.get()
        assert requests.get(f"{url}/api/cameras/{home.pk}/", headers=headers, timeout=30).status_code == 404
        page.goto(f"/dashboard/teams/{warehouse.pk}/")
        assert secret not in page.content()
        account = ServiceAccount.objects.get(team=warehouse)
        expect(page.locator(f"#account-{account.pk}")).to_contain_text("Home Assistant")
        expect(page.locator(f"#member-{account.user_id}")).to_contain_text("service account")
        page.click(f"#account-{account.pk} >> text=Revoke")
        expect(page.locator(".messages")).to_contain_text("revoked")
        assert requests.get(f"{url}/api/cameras/", headers=headers, timeout=30).status_code == 401
    finally:
        page.context.close()
