"""Single sign-on end to end in real Chromium: the backend (real gunicorn, PostgreSQL) signs users in
through a real OpenID provider started by the test (django-oauth-toolkit on loopback, tests/support/
idp_site) with discovery, PKCE, RS256 ID tokens signed by a key generated for this run, and a groups claim.

The ID token checks themselves (wrong audience, wrong nonce, expired or foreign signature) are proven with
crafted tokens in tests/backend/test_sso_oidc.py."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Browser, expect

from support.backend import DEMO_USER, server_database, start_backend
from support.net import free_port
from support.oidc_provider import start_provider

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CLIENT_ID = "cctv-dashboard"
CLIENT_SECRET = "client-secret-for-tests"
IDP_PASSWORD = "idp-password-for-tests"
ROLE_MAP = "cctv-guards=Warehouse:operator,cctv-admins=Warehouse:admin,cctv-admins=Front gate:viewer"
WAIT_MS = 20_000


@pytest.fixture(scope="module")
def sso(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sso")
    with start_provider(folder / "idp") as provider:
        port = free_port()
        provider.add_client(CLIENT_ID, CLIENT_SECRET, f"http://127.0.0.1:{port}/sso/oidc/callback/")
        (folder / "client-secret").write_text(CLIENT_SECRET + "\n")
        env = {
            "OIDC_ISSUER": provider.issuer,
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET_FILE": str(folder / "client-secret"),
            "OIDC_PROVIDER_NAME": "Test IdP",
            "OIDC_ROLE_MAP": ROLE_MAP,
        }
        with (
            server_database(prefix="cctv_sso") as database_url,
            start_backend(folder / "backend", database_url=database_url, port=port, env=env) as backend,
        ):
            yield provider, backend


def sign_in(browser: Browser, backend, username: str, *, expect_path: str = "/dashboard/cameras/"):
    """Signs in through the dashboard's button and the provider's own page; returns the page (its context is
    the caller's to close) and the callback URL the provider sent the browser to."""
    context = browser.new_context(base_url=backend.url)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    callbacks: list[str] = []
    page.on(
        "request",
        lambda request: callbacks.append(request.url) if "/sso/oidc/callback/" in request.url else None,
    )
    page.goto("/dashboard/login/?next=/dashboard/cameras/")
    page.get_by_role("link", name="Sign in with Test IdP").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.fill("#idp-username", username)
    page.fill("#idp-password", IDP_PASSWORD)
    page.click("#idp-submit")
    expect(page).to_have_url(re.compile(re.escape(expect_path)), timeout=WAIT_MS)
    return page, callbacks


def backend_state(backend, username: str) -> dict:
    script = (
        "import json\nfrom django.contrib.auth.models import User\n"
        "from audit.models import AuditRecord as A\n"
        f"users = User.objects.filter(username={username!r})\n"
        "identities = [[i.issuer, i.subject, i.team_roles] for u in users for i in u.sso_identities.all()]\n"
        f"records = A.objects.filter(username={username!r}, action='sign_in')\n"
        "sign_ins = list(records.values_list('summary', flat=True))\n"
        "print(json.dumps({'users': [[u.username, u.email, u.has_usable_password()] for u in users],"
        " 'identities': identities, 'sign_ins': sign_ins}))"
    )
    return json.loads(backend.manage("shell", "-c", script).stdout.strip().splitlines()[-1])


def test_first_sign_in_creates_the_user_and_a_group_change_at_the_provider_changes_the_roles(browser, sso):
    provider, backend = sso
    provider.set_user("alice", IDP_PASSWORD, ["cctv-guards", "unmapped"])

    page, callbacks = sign_in(browser, backend, "alice")
    expect(page.locator("main")).to_contain_text("Cameras")
    state = backend_state(backend, "alice")
    assert state["users"] == [["alice", "alice@example.com", False]]
    assert state["identities"] == [[provider.issuer, state["identities"][0][1], [["Warehouse", "operator"]]]]
    assert state["sign_ins"] == ["via /sso/oidc/callback/"]
    # The session works on the API as well (the page's own cookie).
    assert page.request.get("/api/cameras/").status == 200

    # The callback URL replayed in another browser: its state belongs to the first session only.
    replay = browser.new_context(base_url=backend.url)
    replayed = replay.new_page()
    replayed.goto(callbacks[-1])
    expect(replayed).to_have_url(re.compile(r"/dashboard/login/\?sso=failed"))
    expect(replayed.locator("[role=alert]")).to_contain_text("Single sign-on did not complete")
    replay.close()
    page.context.close()

    provider.set_user("alice", IDP_PASSWORD, ["cctv-admins"])
    page, _ = sign_in(browser, backend, "alice")
    state = backend_state(backend, "alice")
    assert len(state["users"]) == 1 and len(state["identities"]) == 1
    assert state["identities"][0][2] == [["Front gate", "viewer"], ["Warehouse", "admin"]]
    assert len(state["sign_ins"]) == 2
    page.context.close()


def test_a_provider_user_named_like_a_local_account_is_refused_not_signed_in_as_it(browser, sso):
    provider, backend = sso
    provider.set_user(DEMO_USER, IDP_PASSWORD, ["cctv-admins"])
    page, _ = sign_in(browser, backend, DEMO_USER, expect_path="/dashboard/login/?sso=failed")
    expect(page.locator("[role=alert]")).to_contain_text("Single sign-on did not complete")
    assert page.request.get("/api/cameras/").status in (401, 403)
    assert backend_state(backend, DEMO_USER)["identities"] == []
    page.context.close()
