"""Abuse over real HTTP against one running server (gunicorn) on the suite's database (PostgreSQL, then
SQLite): each finding of the abuse review gets its clear error, and nothing is written.

The server runs with small limits (ENV) so that each limit is reached in a few requests; every test has
its own user, so the per-user limits of one test do not touch another.
"""

from __future__ import annotations

import json
import re

import pytest
import requests

from backend.images import jpeg_base64, jpeg_bytes
from cctv_common.network_policy import SERVER_LOCAL_NETWORKS
from support.backend import server_database, start_backend

# What each database refuses differs (NUL bytes in text, integers out of range): run on both.
pytestmark = [pytest.mark.slow, pytest.mark.database]

IMAGE = jpeg_base64()
IMAGE_BYTES = len(jpeg_bytes())
RATE = 3
ENV = {
    "ALERT_RATE_PER_MINUTE": str(RATE),
    # Two snapshots fit, the third does not.
    "CAMERA_STORAGE_QUOTA_BYTES": str(int(IMAGE_BYTES * 2.5)),
    "MAX_CAMERAS_PER_USER": "3",
    "MAX_ACTIVE_CAMERAS_PER_USER": "2",
    "AUTH_THROTTLE_RATE": "1000/minute",
    "TIME_ZONE": "Europe/Berlin",
    "CAMERA_DENIED_NETWORKS": SERVER_LOCAL_NETWORKS,
}
USERS = ("rate", "quota", "time", "cams", "bad", "secrets", "scopes", "small", "staffer", "probe")


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    with (
        server_database(prefix="cctv_abuse") as database_url,
        start_backend(tmp_path_factory.mktemp("abuse"), database_url=database_url, env=ENV) as running,
    ):
        yield running


@pytest.fixture(scope="module")
def tokens(backend) -> dict[str, str]:
    """One user (password ``pw-<name>-123``) with an API token per test, made in one manage.py call."""
    script = (
        "import json\n"
        "from django.contrib.auth.models import User\n"
        "from rest_framework.authtoken.models import Token\n"
        "out = {}\n"
        f"for name in {list(USERS)!r}:\n"
        "    user = User.objects.create_user(name, password=f'pw-{name}-123', is_staff=(name == 'staffer'),"
        " is_superuser=(name == 'staffer'))\n"
        "    out[name] = Token.objects.create(user=user).key\n"
        "print('TOKENS', json.dumps(out))\n"
    )
    output = backend.manage("shell", "-c", script).stdout
    return json.loads(output.split("TOKENS", 1)[1])


