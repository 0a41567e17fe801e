"""Camera pages: list with state, add/edit with errors next to the field, masked URL, (de)activation."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from surveillance.cameras import services
from surveillance.models import DETECTION_FIELDS, LIVE_DETECTION_FIELDS, STREAM_FIELDS, Camera

VALID = {
    "name": "Gate",
    "rtsp_url": "rtsp://admin:s3cret@10.0.0.7:554/live",
    "alert_types": ["person", "vehicle"],
    "confidence_threshold": "0.6",
    "cooldown_seconds": "30",
    "event_grace_seconds": "10",
    "event_max_seconds": "600",
    "pre_roll_seconds": "5",
    "post_roll_seconds": "5",
    "frame_skip": "15",
    "detect_fps": "",
    "min_box_area": "0.01",
}


def test_adding_a_camera_stores_its_config_inactive(alice_client, alice):
    response = alice_client.post(reverse("dashboard:camera-create"), VALID)
    assert response.status_code == 302
    camera = Camera.objects.get(user=alice)
    assert (camera.name, camera.rtsp_url, camera.alert_types) == (
        "Gate",
        VALID["rtsp_url"],
        ["person", "vehicle"],
    )
    assert (camera.confidence_threshold, camera.cooldown_seconds, camera.frame_skip) == (0.6, 30, 15)
    assert camera.detect_fps is None and not camera.is_active


def test_a_camera_may_name_a_detector_pool_and_blank_is_the_default(alice_client, alice):
    alice_client.post(reverse("dashboard:camera-create"), {**VALID, "detector": "gpu-a"})
    assert Camera.objects.get(user=alice).detector == "gpu-a"
    alice_client.post(reverse("dashboard:camera-create"), {**VALID, "name": "Yard"})  # no detector field sent
    assert Camera.objects.get(user=alice, name="Yard").detector == ""


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://10.0.0.7/live", "must start with rtsp:// or rtsps://"),
        ("rtsp://", "has no host"),
        ("rtsp://cam .local/x", "must not contain spaces"),
        ("rtsp://10.0.0.7:99999/x", "malformed"),
    ],
)
def test_a_bad_rtsp_url_is_refused_with_the_error_next_to_the_field(alice_client, alice, url, message):
    response = alice_client.post(reverse("dashboard:camera-create"), {**VALID, "rtsp_url": url})
    assert response.status_code == 200
    assert message in response.context["form"].errors["rtsp_url"][0]
    assert 'id="rtsp_url-error"' in response.content.decode()
    assert not Camera.objects.filter(user=alice).exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("confidence_threshold", "1.5"),
        ("cooldown_seconds", "-1"),
        ("cooldown_seconds", "86401"),
        ("frame_skip", "0"),
        ("frame_skip", "10001"),
        ("detect_fps", "121"),
        ("detector", "GPU_A"),
        ("detector", "-gpu"),
    ],
)
def test_out_of_range_detection_settings_are_refused_next_to_their_field(alice_client, alice, field, value):
    response = alice_client.post(reverse("dashboard:camera-create"), {**VALID, field: value})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Camera.objects.filter(user=alice).exists()


def test_a_second_camera_with_the_same_name_is_refused_next_to_the_name(alice_client, alice, make_camera):
    make_camera(alice, "Gate")
    response = alice_client.post(reverse("dashboard:camera-create"), VALID)
    assert "already have a camera named" in response.context["form"].errors["name"][0]
    assert Camera.objects.filter(user=alice).count() == 1


def test_another_user_may_use_the_same_camera_name(alice_client, alice, bob, make_camera):
    make_camera(bob, "Gate")
    assert alice_client.post(reverse("dashboard:camera-create"), VALID).status_code == 302


def test_the_edit_form_never_shows_the_stored_password(alice_client, alice, make_camera):
    camera = make_camera(alice, url="rtsp://admin:s3cret@10.0.0.5:554/stream1")
    body = alice_client.get(reverse("dashboard:camera-edit", args=[camera.id])).content.decode()
    assert "s3cret" not in body
    assert "rtsp://admin:***@10.0.0.5:554/stream1" in body
    assert "s3cret" not in alice_client.get(reverse("dashboard:cameras")).content.decode()


def test_saving_with_the_masked_url_unchanged_keeps_the_password(alice_client, alice, make_camera):
    camera = make_camera(alice, "Gate", url="rtsp://admin:s3cret@10.0.0.5:554/stream1")
    form = {**VALID, "rtsp_url": "rtsp://admin:***@10.0.0.5:554/stream1", "cooldown_seconds": "90"}
    assert alice_client.post(reverse("dashboard:camera-edit", args=[camera.id]), form).status_code == 302
    camera.refresh_from_db()
    assert camera.rtsp_url == "rtsp://admin:s3cret@10.0.0.5:554/stream1"
    assert camera.cooldown_seconds == 90


def test_saving_with_a_new_password_replaces_it(alice_client, alice, make_camera):
    camera = make_camera(alice, "Gate")
    form = {**VALID, "rtsp_url": "rtsp://admin:fresh@10.0.0.5:554/stream1"}
    alice_client.post(reverse("dashboard:camera-edit", args=[camera.id]), form)
    camera.refresh_from_db()
    assert camera.rtsp_url == "rtsp://admin:fresh@10.0.0.5:554/stream1"


def test_an_invalid_edit_changes_nothing(alice_client, alice, make_camera):
    camera = make_camera(alice, "Gate")
    before = Camera.objects.get(pk=camera.pk).__dict__.copy()
    form = {**VALID, "rtsp_url": "ftp://nope", "cooldown_seconds": "5"}
    response = alice_client.post(reverse("dashboard:camera-edit", args=[camera.id]), form)
    assert response.status_code == 200 and "rtsp_url" in response.context["form"].errors
    after = Camera.objects.get(pk=camera.pk).__dict__
    assert {k: after[k] for k in ("rtsp_url", "cooldown_seconds", "name")} == {
        k: before[k] for k in ("rtsp_url", "cooldown_seconds", "name")
    }


def test_activate_and_deactivate_buttons_switch_the_camera(alice_client, alice, make_camera):
    camera = make_camera(alice)
    alice_client.post(reverse("dashboard:camera-activate", args=[camera.id]))
    camera.refresh_from_db()
    assert camera.is_active
    alice_client.post(reverse("dashboard:camera-deactivate", args=[camera.id]))
    camera.refresh_from_db()
    assert not camera.is_active


def test_activation_is_refused_on_get(alice_client, alice, make_camera):
    camera = make_camera(alice)
    assert alice_client.get(reverse("dashboard:camera-activate", args=[camera.id])).status_code == 405


def test_camera_list_shows_state_fps_and_last_alert(alice_client, alice, make_camera, make_alert):
    online = make_camera(alice, "Online cam", is_active=True)
    services.camera_record_heartbeat(camera=online, stream_state="up", fps=12.5)
    down = make_camera(alice, "Down cam", is_active=True)
    services.camera_record_heartbeat(
        camera=down, stream_state="up", fps=9.0, now=timezone.now() - timedelta(minutes=10)
    )
    make_camera(alice, "Idle cam")
    make_alert(online, "vehicle")
    response = alice_client.get(reverse("dashboard:cameras"))
    rows = {row.camera.name: row for row in response.context["cameras"]}
    assert {name: row.state for name, row in rows.items()} == {
        "Online cam": "online",
        "Down cam": "down",
        "Idle cam": "inactive",
    }
    online_row = rows["Online cam"].camera
    assert online_row.last_alert_type == "vehicle" and online_row.alerts_24h == 1
    assert rows["Idle cam"].camera.last_alert_at is None
    body = response.content.decode()
    assert "12.5" in body and "Stream down" in body
    assert "1 online" in body and "1 stream down" in body and "1 inactive" in body


def test_camera_list_shows_the_problem_its_worker_reports_until_it_clears(alice_client, alice, make_camera):
    # Issue 19: a worker whose events the backend refuses said nothing; the camera looked "Online".
    camera = make_camera(alice, "Refused cam", is_active=True)
    problem = "the backend refused alert k1 (HTTP 400): image_base64 may not be blank"
    services.camera_record_heartbeat(camera=camera, stream_state="up", fps=10.0, problem=problem)
    body = alice_client.get(reverse("dashboard:cameras")).content.decode()
    assert 'class="camera-problem' in body and "image_base64 may not be blank" in body
    services.camera_record_heartbeat(camera=camera, stream_state="up", fps=10.0)  # an older worker: kept
    assert "image_base64 may not be blank" in alice_client.get(reverse("dashboard:cameras")).content.decode()
    services.camera_record_heartbeat(camera=camera, stream_state="up", fps=10.0, problem="")
    assert "camera-problem" not in alice_client.get(reverse("dashboard:cameras")).content.decode()


def test_the_form_stores_object_filters_and_the_forced_detection_interval(alice_client, alice):
    filters = {"person": {"min_area": 0.001, "min_score": 0.6}}
    response = alice_client.post(
        reverse("dashboard:camera-create"),
        {**VALID, "object_filters": json.dumps(filters), "forced_detect_interval": "8"},
    )
    assert response.status_code == 302
    camera = Camera.objects.get(user=alice)
    assert (camera.object_filters, camera.forced_detect_interval) == (filters, 8.0)
    page = alice_client.get(reverse("dashboard:camera-edit", args=[camera.id])).content.decode()
    assert "min_score" in page and "{&#x27;" not in page  # shown back as JSON, not a Python repr


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"dog": {}}', "unknown alert types: dog"),
        ('{"person": {"min_area": 0.5, "max_area": 0.1}}', "min_area is larger than max_area"),
        ('{"person": {"min_size": 1}}', "unknown keys: min_size"),
    ],
)
def test_bad_object_filters_are_refused_next_to_the_field(alice_client, alice, value, message):
    response = alice_client.post(reverse("dashboard:camera-create"), {**VALID, "object_filters": value})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["object_filters"])
    assert not Camera.objects.filter(user=alice).exists()


def test_the_form_marks_each_setting_live_or_restart_from_the_one_classification(
    alice_client, alice, make_camera
):
    camera = make_camera(alice)
    page = alice_client.get(reverse("dashboard:camera-edit", args=[camera.id])).content.decode()

    def marked(name: str) -> str | None:
        # The alert types are a fieldset; every other field a div, both with id "field-<name>".
        block = re.search(rf'id="field-{name}">(.*?)</(?:label|legend)>', page, re.S)
        assert block, f"the form shows {name}"
        found = re.search(r'data-applies="(live|restart)"', block.group(1))
        return found.group(1) if found else None

    shown = set(re.findall(r'id="field-(\w+)"', page))
    for name in LIVE_DETECTION_FIELDS:
        if name in shown:  # zones and masks have their own editor
            assert marked(name) == "live", name
    for name in [*DETECTION_FIELDS, *STREAM_FIELDS]:
        if name in shown and name not in LIVE_DETECTION_FIELDS:
            assert marked(name) == "restart", name
    assert marked("name") is None  # the worker does not read it
    # The fields of both kinds are on the form: the test proves something.
    assert {"confidence_threshold", "alert_types", "frame_skip", "rtsp_url"} <= shown


def test_the_camera_page_shows_the_recording_mode_and_the_storage_used(
    alice_client, alice, make_camera, settings, tmp_path
):
    """Issue 23: what is recorded, how long it is kept, how much it takes (from the index rows)."""
    from django.core.files.base import ContentFile
    from recordings.models import RecordingSegment

    settings.MEDIA_ROOT = tmp_path / "media"
    camera = make_camera(alice)
    page = alice_client.get(reverse("dashboard:camera-edit", args=[camera.id])).content.decode()
    assert 'id="recording-none"' in page and "this mode records no segments" in page
    alice_client.post(
        reverse("dashboard:camera-edit", args=[camera.id]),
        {**VALID, "name": camera.name, "record_mode": "continuous", "retain_continuous_days": "3"},
    )
    camera.refresh_from_db()
    assert (camera.record_mode, camera.retain_continuous_days, camera.retain_motion_days) == (
        "continuous",
        3,
        14,
    )
    start = timezone.now() - timedelta(minutes=5)
    for index in range(3):
        segment = RecordingSegment(
            camera=camera,
            start=start + timedelta(seconds=10 * index),
            end=start + timedelta(seconds=10 * index + 10),
            duration=10,
            size=2048,
            kind="continuous",
        )
        segment.file.save(f"{index}.mp4", ContentFile(b"x" * 2048), save=False)
        segment.save()
    page = alice_client.get(reverse("dashboard:camera-edit", args=[camera.id])).content.decode()
    assert '<span id="recording-segments">3</span>' in page and 'data-bytes="6144"' in page
    assert "kept 3 days continuous" in page and 'id="recording-latest"' in page
