"""surveillance.cameras.services and surveillance.events.services: camera writes,
heartbeats, idempotent ingest, acknowledgement, purge."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from backend.images import files_under, jpeg_base64
from surveillance import metrics
from surveillance.accounts import services as account_services
from surveillance.accounts.tokens import token_matches
from surveillance.cameras import selectors
from surveillance.cameras import services as camera_services
from surveillance.errors import IdempotencyConflict, SnapshotTooLarge
from surveillance.events import services as event_services
from surveillance.models import Alert, Camera

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def counter(metric, **labels) -> float:
    return (metric.labels(**labels) if labels else metric)._value.get()


# --- cameras -----------------------------------------------------------------------------------------


def test_camera_create_stores_the_detection_config(alice):
    zones = [{"name": "door", "points": [[0, 0], [0.5, 0], [0.5, 0.5]], "intrusion": True, "exclusive": True}]
    camera = camera_services.camera_create(
        user=alice, name="Door", rtsp_url="rtsp://cam/1", alert_types=["fire"], frame_skip=5, zones=zones
    )
    camera.refresh_from_db()
    assert (camera.alert_types, camera.frame_skip, camera.zones) == (["fire"], 5, zones)
    assert not camera.is_active


def test_camera_create_refuses_a_non_rtsp_url_and_a_duplicate_name_and_writes_nothing(alice, alice_camera):
    with pytest.raises(ValidationError) as error:
        camera_services.camera_create(user=alice, name=alice_camera.name, rtsp_url="http://cam/1")
    assert set(error.value.message_dict) == {"rtsp_url", "__all__"}
    assert "You already have a camera with this name." in error.value.message_dict["__all__"]
    assert Camera.objects.count() == 1


def test_two_users_may_use_the_same_camera_name(alice_camera, bob, make_camera):
    assert make_camera(bob, name=alice_camera.name).name == alice_camera.name


def test_camera_update_validates_and_saves_only_what_changed(alice_camera):
    before = alice_camera.updated_at
    camera_services.camera_update(camera=alice_camera, name=alice_camera.name)
    alice_camera.refresh_from_db()
    assert alice_camera.updated_at == before
    camera_services.camera_update(camera=alice_camera, confidence_threshold=0.7)
    assert Camera.objects.get().confidence_threshold == 0.7
    with pytest.raises(ValidationError, match="rtsp"):
        camera_services.camera_update(camera=alice_camera, rtsp_url="ftp://nope")
    assert Camera.objects.get().rtsp_url.startswith("rtsp://")


def test_camera_update_refuses_fields_users_do_not_set(alice_camera):
    with pytest.raises(TypeError, match="stream_state"):
        camera_services.camera_update(camera=alice_camera, stream_state="up")


def test_camera_set_active_toggles_the_flag(alice_camera):
    camera_services.camera_set_active(camera=alice_camera, active=False)
    assert not Camera.objects.get().is_active


def test_rotating_the_ingest_token_invalidates_the_old_one(alice_camera):
    old = selectors.camera_ingest_token(camera=alice_camera)
    new = camera_services.camera_rotate_ingest_token(camera=alice_camera)
    camera = Camera.objects.get()
    assert new != old
    assert token_matches(new, camera.pk, camera.ingest_token_nonce)
    assert not token_matches(old, camera.pk, camera.ingest_token_nonce)


def test_a_heartbeat_records_the_worker_status_without_touching_updated_at(alice_camera, settings):
    updated_at = Camera.objects.get().updated_at
    camera_services.camera_record_heartbeat(camera=alice_camera, stream_state="up", fps=12.5, now=NOW)
    camera = Camera.objects.get()
    assert (camera.stream_state, camera.fps, camera.last_heartbeat_at) == ("up", 12.5, NOW)
    assert camera.updated_at == updated_at
    assert camera.is_online(NOW + timedelta(seconds=settings.CAMERA_ONLINE_SECONDS - 1))
    assert not camera.is_online(NOW + timedelta(seconds=settings.CAMERA_ONLINE_SECONDS))


def test_camera_delete_removes_its_alerts_and_their_files(alice_camera, media_root):
    ingest(alice_camera)
    assert files_under(media_root)
    camera_services.camera_delete(camera=alice_camera)
    assert (Camera.objects.count(), Alert.objects.count(), files_under(media_root)) == (0, 0, [])


# --- alert ingest ------------------------------------------------------------------------------------


def ingest(camera, **overrides):
    arguments = {
        "camera": camera,
        "alert_type": "person",
        "confidence": 0.8,
        "description": "Person detected",
        "image_base64": jpeg_base64(),
    }
    arguments.update(overrides)
    return event_services.alert_ingest(**arguments)


def test_an_alert_is_stored_with_its_snapshot_as_a_file(alice_camera, media_root):
    alert, created = ingest(alice_camera, occurred_at=NOW)
    assert created
    assert alert.snapshot.name.startswith(f"snapshots/{alice_camera.pk}/2026/11/25/")
    assert files_under(media_root) == [media_root / alert.snapshot.name]


def test_a_replayed_key_returns_the_first_alert_and_stores_nothing_new(alice_camera, media_root):
    replays = counter(metrics.ALERT_REPLAYS)
    image = jpeg_base64()
    first, created = ingest(alice_camera, idempotency_key="k1", image_base64=image)
    again, created_again = ingest(alice_camera, idempotency_key="k1", image_base64=image)
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert Alert.objects.count() == 1
    assert len(files_under(media_root)) == 1
    assert counter(metrics.ALERT_REPLAYS) == replays + 1


def test_the_same_key_with_another_payload_is_a_conflict(alice_camera, media_root):
    ingest(alice_camera, idempotency_key="k1", confidence=0.8)
    with pytest.raises(IdempotencyConflict, match="already used for a different alert"):
        ingest(alice_camera, idempotency_key="k1", confidence=0.9)
    assert Alert.objects.count() == 1
    assert len(files_under(media_root)) == 1


def test_the_same_key_on_two_cameras_makes_two_alerts(alice_camera, bob_camera):
    ingest(alice_camera, idempotency_key="k1")
    ingest(bob_camera, idempotency_key="k1")
    assert Alert.objects.count() == 2


def test_alerts_without_a_key_are_never_deduplicated(alice_camera):
    ingest(alice_camera)
    ingest(alice_camera)
    assert Alert.objects.filter(idempotency_key__isnull=True).count() == 2


def test_an_oversized_snapshot_raises_too_large_and_writes_nothing(alice_camera, media_root, settings):
    settings.ALERT_IMAGE_MAX_BYTES = 1024
    rejected = counter(metrics.ALERTS_REJECTED, reason="too_large")
    with pytest.raises(SnapshotTooLarge):
        ingest(alice_camera, image_base64=jpeg_base64(width=640, height=480))
    assert (Alert.objects.count(), files_under(media_root)) == (0, [])
    # The service raises; the API counts the refused request (test_api_alerts: counted once per request).
    assert counter(metrics.ALERTS_REJECTED, reason="too_large") == rejected


def test_an_invalid_alert_type_is_refused_before_any_file_is_written(alice_camera, media_root):
    with pytest.raises(ValidationError) as error:
        ingest(alice_camera, alert_type="tiger")
    assert "alert_type" in error.value.message_dict
    assert (Alert.objects.count(), files_under(media_root)) == (0, [])


def test_a_failed_row_insert_deletes_the_snapshot_file(alice_camera, media_root, monkeypatch):
    # The database refusing the row (simulated: no way to make it fail for real after validation)
    # must not leave the already written file behind.
    def refuse(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Alert, "save", refuse)
    with pytest.raises(RuntimeError):
        ingest(alice_camera)
    assert files_under(media_root) == []


def test_ingest_counts_alerts_by_type(alice_camera):
    before = counter(metrics.ALERTS_INGESTED, alert_type="fire")
    ingest(alice_camera, alert_type="fire")
    assert counter(metrics.ALERTS_INGESTED, alert_type="fire") == before + 1


# --- acknowledge and purge ---------------------------------------------------------------------------


def test_acknowledging_keeps_the_first_who_and_when(alice, bob, alice_camera):
    alert, _ = ingest(alice_camera)
    event_services.alert_acknowledge(alert=alert, user=alice, now=NOW)
    event_services.alert_acknowledge(alert=alert, user=bob, now=NOW + timedelta(hours=1))
    alert.refresh_from_db()
    assert (alert.acknowledged, alert.acknowledged_by, alert.acknowledged_at) == (True, alice, NOW)


def test_bulk_acknowledge_touches_only_the_users_own_unacknowledged_alerts(alice, alice_camera, bob_camera):
    mine = [ingest(alice_camera)[0].pk for _ in range(3)]
    theirs = ingest(bob_camera)[0].pk
    assert event_services.alerts_acknowledge(user=alice, alert_ids=[*mine, theirs]) == 3
    assert event_services.alerts_acknowledge(user=alice, alert_ids=mine) == 0
    assert not Alert.objects.get(pk=theirs).acknowledged


def test_purge_deletes_old_alerts_and_their_files_and_keeps_recent_ones(alice_camera, media_root):
    ingest(alice_camera, occurred_at=NOW - timedelta(days=40))
    recent, _ = ingest(alice_camera, occurred_at=NOW - timedelta(days=1))
    assert event_services.alerts_purge(older_than=NOW - timedelta(days=30)) == 1
    assert list(Alert.objects.values_list("pk", flat=True)) == [recent.pk]
    assert files_under(media_root) == [media_root / recent.snapshot.name]


def test_the_operator_group_holds_exactly_the_active_cameras_permission(db):
    group = account_services.operator_group_ensure()
    assert [p.codename for p in group.permissions.all()] == ["view_active_cameras"]
    assert account_services.operator_group_ensure() == group


def test_operator_token_create_is_idempotent_unless_rotated(db):
    token = account_services.operator_token_create(username="op")
    assert account_services.operator_token_create(username="op") == token
    assert account_services.operator_token_create(username="op", rotate=True) != token
