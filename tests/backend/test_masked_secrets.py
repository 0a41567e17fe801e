"""A secret shown masked (``***``) and sent back keeps the stored one, in one place (the camera service)
for both camera URLs and for channel URLs, over the API, the dashboard and the admin alike; and only while
the scheme, host and port stay the same: a kept password must never follow a URL to another host."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from notifications import services as notification_services
from surveillance.models import Camera

pytestmark = pytest.mark.django_db

STORED = "rtsp://admin:s3cret@10.0.0.5:554/stream1"
SUB = "rtsp://viewer:subpass9@10.0.0.5:554/stream2?token=subtoken77"
HOOK = "http://127.0.0.1:9/services/T0000AAAA/B0000BBBB/XyZ0123456789abcdefGHIJ?sig=querysecret5"


@pytest.fixture
def admin_client(client):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "x" * 20))
    return client


@pytest.fixture
def camera(make_camera, alice):
    return make_camera(alice, name="Porch", rtsp_url=STORED, detect_rtsp_url=SUB)


def _patch(client, camera, **fields):
    return client.patch(f"/api/cameras/{camera.pk}/", fields, format="json")


def test_the_api_keeps_both_masked_passwords_for_the_same_host(alice_client, camera):
    response = _patch(
        alice_client,
        camera,
        rtsp_url="rtsp://admin:***@10.0.0.5/stream1",  # the default port, unwritten, is the same port
        detect_rtsp_url="rtsp://viewer:***@10.0.0.5:554/stream2?token=***",
    )
    assert response.status_code == 200, response.content
    camera.refresh_from_db()
    assert camera.rtsp_url == "rtsp://admin:s3cret@10.0.0.5/stream1"
    assert camera.detect_rtsp_url == SUB


@pytest.mark.parametrize(
    "field, submitted",
    [
        ("rtsp_url", "rtsp://admin:***@10.0.0.99:554/stream1"),  # another host
        ("rtsp_url", "rtsp://admin:***@10.0.0.5:8554/stream1"),  # another port
        ("rtsp_url", "rtsps://admin:***@10.0.0.5:554/stream1"),  # another scheme
        ("detect_rtsp_url", "rtsp://viewer:***@10.0.0.99:554/stream2?token=***"),
    ],
)
def test_the_api_refuses_a_masked_password_sent_to_another_address(alice_client, camera, field, submitted):
    response = _patch(alice_client, camera, **{field: submitted})
    assert response.status_code == 400
    assert "type the password or token again" in str(response.json()[field])
    assert Camera.objects.get().rtsp_url == STORED and Camera.objects.get().detect_rtsp_url == SUB


def test_the_dashboard_refuses_a_masked_password_for_a_new_host(client, alice, camera):
    client.force_login(alice)
    form = {
        "name": "Porch", "rtsp_url": "rtsp://admin:***@attacker.example/stream1", "detect_rtsp_url": "",
        "alert_types": ["person"], "confidence_threshold": "0.5", "cooldown_seconds": "60",
        "event_grace_seconds": "10", "event_max_seconds": "600", "pre_roll_seconds": "5",
        "post_roll_seconds": "5", "frame_skip": "30", "detect_fps": "", "min_box_area": "0",
    }  # fmt: skip
    response = client.post(reverse("dashboard:camera-edit", args=[camera.pk]), form)
    assert response.status_code == 200
    assert "type the password or token again" in response.content.decode()
    assert Camera.objects.get().rtsp_url == STORED


def test_the_admin_refuses_a_masked_password_for_a_new_host(admin_client, camera):
    form = {
        "user": camera.user_id, "name": "Porch", "rtsp_url": "rtsp://admin:***@10.0.0.99:554/stream1",
        "detect_rtsp_url": "rtsp://viewer:***@10.0.0.5:554/stream2?token=***", "alert_types": '["person"]',
        "confidence_threshold": 0.5, "frame_skip": 30, "cooldown_seconds": 60, "event_grace_seconds": 10,
        "event_max_seconds": 600, "pre_roll_seconds": 5, "post_roll_seconds": 5, "min_box_area": 0,
        "zones": "[]", "motion_masks": "[]", "forced_detect_interval": 5, "object_filters": "{}",
        "record_mode": "events", "retain_continuous_days": 7, "retain_motion_days": 14,
        "retain_events_days": 30,
    }  # fmt: skip
    response = admin_client.post(f"/admin/surveillance/camera/{camera.pk}/change/", form)
    assert response.status_code == 200
    assert "type the password or token again" in response.content.decode()
    assert Camera.objects.get().rtsp_url == STORED


@pytest.fixture
def hook(alice, settings):
    from cctv_common.network_policy import parse_networks

    settings.NOTIFY_ALLOWED_NETWORKS = parse_networks("127.0.0.0/8")
    return notification_services.channel_create(user=alice, kind="webhook", name="slack", url=HOOK)


def test_the_channel_api_masks_query_and_path_secrets_and_a_masked_patch_keeps_them(alice_client, hook):
    shown = alice_client.get(f"/api/notifications/channels/{hook.pk}/").json()["url"]
    assert shown == "http://127.0.0.1:9/services/T0000AAAA/B0000BBBB/***?sig=***"
    response = alice_client.patch(
        f"/api/notifications/channels/{hook.pk}/", {"url": shown, "name": "renamed"}, format="json"
    )
    assert response.status_code == 200, response.content
    hook.refresh_from_db()
    assert hook.url == HOOK and hook.name == "renamed"


def test_the_admins_channel_form_masks_query_and_path_secrets_and_keeps_them(admin_client, hook):
    change = f"/admin/notifications/channel/{hook.pk}/change/"
    page = admin_client.get(change).content.decode()
    assert "querysecret5" not in page and "XyZ0123456789abcdefGHIJ" not in page
    assert "/B0000BBBB/***?sig=***" in page


def test_the_dashboards_channel_form_masks_query_and_path_secrets(client, alice, hook):
    client.force_login(alice)
    page = client.get(reverse("dashboard:channel-edit", args=[hook.pk])).content.decode()
    assert "querysecret5" not in page and "XyZ0123456789abcdefGHIJ" not in page
