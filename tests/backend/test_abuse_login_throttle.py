"""Login throttling over real HTTP: every login (dashboard, admin, API token) locks a client and user name
out after LOGIN_FAILURE_LIMIT failures, even with the right password, in a store that two gunicorn
workers and a restart share (the database). Runs on the suite's database (PostgreSQL, then SQLite).
"""

from __future__ import annotations

import re

import pytest
import requests

from support.backend import DEMO_PASSWORD, add_user, server_database, start_backend

# The failure counts live in the database, written by two workers at once: run on both databases.
pytestmark = [pytest.mark.slow, pytest.mark.database]

LIMIT = 3
# The per-process request rate of /api-token-auth/ (AUTH_THROTTLE_RATE) is raised out of the way: this
# file tests the failure lockout.
ENV = {"LOGIN_FAILURE_LIMIT": str(LIMIT), "LOGIN_LOCKOUT_MINUTES": "7", "AUTH_THROTTLE_RATE": "1000/minute"}


def _csrf(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=30)
    page.raise_for_status()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]


def form_login(base: str, path: str, username: str, password: str) -> tuple[requests.Response, bool]:
    """A browser-like login through a form (a fresh session each time); returns the answer and whether the
    session ends up signed in."""
    session = requests.Session()
    token = _csrf(session, f"{base}{path}")
    answer = session.post(
        f"{base}{path}",
        data={"csrfmiddlewaretoken": token, "username": username, "password": password},
        headers={"Referer": f"{base}{path}"},
        allow_redirects=False,
        timeout=30,
    )
    signed_in = session.get(f"{base}/dashboard/", allow_redirects=False, timeout=30).status_code == 200
    return answer, signed_in


def api_login(base: str, username: str, password: str) -> requests.Response:
    return requests.post(
        f"{base}/api-token-auth/", json={"username": username, "password": password}, timeout=30
    )


@pytest.fixture(scope="module")
def database_url():
    with server_database(prefix="cctv_login_throttle") as url:
        yield url


@pytest.fixture(scope="module")
def backend(tmp_path_factory, database_url):
    with start_backend(
        tmp_path_factory.mktemp("throttle"), database_url=database_url, workers=2, env=ENV
    ) as b:
        yield b


@pytest.mark.parametrize("path", ["/dashboard/login/", "/admin/login/"])
def test_a_login_form_locks_out_after_the_failure_limit_even_with_the_right_password(backend, path):
    username = f"victim{path.strip('/').replace('/', '_')}"
    add_user(backend, username)
    if path.startswith("/admin"):
        backend.manage("shell", "-c", f"from django.contrib.auth.models import User; "
                       f"User.objects.filter(username={username!r}).update(is_staff=True)")  # fmt: skip
    for _ in range(LIMIT - 1):
        answer, signed_in = form_login(backend.url, path, username, "wrong-password")
        assert answer.status_code == 200 and not signed_in

    answer, signed_in = form_login(backend.url, path, username, "wrong-password")
    assert answer.status_code == 429
    answer, signed_in = form_login(backend.url, path, username, DEMO_PASSWORD)

    assert answer.status_code == 429
    assert not signed_in
    assert "Too many failed logins" in answer.text and "locked for 7 minutes" in answer.text
    assert answer.headers["Retry-After"] == str(7 * 60)
    assert "default-src 'self'" in answer.headers["Content-Security-Policy"]


def test_the_api_token_endpoint_shares_the_lockout_and_says_so_in_json(backend):
    username = "api-victim"
    add_user(backend, username)
    for _ in range(LIMIT - 1):
        assert api_login(backend.url, username, "nope").status_code == 400
    assert api_login(backend.url, username, "nope").status_code == 429

    answer = api_login(backend.url, username, DEMO_PASSWORD)

    assert answer.status_code == 429
    assert "token" not in answer.json()
    assert "locked" in answer.json()["detail"]
    # The form logins are locked for this user name too: one store for every login.
    assert form_login(backend.url, "/dashboard/login/", username, DEMO_PASSWORD)[0].status_code == 429


def test_a_success_below_the_limit_resets_the_count_and_other_users_are_not_locked(backend):
    username = "forgetful"
    add_user(backend, username)
    for _ in range(LIMIT - 1):
        api_login(backend.url, username, "nope")
    assert api_login(backend.url, username, DEMO_PASSWORD).status_code == 200
    for _ in range(LIMIT - 1):
        assert api_login(backend.url, username, "nope").status_code == 400
    assert api_login(backend.url, username, DEMO_PASSWORD).status_code == 200
    # Another user from the same address is unaffected by someone else's lockout.
    assert api_login(backend.url, backend.username, DEMO_PASSWORD).status_code == 200


def test_the_lockout_holds_across_a_restart_and_admins_see_it(tmp_path, database_url):
    sqlite_dir = tmp_path / "server"
    with start_backend(sqlite_dir, database_url=database_url, workers=2, env=ENV) as first:
        add_user(first, "restart-victim")
        for _ in range(LIMIT):
            api_login(first.url, "restart-victim", "nope")
        assert api_login(first.url, "restart-victim", DEMO_PASSWORD).status_code == 429

    with start_backend(sqlite_dir, database_url=database_url, workers=2, env=ENV) as second:
        assert api_login(second.url, "restart-victim", DEMO_PASSWORD).status_code == 429
        # Staff see the lockout as an access attempt in the admin (django-axes' models), and can clear it.
        listed = second.manage(
            "shell", "-c",
            "from axes.models import AccessAttempt; "
            "print('failures', AccessAttempt.objects.get(username='restart-victim').failures_since_start)",
        )  # fmt: skip
        # The limit's failures, plus the refused tries while locked out.
        assert int(listed.stdout.split("failures", 1)[1]) >= LIMIT
        second.manage("axes_reset_username", "restart-victim")
        assert api_login(second.url, "restart-victim", DEMO_PASSWORD).status_code == 200
