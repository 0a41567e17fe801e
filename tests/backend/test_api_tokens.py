"""Users' API tokens (issue 25) over the real API: created with a scope and an expiry, the secret shown
once and stored only as a hash, read-only tokens refused unsafe methods, expired and revoked ones 401 at
once, malformed and oversized headers refused before any lookup, failed attempts throttled per address,
the seed's tokens untouched, one audit record per creation and revocation."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from api_tokens.models import ApiToken
from audit.actions import AuditAction
from audit.models import AuditRecord
from backend.conftest import client_for

pytestmark = pytest.mark.django_db


def create(client, **body):
    """POST /api/tokens/ with a valid body changed by ``body`` (a None value leaves that field out)."""
    body = {"name": "Home Assistant", "scope": "read", "expires_in_days": 30, **body}
    body = {key: value for key, value in body.items() if value is not None}
    return client.post("/api/tokens/", body, format="json")


def bearer(token: str, keyword: str = "Token") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {token}")
    return client


@pytest.fixture
def read_token(alice_client) -> str:
    return create(alice_client).json()["token"]


@pytest.fixture
def full_token(alice_client) -> str:
    return create(alice_client, name="script", scope="full").json()["token"]


def test_a_token_is_shown_once_and_only_its_hash_is_stored(alice_client, alice):
    response = create(alice_client)
    assert response.status_code == 201, response.content
    body = response.json()
    secret = body["token"]
    assert secret.startswith("pat_") and len(secret) == 81
    assert body["prefix"] == secret[:16] and body["scope"] == "read" and body["expired"] is False
    stored = ApiToken.objects.get()
    assert secret not in str(stored.__dict__)
    assert stored.secret_hash == hashlib.sha256(secret.rsplit("_", 1)[1].encode()).hexdigest()
    listed = alice_client.get("/api/tokens/").json()
    assert listed["count"] == 1 and secret not in str(listed) and secret.rsplit("_", 1)[1] not in str(listed)
    assert listed["results"][0]["prefix"] == body["prefix"]


def test_a_token_authenticates_as_its_user_with_either_keyword(read_token, alice_camera):
    for keyword in ("Token", "Bearer"):
        response = bearer(read_token, keyword).get("/api/cameras/")
        assert response.status_code == 200 and response.json()["count"] == 1


def test_a_read_only_token_reads_and_gets_403_on_every_unsafe_method(read_token, alice_camera):
    client = bearer(read_token)
    assert client.get(f"/api/cameras/{alice_camera.pk}/").status_code == 200
    assert (
        client.post("/api/cameras/", {"name": "x", "rtsp_url": "rtsp://10.0.0.1/"}, format="json").status_code
        == 403
    )
    assert client.patch(f"/api/cameras/{alice_camera.pk}/", {"name": "x"}, format="json").status_code == 403
    assert client.delete(f"/api/cameras/{alice_camera.pk}/").status_code == 403
    assert client.post(f"/api/cameras/{alice_camera.pk}/deactivate/").status_code == 403
    assert client.get("/api/cameras/").json()["results"][0]["name"] == "Front door"


def test_a_full_token_changes_things_but_cannot_mint_tokens(full_token, alice_camera):
    client = bearer(full_token)
    assert (
        client.patch(f"/api/cameras/{alice_camera.pk}/", {"name": "Gate"}, format="json").status_code == 200
    )
    assert create(client).status_code == 403
    assert ApiToken.objects.count() == 1


def test_a_revoked_token_answers_401_at_once_and_leaves_the_list(alice_client, read_token):
    client = bearer(read_token)
    assert client.get("/api/cameras/").status_code == 200
    token_id = alice_client.get("/api/tokens/").json()["results"][0]["id"]
    assert alice_client.delete(f"/api/tokens/{token_id}/").status_code == 204
    response = client.get("/api/cameras/")
    assert response.status_code == 401 and "revoked" in response.json()["detail"]
    assert alice_client.get("/api/tokens/").json()["count"] == 0
    assert alice_client.delete(f"/api/tokens/{token_id}/").status_code == 404


def test_a_token_may_revoke_itself(read_token, full_token):
    client = bearer(full_token)
    own = ApiToken.objects.get(name="script")
    assert client.delete(f"/api/tokens/{own.pk}/").status_code == 204
    assert client.get("/api/tokens/").status_code == 401


def test_an_expired_token_answers_401(read_token):
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = bearer(read_token).get("/api/cameras/")
    assert response.status_code == 401 and "expired" in response.json()["detail"]
    assert response["WWW-Authenticate"] == "Token"


def test_a_disabled_users_token_answers_401(read_token, alice):
    alice.is_active = False
    alice.save()
    assert bearer(read_token).get("/api/cameras/").status_code == 401


def test_another_users_token_cannot_be_listed_or_revoked(alice_client, bob_client, read_token):
    token_id = ApiToken.objects.get().pk
    assert bob_client.get("/api/tokens/").json()["count"] == 0
    assert bob_client.delete(f"/api/tokens/{token_id}/").status_code == 404
    assert bearer(read_token).get("/api/cameras/").status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "Token pat_",
        "Token pat_" + "0" * 12 + "_" + "0" * 63,
        "Token pat_" + "0" * 12 + "_" + "0" * 65,
        "Token pat_" + "G" * 12 + "_" + "0" * 64,
        "Token pat_" + "0" * 12 + "_" + "0" * 64 + " extra",
        "Token pat_" + "x" * 100_000,
        "Bearer pat_" + "\u00e9" * 40,
    ],
)
def test_a_malformed_or_oversized_token_is_refused_without_a_query(header, alice):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/cameras/")
    assert response.status_code == 401
    assert not [query for query in queries.captured_queries if "api_tokens" in query["sql"]]


def test_a_wrong_secret_for_a_real_key_id_is_401(read_token):
    forged = read_token[:-1] + ("0" if read_token[-1] != "0" else "1")
    response = bearer(forged).get("/api/cameras/")
    assert response.status_code == 401 and response.json()["detail"] == "Invalid API token."


def test_failed_attempts_from_one_address_are_throttled_before_any_lookup(read_token, monkeypatch):
    # The login throttle's rate (AUTH_THROTTLE_RATE), lowered for the test.
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "auth", "3/minute")
    wrong = bearer("pat_" + "0" * 12 + "_" + "0" * 64)
    assert [wrong.get("/api/cameras/").status_code for _ in range(3)] == [401] * 3
    with CaptureQueriesContext(connection) as queries:
        response = wrong.get("/api/cameras/")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert not [query for query in queries.captured_queries if "api_tokens" in query["sql"]]
    assert bearer(read_token).get("/api/cameras/").status_code == 429  # the address waits, whatever it sends
    other = bearer(read_token)
    other.defaults["REMOTE_ADDR"] = "10.9.9.9"
    assert other.get("/api/cameras/").status_code == 200  # another address is not held up


def test_the_seeds_token_keeps_working_beside_them(alice_client, read_token, alice_camera):
    assert alice_client.get("/api/cameras/").status_code == 200
    assert alice_client.post(f"/api/cameras/{alice_camera.pk}/deactivate/").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scope": "admin"}, "scope"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"expires_in_days": 0}, "expires_in_days"),
        ({"expires_in_days": 400}, "expires"),
        ({"expires_in_days": None, "expires": "2000-01-01T00:00:00Z"}, "expires"),  # in the past
        ({"expires": "2099-01-01T00:00:00Z"}, "expires"),  # both given
    ],
)
def test_bad_input_is_a_400_naming_the_field(alice_client, body, field):
    response = create(alice_client, **body)
    assert response.status_code == 400 and field in response.json(), response.content


def test_an_absolute_expiry_is_taken(alice_client):
    expires = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    body = {"name": "n", "scope": "full", "expires": expires.isoformat()}
    response = alice_client.post("/api/tokens/", body, format="json")
    assert response.status_code == 201, response.content
    assert ApiToken.objects.get().expires_at == expires


def test_a_user_holds_at_most_the_setting_many_tokens(alice_client, settings):
    settings.API_TOKENS_PER_USER = 2
    assert [create(alice_client).status_code for _ in range(3)] == [201, 201, 400]


def test_creation_and_revocation_leave_one_audit_record_each(alice_client, alice):
    token_id = create(alice_client).json()["id"]
    created = AuditRecord.objects.get(action=AuditAction.TOKEN_CREATED)
    assert (created.user_id, created.object_type, created.object_id) == (alice.pk, "apitoken", str(token_id))
    alice_client.delete(f"/api/tokens/{token_id}/")
    AuditRecord.objects.get(action=AuditAction.TOKEN_REVOKED, object_id=str(token_id))
    assert AuditRecord.objects.count() == 2


def test_a_camera_ingest_token_cannot_manage_tokens(camera_client):
    assert camera_client.get("/api/tokens/").status_code == 403
    assert create(camera_client).status_code == 403


def test_without_credentials_the_routes_answer_401():
    client = client_for(None)
    assert client.get("/api/tokens/").status_code == 401
    assert create(client).status_code == 401
