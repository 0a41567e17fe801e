"""Single sign-on settings: a bad value stops start-up with one line naming it; the client secret is read
from a file as SECRET_KEY is. Each case runs manage.py in a fresh process, as a deployment would."""

from __future__ import annotations

import pytest

from backend.test_settings import manage

OIDC = {"OIDC_ISSUER": "https://id.example.com/realms/cctv", "OIDC_CLIENT_ID": "cctv", "DEBUG": "1"}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"OIDC_ROLE_MAP": "cctv-admins=Warehouse:boss", "DEBUG": "1"},
            "OIDC_ROLE_MAP: entry 'cctv-admins=Warehouse:boss'",
        ),
        (
            {"OIDC_ROLE_MAP": "cctv-admins", "DEBUG": "1"},
            "OIDC_ROLE_MAP: entry 'cctv-admins' is not group=Team:role",
        ),
        ({"OIDC_ISSUER": "id.example.com", "DEBUG": "1"}, "OIDC_ISSUER='id.example.com' is not a URL"),
        (
            {"OIDC_ISSUER": "https://id.example.com", "DEBUG": "1"},
            "OIDC_ISSUER is set but OIDC_CLIENT_ID is not",
        ),
        ({**OIDC, "OIDC_SCOPES": "profile email"}, "OIDC_SCOPES='profile email' lacks 'openid'"),
        (
            {**OIDC, "OIDC_CLIENT_SECRET": "x", "OIDC_CLIENT_SECRET_FILE": "/etc/hosts"},
            "both OIDC_CLIENT_SECRET and",
        ),
        ({"LOCAL_PASSWORDS": "0", "DEBUG": "1"}, "LOCAL_PASSWORDS is off but no other sign-in is configured"),
        ({"LOCAL_PASSWORDS": "sometimes", "DEBUG": "1"}, "LOCAL_PASSWORDS='sometimes' is not a boolean"),
        (
            {"TRUSTED_PROXY_NETWORKS": "10.0.0.0/8,proxy", "DEBUG": "1"},
            "TRUSTED_PROXY_NETWORKS: 'proxy' does not",
        ),
    ],
)
def test_a_bad_sso_setting_stops_start_up_with_a_message_naming_it(tmp_path, env, message):
    result = manage("check", tmp_path=tmp_path, **env)
    assert result.returncode != 0
    assert message in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("django.core.exceptions.ImproperlyConfigured:")


def test_the_client_secret_comes_from_a_file_and_the_role_map_is_parsed_once(tmp_path):
    (tmp_path / "secret").write_text("from-the-secret\n")
    show = (
        "from django.conf import settings as s\n"
        "print(s.OIDC_RP_CLIENT_SECRET, s.OIDC_ENABLED, s.LOCAL_PASSWORDS,"
        " [tuple(vars(g).values()) for g in s.OIDC_ROLE_MAP])\n"
        "print(s.AUTHENTICATION_BACKENDS)"
    )
    result = manage(
        "shell", "--no-imports", "-c", show, tmp_path=tmp_path, **OIDC, LOCAL_PASSWORDS="off",
        OIDC_CLIENT_SECRET_FILE=str(tmp_path / "secret"), OIDC_ROLE_MAP="cctv-admins=Front gate:admin",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    first, backends = result.stdout.strip().splitlines()
    assert first == "from-the-secret True False [('cctv-admins', 'Front gate', 'admin')]"
    assert "ModelBackend'" not in backends and "sso.oidc.OidcBackend" in backends