def call(backend, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Token {token}"} if token else {}
    headers.update(kwargs.pop("headers", {}))
    return requests.request(method, f"{backend.url}{path}", headers=headers, timeout=30, **kwargs)


def camera_of(backend, token: str, name: str, rtsp_url: str = "rtsp://10.1.2.3/s", **config) -> dict:
    body = {"name": name, "rtsp_url": rtsp_url, **config}
    answer = call(backend, "POST", "/api/cameras/", token, json=body)
    assert answer.status_code == 201, answer.text
    camera = answer.json()
    if config.get("is_active", True):
        assert call(backend, "POST", f"/api/cameras/{camera['id']}/activate/", token).status_code == 200
    return camera


def alert(camera: dict, **overrides) -> dict:
    return {"camera_id": camera["id"], "alert_type": "person", "confidence": 0.8, "image_base64": IMAGE,
            **overrides}  # fmt: skip


def send(backend, camera: dict, **overrides) -> requests.Response:
    return call(backend, "POST", "/api/send-alert/", camera["ingest_token"], json=alert(camera, **overrides))


def alert_count(backend, token: str, camera: dict) -> int:
    return call(backend, "GET", f"/api/alerts/?camera={camera['id']}", token).json()["count"]


def login(backend, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{backend.url}/dashboard/login/", timeout=30)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    session.post(
        f"{backend.url}/dashboard/login/",
        data={"csrfmiddlewaretoken": csrf, "username": username, "password": f"pw-{username}-123"},
        headers={"Referer": f"{backend.url}/dashboard/login/"},
        timeout=30,
    ).raise_for_status()
    return session


# --- disk: ingest rate and storage quota ---------------------------------------------------------------


def test_ingest_past_the_rate_answers_429_with_retry_after_and_stores_nothing(backend, tokens):
    camera = camera_of(backend, tokens["rate"], "Busy")
    tiny = jpeg_base64(width=16, height=16)  # well inside the storage quota
    assert [send(backend, camera, image_base64=tiny).status_code for _ in range(RATE)] == [201] * RATE

    refused = send(backend, camera, image_base64=tiny)

    assert refused.status_code == 429
    assert "ALERT_RATE_PER_MINUTE" in refused.json()["detail"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 61
    assert alert_count(backend, tokens["rate"], camera) == RATE
    metrics = call(backend, "GET", "/metrics").text
    assert re.search(r'cctv_backend_alerts_rejected_total\{reason="rate_limited"\} [1-9]', metrics)


def test_ingest_past_the_camera_storage_quota_answers_507_and_stores_nothing(backend, tokens):
    camera = camera_of(backend, tokens["quota"], "Full")
    assert [send(backend, camera).status_code for _ in range(2)] == [201, 201]
    files_before = sorted(backend.media_root.rglob("*.jpg"))

    refused = send(backend, camera)

    assert refused.status_code == 507
    assert "CAMERA_STORAGE_QUOTA_BYTES" in refused.json()["detail"]
    assert alert_count(backend, tokens["quota"], camera) == 2
    assert sorted(backend.media_root.rglob("*.jpg")) == files_before


# --- time ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clock_camera(backend, tokens) -> dict:
    return camera_of(backend, tokens["time"], "Clock")


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2001-01-01T00:00:00Z"])
def test_a_timestamp_outside_the_window_is_refused_and_pages_stay_up(backend, tokens, clock_camera, when):
    camera = clock_camera

    refused = send(backend, camera, timestamp=when)

    assert refused.status_code == 400
    # Year 9999 overflows the server's time zone (Europe/Berlin) already while it is parsed.
    assert re.search("outside the accepted window|out of range", refused.json()["timestamp"][0])
    assert alert_count(backend, tokens["time"], camera) == 0
    session = login(backend, "time")
    for path in ("/dashboard/", "/dashboard/?date_to=9999-12-31", "/dashboard/?date_from=0001-01-01",
                 "/dashboard/cameras/", "/dashboard/statistics/"):  # fmt: skip
        assert session.get(f"{backend.url}{path}", timeout=30).status_code == 200, path
    assert call(backend, "GET", "/api/alerts/?until=9999-12-31T00:00:00Z", tokens["time"]).status_code == 200


# --- quotas: cameras per user --------------------------------------------------------------------------


def test_cameras_past_the_users_limits_are_refused_and_staff_can_raise_them(backend, tokens):
    token = tokens["cams"]
    camera_of(backend, token, "One")
    camera_of(backend, token, "Two")
    third = camera_of(backend, token, "Three", is_active=False)

    refused_active = call(backend, "POST", f"/api/cameras/{third['id']}/activate/", token)
    refused_fourth = call(backend, "POST", "/api/cameras/", token, json={"name": "Four", "rtsp_url": "rtsp://h/s"})

    assert refused_active.status_code == 400
    assert "MAX_ACTIVE_CAMERAS_PER_USER=2" in refused_active.json()["is_active"][0]
    assert refused_fourth.status_code == 400
    assert "MAX_CAMERAS_PER_USER=3" in refused_fourth.json()["non_field_errors"][0]
    cameras = call(backend, "GET", "/api/cameras/", token).json()
    assert cameras["count"] == 3
    assert [c["is_active"] for c in cameras["results"]] == [True, True, False]

    raise_limits = (
        "from django.contrib.auth.models import User; from teams.models import TeamQuota; "
        "TeamQuota.objects.create(team=User.objects.get(username='cams').personal_team, max_cameras=4, "
        "max_active_cameras=3)"
    )
    backend.manage("shell", "-c", raise_limits)
    assert call(backend, "POST", f"/api/cameras/{third['id']}/activate/", token).status_code == 200
    assert call(backend, "POST", "/api/cameras/", token, json={"name": "Four", "rtsp_url": "rtsp://h/s"}).ok


# --- 500s from bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/cameras/", "/api-token-auth/", "/api/alerts/acknowledge/"])
def test_deeply_nested_json_answers_400(backend, tokens, path):
    body = "[" * 100_000 + "]" * 100_000

    json_type = {"Content-Type": "application/json"}
    answer = call(backend, "POST", path, tokens["bad"], data=body, headers=json_type)

    assert answer.status_code == 400
    assert "nested deeper" in answer.json()["detail"]
    assert call(backend, "GET", "/api/cameras/", tokens["bad"]).json()["count"] == 0


@pytest.mark.parametrize("camera_part", ["\u00b2", "\u0661", "99999999999999999999999"])
def test_ingest_tokens_with_non_ascii_or_huge_ids_answer_401(backend, camera_part):
    token = f"cam_{camera_part}_{'a' * 64}"

    answer = requests.get(
        f"{backend.url}/api/cameras/", headers={"Authorization": f"Token {token}".encode()}, timeout=30
    )

    assert answer.status_code == 401


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/?before=1_%C2%B2",
        "/dashboard/?before=%D9%A1_1",
        "/dashboard/?before=" + "9" * 40 + "_1",
        "/dashboard/alerts/poll/?after=%C2%B2",
        "/dashboard/alerts/poll/?after=" + "9" * 40,
        "/dashboard/?date_to=9999-12-31",
        "/dashboard/?camera=%C2%B2",
        "/api/alerts/?camera=%C2%B2",
        "/api/alerts/?camera=%D9%A1",
        "/api/alerts/?page=%C2%B2",
        "/api/alerts/?page_size=%C2%B2",
    ],
)
def test_odd_query_parameters_never_answer_500(backend, tokens, path):
    session = login(backend, "bad")
    token = {"Authorization": f"Token {tokens['bad']}"}
    answer = session.get(f"{backend.url}{path}", headers=token, timeout=30)
    assert answer.status_code < 500, answer.text[:300]
    if path.startswith("/dashboard/alerts/poll/"):
        assert answer.status_code == 400
        assert "after must be" in answer.json()["error"]
    if path.startswith("/api/alerts/?camera="):
        assert answer.status_code == 400


