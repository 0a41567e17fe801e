"""OpenID Connect sign-in inside the backend: the ID token checks (with tokens signed by the test's own RSA
key), the callback's refusals before anything is sent to the provider, the start's PKCE and ``next``, and
local passwords turned off. The whole flow against a real provider is tests/dashboard/test_sso_browser.py."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import SuspiciousOperation
from rest_framework.authtoken.models import Token

from audit.actions import AuditAction
from audit.models import AuditRecord
from sso import discovery
from sso.oidc import OidcBackend

ISSUER = "http://127.0.0.1:9/o"
CLIENT_ID = "cctv-dashboard"
PROVIDER = discovery.Provider(
    issuer=ISSUER,
    authorization_endpoint=f"{ISSUER}/authorize/",
    token_endpoint=f"{ISSUER}/token/",
    jwks_uri=f"{ISSUER}/.well-known/jwks.json",
    userinfo_endpoint=f"{ISSUER}/userinfo/",
)


def _private_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


KEY = _private_key()
OTHER_KEY = _private_key()
PUBLIC_PEM = KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)


def id_token(key=KEY, algorithm="RS256", **changes) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": CLIENT_ID, "sub": "u-1", "iat": now, "exp": now + 300, "nonce": "n-1"}
    claims.update(changes)
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": "k1"})


@pytest.fixture
def oidc(settings):
    settings.OIDC_ISSUER = ISSUER
    settings.OIDC_ENABLED = True
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = "s3cret"
    settings.OIDC_PROVIDER_NAME = "Test IdP"
    # As settings.security lists it when OIDC_ISSUER is set at start-up.
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "sso.oidc.OidcBackend"]
    return settings


@pytest.fixture
def backend(oidc):
    backend = OidcBackend()
    backend.provider = PROVIDER
    backend.OIDC_RP_IDP_SIGN_KEY = PUBLIC_PEM  # the key the JWKS would give, without an HTTP round trip
    return backend


def test_an_id_token_for_this_client_from_this_issuer_is_accepted(backend):
    claims = backend.verify_token(id_token(), nonce="n-1")
    assert claims["sub"] == "u-1"


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (lambda: id_token(aud="another-client"), "Audience"),
        (lambda: id_token(iss="http://127.0.0.1:9/other"), "issuer"),
        (lambda: id_token(exp=int(time.time()) - 3600), "expired"),
        (lambda: id_token(key=OTHER_KEY), "Signature"),
        (lambda: id_token(exp=None), "exp"),
        (lambda: id_token(aud=[CLIENT_ID, "another-client"]), "several audiences"),
        (lambda: id_token(key="a-shared-secret-of-32-bytes-at-least!", algorithm="HS256"), "HS256"),
        (lambda: jwt.encode({"sub": "u-1"}, None, algorithm="none"), "none"),
        (lambda: "not.a.token", "refused"),
    ],
    ids=[
        "wrong-audience",
        "wrong-issuer",
        "expired",
        "other-key",
        "no-expiry",
        "foreign-azp",
        "hs256",
        "alg-none",
        "garbage",
    ],
)
def test_a_token_with_a_wrong_audience_issuer_expiry_signature_or_algorithm_is_refused(
    backend, token, reason
):
    with pytest.raises(SuspiciousOperation, match=reason):
        backend.verify_token(token(), nonce="n-1")


def test_a_token_with_a_wrong_nonce_is_refused(backend):
    with pytest.raises(SuspiciousOperation, match="Nonce"):
        backend.verify_token(id_token(nonce="someone-elses"), nonce="n-1")
    with pytest.raises(SuspiciousOperation, match="Nonce"):
        backend.verify_token(id_token(nonce=None), nonce="n-1")


def test_several_audiences_are_accepted_when_this_client_is_the_authorized_party(backend):
    assert backend.verify_token(id_token(aud=[CLIENT_ID, "api"], azp=CLIENT_ID), nonce="n-1")["sub"] == "u-1"


def test_a_password_login_never_reaches_the_provider(backend, monkeypatch):
    monkeypatch.setattr(discovery, "provider", _no_provider_call)
    assert backend.authenticate(None, username="alice", password="x") is None


def _no_provider_call():
    raise AssertionError("the provider must not be asked")


# --- the routes -------------------------------------------------------------------------------------------


def test_the_routes_are_404_while_oidc_is_not_configured(client, db):
    assert client.get("/sso/oidc/login/").status_code == 404
    assert client.get("/sso/oidc/callback/?code=c&state=s").status_code == 404


def test_the_start_sends_state_nonce_and_an_s256_challenge_and_keeps_only_a_local_next(
    client, db, oidc, monkeypatch
):
    monkeypatch.setattr(discovery, "provider", lambda: PROVIDER)
    response = client.get("/sso/oidc/login/", {"next": "/dashboard/cameras/"})
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == PROVIDER.authorization_endpoint
    query = {name: values[0] for name, values in parse_qs(location.query).items()}
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["client_id"] == CLIENT_ID and query["response_type"] == "code"
    assert query["redirect_uri"] == "http://testserver/sso/oidc/callback/"
    pending = client.session["oidc_states"][query["state"]]
    assert pending["nonce"] == query["nonce"] and len(pending["code_verifier"]) >= 43
    assert client.session["oidc_login_next"] == "/dashboard/cameras/"

    for foreign in ("https://evil.example/", "//evil.example/x", "/" + "a" * 5000, "javascript:alert(1)"):
        client.get("/sso/oidc/login/", {"next": foreign})
        assert client.session["oidc_login_next"] is None, foreign


def test_the_start_with_the_provider_down_ends_on_the_login_page(client, db, oidc):
    discovery.forget()
    response = client.get("/sso/oidc/login/")  # the issuer's port 9 refuses the connection
    assert response.status_code == 302 and response["Location"] == "/dashboard/login/?sso=failed"
    assert "Single sign-on did not complete" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"code": "c", "state": "never-started"},
        {"code": "c", "state": "s" * 5000},
        {"code": "c" * 5000, "state": "s"},
        {"code": "c"},
        {f"p{i}": "x" for i in range(20)},
    ],
    ids=["forged-state", "huge-state", "huge-code", "no-state", "many-parameters"],
)
def test_a_callback_this_session_did_not_start_sends_nothing_and_signs_no_one_in(
    client, db, oidc, monkeypatch, query
):
    monkeypatch.setattr(discovery, "provider", _no_provider_call)
    response = client.get("/sso/oidc/callback/", query)
    assert response.status_code == 302 and response["Location"] == "/dashboard/login/?sso=failed"
    assert "_auth_user_id" not in client.session


def test_a_callback_whose_exchange_fails_ends_on_the_login_page_with_a_failed_sign_in_record(
    client, db, oidc, monkeypatch
):
    monkeypatch.setattr(discovery, "provider", lambda: PROVIDER)  # its token endpoint (port 9) refuses
    client.get("/sso/oidc/login/")
    state = next(iter(client.session["oidc_states"]))
    response = client.get("/sso/oidc/callback/", {"code": "c", "state": state})
    assert response.status_code == 302 and response["Location"] == "/dashboard/login/?sso=failed"
    assert state not in client.session["oidc_states"]  # used once
    record = AuditRecord.objects.get()
    assert (record.action, record.summary) == (AuditAction.SIGN_IN_FAILED, "via /sso/oidc/callback/")


def test_failed_callbacks_from_one_address_are_locked_out_before_the_provider_is_asked(
    client, db, oidc, monkeypatch
):
    oidc.AXES_FAILURE_LIMIT = 2
    asked: list[int] = []

    def provider():
        asked.append(1)
        return PROVIDER  # its token endpoint (port 9) refuses: each exchange fails

    monkeypatch.setattr(discovery, "provider", provider)
    for _ in range(4):
        client.get("/sso/oidc/login/")
        state = next(reversed(client.session["oidc_states"]))
        client.get("/sso/oidc/callback/", {"code": "c", "state": state})
    # Two starts and two failed exchanges asked the provider; then the lockout refused before it.
    assert len(asked) == 4 + 2


def test_a_callback_error_from_anywhere_does_not_sign_the_user_out(client, oidc, alice):
    client.force_login(alice)
    client.get("/sso/oidc/callback/", {"error": "access_denied", "state": "not-mine"})
    assert client.get("/dashboard/").status_code == 200


# --- local passwords off -----------------------------------------------------------------------------------


@pytest.fixture
def passwords_off(oidc):
    oidc.LOCAL_PASSWORDS = False
    oidc.AUTHENTICATION_BACKENDS = [
        backend
        for backend in oidc.AUTHENTICATION_BACKENDS
        if backend != "django.contrib.auth.backends.ModelBackend"
    ]
    return oidc


def test_with_passwords_off_the_dashboard_form_refuses_with_a_message_and_offers_the_provider(
    client, alice, passwords_off
):
    page = client.get("/dashboard/login/").content.decode()
    assert "Sign in with Test IdP" in page and 'name="password"' not in page
    response = client.post("/dashboard/login/", {"username": "alice", "password": "pw-alice-1234"})
    assert "Password sign-in is turned off" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_with_passwords_off_the_admin_form_refuses_with_a_message(client, make_user, passwords_off):
    admin = make_user("root")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    response = client.post("/admin/login/", {"username": "root", "password": "irrelevant", "next": "/admin/"})
    assert "Password sign-in is turned off" in response.content.decode()


def test_with_passwords_off_token_auth_refuses_and_existing_tokens_keep_working(client, alice, passwords_off):
    response = client.post(
        "/api-token-auth/", {"username": "alice", "password": "x"}, content_type="application/json"
    )
    assert response.status_code == 403 and "LOCAL_PASSWORDS" in response.json()["detail"]
    token = Token.objects.create(user=alice)
    assert client.get("/api/cameras/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200


def test_with_passwords_on_the_page_shows_both_the_form_and_the_button(client, db, oidc):
    page = client.get("/dashboard/login/?next=/dashboard/cameras/").content.decode()
    assert 'name="password"' in page
    assert 'href="/sso/oidc/login/?next=/dashboard/cameras/"' in page and "Sign in with Test IdP" in page
