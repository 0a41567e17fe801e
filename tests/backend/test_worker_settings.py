"""GET /api/cameras/<id>/settings/ (issue 19): what a camera's worker applies live, the fingerprints that
tell it a restart is coming, the open events a new worker continues; only for the camera's own token."""

from __future__ import annotations

import pytest

from backend.event_objects import at, seen_object
from backend.images import jpeg_base64
from surveillance.models import LIVE_DETECTION_FIELDS, Alert, Camera, Clip

pytestmark = pytest.mark.django_db


def settings_of(client, camera_id, **params):
    return client.get(f"/api/cameras/{camera_id}/settings/", params)


def test_the_worker_reads_exactly_its_live_settings_and_two_fingerprints(camera_client, alice_camera):
    response = settings_of(camera_client, alice_camera.pk)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"version", "restart_version", "settings"}
    assert set(body["settings"]) == set(LIVE_DETECTION_FIELDS)
    assert body["settings"]["confidence_threshold"] == alice_camera.confidence_threshold
    assert "rtsp" not in response.content.decode()  # the URLs leave only as part of a digest
    assert response["Cache-Control"] == "no-store"


def test_a_live_change_changes_the_version_and_a_restart_change_the_restart_version(
    camera_client, alice_camera
):
    first = settings_of(camera_client, alice_camera.pk).json()
    zone = {"name": "porch", "points": [[0, 0], [1, 0], [1, 1]]}
    Camera.objects.filter(pk=alice_camera.pk).update(zones=[zone])
    live = settings_of(camera_client, alice_camera.pk).json()
    assert live["version"] != first["version"] and live["restart_version"] == first["restart_version"]
    Camera.objects.filter(pk=alice_camera.pk).update(detect_fps=3.0)
    restart = settings_of(camera_client, alice_camera.pk).json()
    assert restart["version"] == live["version"] and restart["restart_version"] != live["restart_version"]
    Camera.objects.filter(pk=alice_camera.pk).update(rtsp_url="rtsp://admin:new@10.0.0.5:554/stream2")
    moved = settings_of(camera_client, alice_camera.pk).json()
    assert moved["restart_version"] != restart["restart_version"]


def test_an_unchanged_answer_is_a_304_without_a_body_against_its_etag(camera_client, alice_camera):
    first = settings_of(camera_client, alice_camera.pk)
    again = camera_client.get(f"/api/cameras/{alice_camera.pk}/settings/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == first["ETag"]
    Camera.objects.filter(pk=alice_camera.pk).update(cooldown_seconds=5)
    changed = camera_client.get(f"/api/cameras/{alice_camera.pk}/settings/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed.json()["settings"]["cooldown_seconds"] == 5


def test_only_the_cameras_own_ingest_token_may_read_it(
    camera_client, alice_client, bob_client, anonymous_client, operator_client, alice_camera,
    bob_camera,
):
    assert settings_of(camera_client, bob_camera.pk).status_code == 403  # another camera's token
    assert settings_of(alice_client, alice_camera.pk).status_code == 403  # even the owner's user token
    assert settings_of(bob_client, alice_camera.pk).status_code == 404  # another user's camera
    assert settings_of(operator_client, alice_camera.pk).status_code == 404  # not the operator's camera
    assert settings_of(anonymous_client, alice_camera.pk).status_code == 401
    alice_camera.is_active = False
    alice_camera.save(update_fields=["is_active"])
    assert settings_of(camera_client, alice_camera.pk).status_code == 401  # a stopped camera's token


def test_handover_lists_the_open_events_with_their_revision_and_next_clip_segment(
    camera_client, alice_camera
):
    opened = {
        "camera_id": alice_camera.pk, "alert_type": "person", "confidence": 0.8,
        "image_base64": jpeg_base64(), "description": "1 person", "idempotency_key": "ev-open",
        "status": "open", "started_at": at(0), "objects": [seen_object()], "revision": 4,
    }
    assert camera_client.post("/api/send-alert/", opened, format="json").status_code == 201
    closed = {**opened, "idempotency_key": "ev-closed", "status": "closed", "ended_at": at(5)}
    assert camera_client.post("/api/send-alert/", closed, format="json").status_code == 201
    alert = Alert.objects.get(idempotency_key="ev-open")
    Clip.objects.create(alert=alert, segment=0, file="x.mp4", size=1, duration=1.0, sha256="0" * 64)
    assert "open_events" not in settings_of(camera_client, alice_camera.pk).json()
    (event,) = settings_of(camera_client, alice_camera.pk, handover="1").json()["open_events"]
    assert event["key"] == "ev-open" and event["alert_type"] == "person"
    assert event["revision"] == 4 and event["next_segment"] == 1
    assert event["objects"][0]["track_id"] == seen_object()["track_id"]