# --- secrets -------------------------------------------------------------------------------------------


def test_query_string_passwords_are_masked_in_api_dashboard_and_admin(backend, tokens):
    url = "rtsp://10.1.2.3:554/cam?user=admin&password=Hunter2Secret&channel=1"
    camera = camera_of(backend, tokens["secrets"], "Query password", rtsp_url=url, is_active=False)

    listed = call(backend, "GET", "/api/cameras/", tokens["secrets"]).text
    dashboard = login(backend, "secrets").get(f"{backend.url}/dashboard/cameras/", timeout=30).text
    edit = login(backend, "secrets").get(f"{backend.url}/dashboard/cameras/{camera['id']}/", timeout=30).text
    staff = login(backend, "staffer")
    admin_list = staff.get(f"{backend.url}/admin/surveillance/camera/", timeout=30).text
    admin_form = staff.get(f"{backend.url}/admin/surveillance/camera/{camera['id']}/change/", timeout=30).text
    admin_tokens = staff.get(f"{backend.url}/admin/authtoken/tokenproxy/", timeout=30).text

    for page in (listed, dashboard, edit, admin_list, admin_form):
        assert "Hunter2Secret" not in page
    assert "password=***" in listed and "password=***" in admin_list and "password=***" in admin_form
    for token in tokens.values():
        assert token not in admin_tokens
    assert tokens["secrets"][:4] in admin_tokens
    # The owner's detail view is the one place with the full URL (to edit it), as documented.
    assert call(backend, "GET", f"/api/cameras/{camera['id']}/", tokens["secrets"]).json()["rtsp_url"] == url


