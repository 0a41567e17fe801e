"""Authentication: /api-token-auth/ (with throttling), user tokens, camera ingest tokens, sessions."""

import pytest

from backend.conftest import client_for
from support.django_fixtures import PASSWORD
from surveillance.cameras import selectors

pytestmark = pytest.mark.django_db


def test_the_token_endpoint_answers_the_users_token_for_good_credentials(anonymous_client, alice):
    response = anonymous_client.post(
        "/api-token-auth/", {"username": "alice", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert len(token) == 40
    assert client_for(token).get("/api/cameras/").status_code == 200
    again = anonymous_client.post(
        "/api-token-auth/", {"username": "alice", "password": PASSWORD}, format="json"
    )
    assert again.json()["token"] == token


def test_wrong_credentials_answer_400_without_saying_which_part_was_wrong(anonymous_client, alice):
    response = anonymous_client.post(
        "/api-token-auth/", {"username": "alice", "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Unable to log in with these credentials."]}
    missing = anonymous_client.post("/api-token-auth/", {"username": "alice"}, format="json")
    assert missing.status_code == 400 and "password" in missing.json()


def test_the_token_endpoint_is_throttled(anonymous_client, alice, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"auth": "3/minute"}}
    from rest_framework.throttling import ScopedRateThrottle

    # DRF reads the rates when the class is defined; point it at the test's setting.
    original = ScopedRateThrottle.THROTTLE_RATES
    ScopedRateThrottle.THROTTLE_RATES = {"auth": "3/minute"}
    try:
        statuses = [
            anonymous_client.post(
                "/api-token-auth/", {"username": "alice", "password": "x"}, format="json"
            ).status_code
            for _ in range(4)
        ]
    finally:
        ScopedRateThrottle.THROTTLE_RATES = original
    assert statuses == [400, 400, 400, 429]


def test_a_session_login_reaches_the_api(client, alice):
    client.force_login(alice)
    assert client.get("/api/cameras/").status_code == 200


def test_a_malformed_ingest_token_is_refused_not_passed_to_user_tokens(alice_camera):
    token = selectors.camera_ingest_token(camera=alice_camera)
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")
    response = client_for(forged).post(
        f"/api/cameras/{alice_camera.pk}/heartbeat/", {"stream_state": "up"}, format="json"
    )
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid camera ingest token."


def test_an_ingest_token_of_a_deleted_camera_is_refused(alice_camera):
    token = selectors.camera_ingest_token(camera=alice_camera)
    pk = alice_camera.pk
    alice_camera.delete()
    response = client_for(token).post(f"/api/cameras/{pk}/heartbeat/", {"stream_state": "up"}, format="json")
    assert response.status_code == 401


def test_an_ingest_token_stops_working_when_its_owner_is_disabled(alice, alice_camera):
    token = selectors.camera_ingest_token(camera=alice_camera)
    alice.is_active = False
    alice.save()
    response = client_for(token).post(
        f"/api/cameras/{alice_camera.pk}/heartbeat/", {"stream_state": "up"}, format="json"
    )
    assert response.status_code == 401


def test_an_absurd_camera_id_in_a_token_is_refused_cleanly(db):
    response = client_for("cam_99999999999999999999999_" + "0" * 64).get("/api/cameras/")
    assert response.status_code == 401
