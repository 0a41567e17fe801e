"""Trusted proxy headers over real HTTP through the real gunicorn server: Remote-User / X-Forwarded-User and
Remote-Groups sign a user in only when the socket's peer is in TRUSTED_PROXY_NETWORKS, and are ignored from
any other address. The backend listens on 127.0.0.1; the "proxy" connects from 127.0.0.2 (trusted), an
ordinary client from 127.0.0.1 (not). Passwords are off on this backend, so /api-token-auth/ refuses and the
seed's token keeps working."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest

from support.backend import DEMO_USER, server_database, start_backend

pytestmark = [pytest.mark.slow]

PROXY_ADDRESS = "127.0.0.2"
CLIENT_ADDRESS = "127.0.0.1"


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    env = {
        "TRUSTED_PROXY_NETWORKS": f"{PROXY_ADDRESS}/32",
        "LOCAL_PASSWORDS": "0",
        "OIDC_ROLE_MAP": "cctv-guards=Warehouse:operator,cctv-admins=Warehouse:admin,"
        "cctv-admins=Front gate:admin",
    }
    with (
        server_database(prefix="cctv_sso_proxy") as database_url,
        start_backend(tmp_path_factory.mktemp("sso-proxy"), database_url=database_url, env=env) as running,
    ):
        yield running


def get(
    backend, path: str, *, source: str, headers: dict[str, str] | None = None
) -> http.client.HTTPResponse:
    """A GET from ``source`` (the socket's own address: what the backend sees as the peer)."""
    url = urlsplit(backend.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30, source_address=(source, 0))
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    connection.close()
    return response


def identities(backend, username: str) -> list[list]:
    script = (
        "import json; from sso.models import SsoIdentity as I; "
        f"rows = I.objects.filter(user__username={username!r}); "
        "print(json.dumps([[i.issuer, i.subject, i.team_roles] for i in rows]))"
    )
    return json.loads(backend.manage("shell", "-c", script).stdout.strip().splitlines()[-1])


def test_the_trusted_proxy_signs_in_the_named_user_with_the_mapped_team_roles(backend):
    response = get(
        backend,
        "/api/cameras/",
        source=PROXY_ADDRESS,
        headers={"Remote-User": "carol", "Remote-Groups": "cctv-guards, other"},
    )
    assert response.status == 200, response.body
    assert "sessionid=" in (response.getheader("Set-Cookie") or "")
    assert identities(backend, "carol") == [["trusted-proxy", "carol", [["Warehouse", "operator"]]]]

    # The next sign-in (a new session) re-reads the groups.
    response = get(
        backend,
        "/api/cameras/",
        source=PROXY_ADDRESS,
        headers={"X-Forwarded-User": "carol", "X-Forwarded-Groups": "cctv-admins"},
    )
    assert response.status == 200
    assert identities(backend, "carol") == [
        ["trusted-proxy", "carol", [["Front gate", "admin"], ["Warehouse", "admin"]]]
    ]


@pytest.mark.parametrize("header", ["Remote-User", "X-Forwarded-User"])
def test_the_headers_from_any_other_address_are_ignored(backend, header):
    response = get(
        backend,
        "/api/cameras/",
        source=CLIENT_ADDRESS,
        headers={header: "mallory", "Remote-Groups": "cctv-admins"},
    )
    assert response.status in (401, 403)
    assert "Set-Cookie" not in response.headers or "sessionid=" not in response.getheader("Set-Cookie", "")
    assert identities(backend, "mallory") == []
    page = get(backend, "/dashboard/", source=CLIENT_ADDRESS, headers={header: DEMO_USER})
    assert page.status == 302 and "/dashboard/login/" in page.getheader("Location", "")


def test_a_proxy_user_name_never_takes_over_a_local_account(backend):
    response = get(backend, "/api/cameras/", source=PROXY_ADDRESS, headers={"Remote-User": DEMO_USER})
    assert response.status == 400
    assert identities(backend, DEMO_USER) == []


@pytest.mark.parametrize("name", ["x" * 300, "bad name with spaces", "<script>"])
def test_a_malformed_proxy_user_name_is_refused(backend, name):
    response = get(backend, "/api/cameras/", source=PROXY_ADDRESS, headers={"Remote-User": name})
    assert response.status == 400


def test_with_passwords_off_token_auth_refuses_and_the_seed_token_keeps_working(backend):
    refused = backend.request(
        "POST", "/api-token-auth/", json={"username": DEMO_USER, "password": "demo-password-for-tests"}
    )
    assert refused.status_code == 403 and "LOCAL_PASSWORDS" in refused.json()["detail"]
    assert backend.request("GET", "/api/cameras/").status_code == 200
    page = get(backend, "/dashboard/login/", source=CLIENT_ADDRESS)
    assert b"Password sign-in is turned off" in page.body and b'name="password"' not in page.body