# --- scopes --------------------------------------------------------------------------------------------


def test_ingest_tokens_reach_only_their_documented_scope(backend, tokens):
    camera = camera_of(backend, tokens["scopes"], "Scoped", alert_types=["person"])
    ingest = camera["ingest_token"]

    assert call(backend, "GET", "/api/schema/", ingest).status_code == 403
    assert call(backend, "GET", "/api/docs/", ingest).status_code == 403
    assert call(backend, "GET", "/api/schema/", tokens["scopes"]).status_code == 200
    wrong_type = send(backend, camera, alert_type="fire")
    assert wrong_type.status_code == 400
    assert "does not raise 'fire'" in wrong_type.json()["alert_type"][0]

    call(backend, "POST", f"/api/cameras/{camera['id']}/deactivate/", tokens["scopes"]).raise_for_status()
    dead = send(backend, camera)
    assert dead.status_code == 401
    assert "inactive" in dead.json()["detail"]
    assert alert_count(backend, tokens["scopes"], camera) == 0


def test_the_operators_token_only_reads(backend, tokens):
    operator = backend.operator_token
    assert call(backend, "GET", "/api/active-cameras/", operator).status_code == 200

    created = call(backend, "POST", "/api/cameras/", operator, json={"name": "Op", "rtsp_url": "rtsp://h/s"})

    assert created.status_code == 403
    assert "only reads" in created.json()["detail"]
    assert call(backend, "GET", "/api/cameras/", operator).json()["count"] == 0


# --- camera URLs as a probe ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "rtsp://admin:pw@127.0.0.1:22/",
        "rtsp://[::1]:5432/",
        "rtsp://[::ffff:127.0.0.1]/",
        "rtsp://localhost:6379/",
        "rtsp://169.254.169.254/latest/meta-data",
    ],
)
def test_camera_urls_at_the_server_itself_or_metadata_are_refused(backend, tokens, url):
    answer = call(backend, "POST", "/api/cameras/", tokens["probe"], json={"name": "Probe", "rtsp_url": url})

    assert answer.status_code == 400
    assert "not an allowed camera address" in answer.json()["rtsp_url"][0]
    assert call(backend, "GET", "/api/cameras/", tokens["probe"]).json()["count"] == 0


# --- smaller -------------------------------------------------------------------------------------------


def test_every_page_carries_a_content_security_policy_without_inline_scripts(backend, tokens):
    session = login(backend, "small")
    for path in ("/dashboard/", "/dashboard/cameras/", "/dashboard/statistics/", "/api/docs/", "/healthz"):
        answer = session.get(f"{backend.url}{path}", timeout=30)
        assert answer.status_code == 200, path
        policy = answer.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";")[0]
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", answer.text), path


def test_x_forwarded_proto_is_not_trusted_without_a_configured_proxy(backend, tokens):
    camera = camera_of(backend, tokens["small"], "Proxy")
    for _ in range(2):
        send(backend, camera)
    forged = {"X-Forwarded-Proto": "https"}
    page = call(backend, "GET", "/api/alerts/?page_size=1", tokens["small"], headers=forged)
    assert page.json()["next"].startswith("http://")


def test_a_multipart_body_over_the_limit_answers_413_before_it_is_read(backend, tokens):
    big = b"x" * (8 * 1024 * 1024)

    answer = call(backend, "POST", "/api/cameras/", tokens["small"], files={"name": ("n", big)},
                  data={"rtsp_url": "rtsp://h/s"})  # fmt: skip

    assert answer.status_code == 413
    assert "limit" in answer.json()["detail"]
    assert call(backend, "GET", "/api/cameras/", tokens["small"]).json()["count"] == 1
