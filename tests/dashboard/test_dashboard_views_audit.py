"""Changes made on the dashboard's own forms go into the audit trail, one record each (issue 25)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.actions import AuditAction
from audit.models import AuditRecord
from notifications import services as notification_services

pytestmark = pytest.mark.django_db

# The camera form's fields (as test_dashboard_views_cameras.py posts them).
VALID = {
    "name": "Door", "rtsp_url": "rtsp://admin:s3cret@10.0.0.7:554/live", "alert_types": ["person"],
    "confidence_threshold": "0.6", "cooldown_seconds": "30", "event_grace_seconds": "10",
    "event_max_seconds": "600", "pre_roll_seconds": "5", "post_roll_seconds": "5", "frame_skip": "15",
    "detect_fps": "", "min_box_area": "0.01",
}  # fmt: skip


def actions() -> list[str]:
    return list(
        AuditRecord.objects.exclude(action=AuditAction.SIGN_IN)
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_each_camera_change_on_the_dashboard_leaves_one_record(alice_client, alice):
    assert alice_client.post(reverse("dashboard:camera-create"), VALID).status_code == 302
    camera = alice.cameras.get()
    alice_client.post(reverse("dashboard:camera-edit", args=[camera.pk]), {**VALID, "name": "Gate"})
    alice_client.post(reverse("dashboard:camera-activate", args=[camera.pk]))
    alice_client.post(reverse("dashboard:zones", args=[camera.pk]), {"zones": "[]"})
    assert actions() == ["camera_created", "camera_updated", "camera_updated", "camera_updated"]
    assert set(AuditRecord.objects.exclude(action="sign_in").values_list("camera_id", flat=True)) == {
        camera.pk
    }


def test_a_refused_dashboard_change_leaves_no_record(alice_client):
    alice_client.post(reverse("dashboard:camera-create"), {**VALID, "rtsp_url": "ftp://nope"})
    assert actions() == []


def test_a_channel_deleted_on_the_dashboard_leaves_one_record(alice_client, alice):
    channel = notification_services.channel_create(
        user=alice, kind="email", name="Mail", addresses=["a@example.com"]
    )
    alice_client.post(reverse("dashboard:channel-delete", args=[channel.pk]))
    record = AuditRecord.objects.get(action=AuditAction.CHANNEL_DELETED)
    assert (record.object_id, record.user_id) == (str(channel.pk), alice.pk)
    assert actions() == ["channel_deleted"]
