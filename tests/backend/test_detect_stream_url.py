"""The detection sub-stream URL (``detect_rtsp_url``): a camera field that carries credentials like
``rtsp_url``. Stored and handed to the operator in full; shown masked everywhere a person looks (API
lists and details, admin, dashboard) and never logged; a ``***`` sent back keeps the stored password;
checked by the same rules as the main URL, the camera network policy included."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from surveillance.models import Camera

pytestmark = pytest.mark.django_db

SUB = "rtsp://viewer:subpass9@10.0.0.5:554/stream2"
MASKED = "rtsp://viewer:***@10.0.0.5:554/stream2"
PASSWORD = "subpass9"


@pytest.fixture
def sub_camera(make_camera, alice):
    return make_camera(alice, name="Porch", detect_rtsp_url=SUB, is_active=True)


def test_the_api_stores_it_in_full_and_shows_it_masked_everywhere(alice_client, caplog):
    caplog.set_level(logging.DEBUG)
    created = alice_client.post(
        "/api/cameras/",
        {"name": "Porch", "rtsp_url": "rtsp://admin:main1@10.0.0.5/s1", "detect_rtsp_url": SUB},
        format="json",
    )
    assert created.status_code == 201, created.content
    camera = Camera.objects.get()
    assert camera.detect_rtsp_url == SUB
    listed = alice_client.get("/api/cameras/").json()["results"][0]
    detail = alice_client.get(f"/api/cameras/{camera.pk}/").json()
    for body in (created.json(), listed, detail):
        assert body["detect_rtsp_url"] == MASKED
    for response in (
        created,
        alice_client.get("/api/cameras/"),
        alice_client.get(f"/api/cameras/{camera.pk}/"),
    ):
        assert PASSWORD not in response.content.decode()
    assert PASSWORD not in caplog.text


def test_a_camera_without_a_sub_stream_shows_an_empty_one(alice_client, alice_camera):
    assert alice_client.get(f"/api/cameras/{alice_camera.pk}/").json()["detect_rtsp_url"] == ""


def test_a_patch_with_the_masked_url_keeps_the_password_and_a_new_one_replaces_it(alice_client, sub_camera):
    url = f"/api/cameras/{sub_camera.pk}/"
    assert alice_client.patch(url, {"detect_rtsp_url": MASKED}, format="json").status_code == 200
    sub_camera.refresh_from_db()
    assert sub_camera.detect_rtsp_url == SUB
    fresh = "rtsp://viewer:other7@10.0.0.5:554/stream2"
    assert alice_client.patch(url, {"detect_rtsp_url": fresh}, format="json").status_code == 200
    sub_camera.refresh_from_db()
    assert sub_camera.detect_rtsp_url == fresh
    assert alice_client.patch(url, {"detect_rtsp_url": ""}, format="json").status_code == 200
    sub_camera.refresh_from_db()
    assert sub_camera.detect_rtsp_url == ""


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("http://10.0.0.5/stream2", "must start with rtsp://"),
        ("rtsp://10.0.0.5/has space", "must not contain spaces"),
        (
            "rtsp://127.0.0.1:554/stream2",
            "not an allowed camera address",
        ),  # the camera network policy (settings below)
    ],
)
def test_a_bad_sub_stream_url_answers_400_and_writes_nothing(
    alice_client, sub_camera, settings, value, message
):
    settings.CAMERA_DENIED_NETWORKS = "127.0.0.0/8"
    response = alice_client.patch(f"/api/cameras/{sub_camera.pk}/", {"detect_rtsp_url": value}, format="json")
    assert response.status_code == 400
    assert message in str(response.json()["detect_rtsp_url"])
    sub_camera.refresh_from_db()
    assert sub_camera.detect_rtsp_url == SUB


def test_the_operator_gets_it_in_full_and_an_empty_one_for_a_camera_without(
    operator_client, sub_camera, bob_camera
):
    cameras = {camera["id"]: camera for camera in operator_client.get("/api/active-cameras/").json()}
    assert cameras[sub_camera.pk]["detect_rtsp_url"] == SUB
    assert cameras[bob_camera.pk]["detect_rtsp_url"] == ""


def test_the_admin_masks_it_and_a_masked_save_keeps_it(client, sub_camera):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "x" * 20))
    change = f"/admin/surveillance/camera/{sub_camera.pk}/change/"
    page = client.get(change).content.decode()
    assert MASKED in page
    assert PASSWORD not in page
    assert PASSWORD not in client.get("/admin/surveillance/camera/").content.decode()
    form = {
        "user": sub_camera.user_id, "name": "Porch", "rtsp_url": "rtsp://admin:***@10.0.0.5:554/stream1",
        "detect_rtsp_url": MASKED, "is_active": "on", "alert_types": '["person"]',
        "confidence_threshold": 0.5, "frame_skip": 30, "cooldown_seconds": 60, "event_grace_seconds": 10,
        "event_max_seconds": 600, "pre_roll_seconds": 5, "post_roll_seconds": 5, "min_box_area": 0,
        "zones": "[]", "motion_masks": "[]", "forced_detect_interval": 5, "object_filters": "{}",
        "record_mode": "events", "retain_continuous_days": 7, "retain_motion_days": 14,
        "retain_events_days": 30,
    }  # fmt: skip
    response = client.post(change, form)
    assert response.status_code == 302, response.content.decode()[:3000]
    sub_camera.refresh_from_db()
    assert sub_camera.detect_rtsp_url == SUB


def test_the_dashboard_form_masks_it_and_a_masked_save_keeps_it(client, alice, sub_camera):
    client.force_login(alice)
    edit = reverse("dashboard:camera-edit", args=[sub_camera.pk])
    page = client.get(edit).content.decode()
    assert MASKED in page
    assert PASSWORD not in page
    form = {
        "name": "Porch", "rtsp_url": "rtsp://admin:***@10.0.0.5:554/stream1", "detect_rtsp_url": MASKED,
        "alert_types": ["person"], "confidence_threshold": "0.5", "cooldown_seconds": "60",
        "event_grace_seconds": "10", "event_max_seconds": "600", "pre_roll_seconds": "5",
        "post_roll_seconds": "5", "frame_skip": "30", "detect_fps": "", "min_box_area": "0",
    }  # fmt: skip
    assert client.post(edit, form).status_code == 302
    sub_camera.refresh_from_db()
    assert sub_camera.detect_rtsp_url == SUB
    assert sub_camera.rtsp_url == "rtsp://admin:s3cret@10.0.0.5:554/stream1"
