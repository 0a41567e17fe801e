"""Alerts as events with clips, over the real API: open/update/close (idempotent, newest revision wins,
the close hook once), seed clients' closed events, clip uploads (streamed, 413, 400 with nothing written,
stored once), range serving to the owner only, the storage cap and purge."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from backend.event_objects import T0, at, seen_object
from backend.images import files_under, jpeg_base64
from support.clips import make_mp4
from surveillance import metrics
from surveillance.events import services
from surveillance.models import Alert, Clip

OBJECT = seen_object()


def closes() -> float:
    return metrics.EVENTS_CLOSED.labels(alert_type="person")._value.get()


@pytest.fixture
def open_event(camera_client, alert_payload):
    body = alert_payload(
        alert_type="person",
        idempotency_key="ev-1",
        status="open",
        started_at=at(0),
        objects=[OBJECT],
        revision=1,
        description="1 person in zone Porch",
    )
    response = camera_client.post("/api/send-alert/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def update(client, camera_id, key="ev-1", **fields):
    body = {
        "status": "open",
        "confidence": 0.9,
        "description": "1 person",
        "peak_count": 1,
        "objects": [OBJECT],
        "revision": 2,
    } | fields
    return client.put(f"/api/cameras/{camera_id}/events/{key}/", body, format="json")


def upload(client, camera_id, path: Path, *, key="ev-1", segment=0, **headers):
    return client.generic(
        "PUT",
        f"/api/cameras/{camera_id}/events/{key}/clips/{segment}/",
        path.read_bytes(),
        content_type="video/mp4",
        HTTP_X_CLIP_STARTED_AT=at(-5),
        **headers,
    )


def test_a_seed_client_alert_is_a_closed_event_without_a_clip(alice_client, alert_payload) -> None:
    before = metrics.EVENTS_CLOSED.labels(alert_type="intrusion")._value.get()
    response = alice_client.post("/api/send-alert/", alert_payload(), format="json")
    assert response.status_code == 201
    alert = response.json()
    assert alert["status"] == "closed" and alert["clip"] is None and alert["clips"] == []
    assert alert["started_at"] == alert["ended_at"] == alert["occurred_at"]
    assert alert["duration"] == 0.0 and alert["objects"] == []
    assert metrics.EVENTS_CLOSED.labels(alert_type="intrusion")._value.get() == before + 1


def test_an_event_opens_updates_and_closes_once_whatever_order_updates_arrive_in(
    camera_client, alice_camera, open_event
) -> None:
    assert open_event["status"] == "open" and open_event["ended_at"] is None
    before = closes()
    second = dict(OBJECT, track_id=2)
    assert update(camera_client, alice_camera.pk, objects=[OBJECT, second], peak_count=2).status_code == 200
    closed = update(
        camera_client, alice_camera.pk, status="closed", ended_at=at(20), revision=3,
        objects=[OBJECT, second], peak_count=2, description="2 people in zone Porch",
    )  # fmt: skip
    assert closed.status_code == 200
    late = update(camera_client, alice_camera.pk, revision=2)  # an older update, retried late
    assert late.status_code == 200
    again = update(camera_client, alice_camera.pk, status="closed", ended_at=at(20), revision=3)
    assert again.status_code == 200
    alert = Alert.objects.get(idempotency_key="ev-1")
    assert alert.status == "closed" and alert.revision == 3 and len(alert.seen_objects) == 2
    assert alert.duration_seconds == 20.0 and alert.description == "2 people in zone Porch"
    assert closes() == before + 1  # the hook ran once


def test_an_update_for_an_unknown_event_or_another_camera_is_refused(
    camera_client, alice_camera, bob_camera, open_event
) -> None:
    assert update(camera_client, alice_camera.pk, key="nope").status_code == 404
    assert update(camera_client, bob_camera.pk).status_code == 403


def test_a_clearer_snapshot_replaces_the_first_and_the_old_file_goes(
    camera_client, alice_camera, open_event, media_root
) -> None:
    first = Alert.objects.get(idempotency_key="ev-1").snapshot.name
    response = update(camera_client, alice_camera.pk, image_base64=jpeg_base64(seed=3))
    assert response.status_code == 200
    alert = Alert.objects.get(idempotency_key="ev-1")
    assert alert.snapshot.name != first
    assert [p.name for p in files_under(media_root / "snapshots")] == [Path(alert.snapshot.name).name]


def test_a_replaced_snapshot_counts_against_the_storage_quota(
    camera_client, alice_camera, open_event, media_root, settings
) -> None:
    """Issue 20, Medium 3: a replaced snapshot was never counted (633 bytes counted, 4.5 MB on disk)."""
    larger = jpeg_base64(width=640, height=480, seed=5)
    response = update(camera_client, alice_camera.pk, image_base64=larger)
    assert response.status_code == 200
    alert = Alert.objects.get(idempotency_key="ev-1")
    assert alert.snapshot_bytes == (media_root / alert.snapshot.name).stat().st_size > 1000
    settings.USER_STORAGE_QUOTA_BYTES = alert.snapshot_bytes + 10
    refused = update(
        camera_client, alice_camera.pk, image_base64=jpeg_base64(width=1280, height=960), revision=3
    )
    assert refused.status_code == 507 and "USER_STORAGE_QUOTA_BYTES" in refused.json()["detail"]


def test_a_clip_is_stored_once_however_often_it_is_sent(
    camera_client, alice_camera, open_event, tmp_path, media_root
) -> None:
    clip = make_mp4(tmp_path / "c.mp4", seconds=3)
    first = upload(camera_client, alice_camera.pk, clip)
    assert first.status_code == 201, first.content
    assert 2.5 <= first.json()["duration"] <= 3.5 and first.json()["size"] == clip.stat().st_size
    again = upload(camera_client, alice_camera.pk, clip)
    assert again.status_code == 200 and again.json()["url"] == first.json()["url"]
    assert Clip.objects.count() == 1 and len(files_under(media_root / "clips")) == 1
    other = upload(camera_client, alice_camera.pk, make_mp4(tmp_path / "d.mp4", seed=5))
    assert other.status_code == 422


@pytest.mark.parametrize(
    "body",
    [b"not a video at all" * 100, b"\x00\x00\x00\x18ftypisom" + b"\x00" * 5000],
    ids=["text", "ftyp-then-garbage"],
)
def test_what_is_not_an_mp4_video_is_refused_and_nothing_is_written(
    camera_client, alice_camera, open_event, tmp_path, media_root, body
) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(body)
    response = upload(camera_client, alice_camera.pk, bad)
    assert response.status_code == 400, response.content
    assert Clip.objects.count() == 0 and files_under(media_root / "clips") == []


def test_a_clip_over_the_size_limit_is_refused_before_it_is_read(
    camera_client, alice_camera, open_event, tmp_path, settings
) -> None:
    settings.CLIP_MAX_BYTES = 1000
    response = upload(camera_client, alice_camera.pk, make_mp4(tmp_path / "c.mp4"))
    assert response.status_code == 413
    assert "CLIP_MAX_BYTES" in response.json()["detail"]


def test_clips_are_served_with_ranges_to_the_owner_only(
    camera_client, alice_client, bob_client, anonymous_client, alice_camera, open_event, tmp_path
) -> None:
    clip = make_mp4(tmp_path / "c.mp4", seconds=3)
    upload(camera_client, alice_camera.pk, clip)
    alert = alice_client.get("/api/alerts/").json()["results"][0]
    url = alert["clip"]["url"].removeprefix("http://testserver")
    whole = alice_client.get(url)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    assert b"".join(whole.streaming_content) == clip.read_bytes()
    part = alice_client.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 100-199/{clip.stat().st_size}"
    assert b"".join(part.streaming_content) == clip.read_bytes()[100:200]
    tail = alice_client.get(url, HTTP_RANGE="bytes=-10")
    assert b"".join(tail.streaming_content) == clip.read_bytes()[-10:]
    assert alice_client.get(url, HTTP_RANGE=f"bytes={clip.stat().st_size + 5}-").status_code == 416
    assert bob_client.get(url).status_code == 404
    assert anonymous_client.get(url).status_code == 401


def test_the_api_lists_the_event_fields_with_the_seed_fields(
    alice_client, camera_client, alice_camera, open_event, tmp_path
) -> None:
    upload(camera_client, alice_camera.pk, make_mp4(tmp_path / "c.mp4"))
    alert = alice_client.get("/api/alerts/").json()["results"][0]
    for seed_field in (
        "id",
        "camera_id",
        "alert_type",
        "confidence",
        "description",
        "snapshot_url",
        "occurred_at",
    ):
        assert seed_field in alert
    assert alert["status"] == "open" and alert["started_at"] == at(0)
    assert alert["objects"] == [OBJECT]
    assert set(alert["clip"]) == {"url", "segment", "duration", "size", "started_at"}


def _event_with_clip(camera, key: str, path: Path, *, status: str) -> Clip:
    services.alert_ingest(
        camera=camera, alert_type="person", confidence=0.9, idempotency_key=key, status=status,
        started_at=timezone.now(),
    )  # fmt: skip
    clip, _ = services.clip_store(camera=camera, key=key, segment=0, upload=path)
    return clip


def test_the_storage_cap_deletes_the_oldest_clips_never_one_of_an_open_event(
    alice_camera, tmp_path, media_root, settings
) -> None:
    settings.CLIP_STORAGE_PER_USER_BYTES = 0  # no quota while the clips are made
    path = make_mp4(tmp_path / "c.mp4", seconds=2)
    size = path.stat().st_size
    open_one = _event_with_clip(alice_camera, "open-oldest", path, status="open")
    old = _event_with_clip(alice_camera, "closed-old", path, status="closed")
    new = _event_with_clip(alice_camera, "closed-new", path, status="closed")
    before = metrics.CLIPS_DELETED.labels(reason="cap")._value.get()
    deleted = services.clips_enforce_storage_cap(max_bytes=2 * size)
    assert deleted == 1
    assert set(Clip.objects.values_list("pk", flat=True)) == {open_one.pk, new.pk}
    assert not (media_root / old.file.name).exists()
    assert metrics.CLIPS_DELETED.labels(reason="cap")._value.get() == before + 1
    # Even a cap below the open event's clip never deletes it.
    services.clips_enforce_storage_cap(max_bytes=1)
    assert list(Clip.objects.values_list("pk", flat=True)) == [open_one.pk]


def test_one_owners_clips_evict_only_their_own_and_open_events_cannot_fill_the_quota(
    alice_camera, bob_camera, camera_client, tmp_path, settings
) -> None:
    """Issue 20, Medium 2: the cap was global, so one user's open events pushed out another's clips."""
    settings.CLIP_STORAGE_PER_USER_BYTES = 0
    path = make_mp4(tmp_path / "c.mp4", seconds=2)
    size = path.stat().st_size
    bobs = [_event_with_clip(bob_camera, f"bob-{i}", path, status="closed") for i in range(2)]
    alices_old = _event_with_clip(alice_camera, "alice-old", path, status="closed")
    settings.CLIP_STORAGE_PER_USER_BYTES = 2 * size + size // 2  # two clips each
    _event_with_clip(alice_camera, "alice-open-1", path, status="open")
    _event_with_clip(alice_camera, "alice-open-2", path, status="open")  # pushes out Alice's own closed clip
    remaining = set(Clip.objects.values_list("alert__idempotency_key", flat=True))
    assert remaining == {"bob-0", "bob-1", "alice-open-1", "alice-open-2"}
    assert {clip.pk for clip in bobs} <= set(Clip.objects.values_list("pk", flat=True))
    assert alices_old.alert.idempotency_key not in remaining
    # A third clip of an open event cannot fit by deleting Alice's own closed clips: 507, nothing stored.
    services.alert_ingest(
        camera=alice_camera, alert_type="person", confidence=0.9, image_base64=jpeg_base64(),
        idempotency_key="alice-open-3", status="open", started_at=timezone.now(),
    )  # fmt: skip
    response = upload(camera_client, alice_camera.pk, path, key="alice-open-3")
    assert response.status_code == 507 and "CLIP_STORAGE_PER_USER_BYTES" in response.json()["detail"]
    assert Clip.objects.filter(alert__camera__user=bob_camera.user).count() == 2


def test_purge_alerts_deletes_their_clips(alice_camera, tmp_path, media_root) -> None:
    clip = _event_with_clip(alice_camera, "old", make_mp4(tmp_path / "c.mp4"), status="closed")
    Alert.objects.update(occurred_at=timezone.now() - timedelta(days=90))
    call_command("purge_alerts", "--days", "30")
    assert Clip.objects.count() == 0
    assert not (media_root / clip.file.name).exists()


def heartbeat(client, camera_id, **body):
    return client.post(
        f"/api/cameras/{camera_id}/heartbeat/", {"stream_state": "up", "fps": 5} | body, format="json"
    )


def test_a_heartbeat_closes_the_open_events_its_worker_does_not_have_once_past_the_margin(
    camera_client, alice_camera, open_event, settings
) -> None:
    settings.CAMERA_ONLINE_SECONDS = 45
    before = closes()
    # Left out (a worker from before events), listed, or too recent: nothing is closed.
    assert heartbeat(camera_client, alice_camera.pk).status_code == 204
    assert heartbeat(camera_client, alice_camera.pk, open_events=[]).status_code == 204
    assert Alert.objects.get(idempotency_key="ev-1").status == "open"  # received just now: within the margin
    Alert.objects.filter(idempotency_key="ev-1").update(created_at=timezone.now() - timedelta(seconds=60))
    assert heartbeat(camera_client, alice_camera.pk, open_events=["ev-1"]).status_code == 204
    assert Alert.objects.get(idempotency_key="ev-1").status == "open"  # its worker still has it
    assert heartbeat(camera_client, alice_camera.pk, open_events=["another"]).status_code == 204
    alert = Alert.objects.get(idempotency_key="ev-1")
    assert alert.status == "closed" and alert.ended_at == T0 + timedelta(seconds=5)  # last seen
    assert alert.revision == 1 and closes() == before + 1
    # The worker's own close (say, from its spool after a restart) still applies, and closes nothing twice.
    late = update(camera_client, alice_camera.pk, status="closed", ended_at=at(7))
    assert late.status_code == 200
    alert.refresh_from_db()
    assert alert.ended_at == T0 + timedelta(seconds=7) and closes() == before + 1


def test_a_heartbeat_closes_no_event_of_another_camera(
    camera_client, alice_camera, bob_camera, open_event
) -> None:
    Alert.objects.filter(idempotency_key="ev-1").update(created_at=timezone.now() - timedelta(days=1))
    services.events_close_orphans(camera=bob_camera, open_keys=[])
    assert Alert.objects.get(idempotency_key="ev-1").status == "open"
    too_many = heartbeat(camera_client, alice_camera.pk, open_events=[f"k{i}" for i in range(101)])
    assert too_many.status_code == 400 and Alert.objects.get(idempotency_key="ev-1").status == "open"


def test_deactivating_a_camera_closes_its_open_events_at_their_last_sighting(
    alice_client, alice_camera, open_event
) -> None:
    before = closes()
    assert alice_client.post(f"/api/cameras/{alice_camera.pk}/deactivate/").status_code == 200
    alert = Alert.objects.get(idempotency_key="ev-1")
    assert alert.status == "closed" and alert.ended_at == T0 + timedelta(seconds=5)
    assert closes() == before + 1


STORED_BAD_TIMES = [
    {**OBJECT, "track_id": 2, "last_seen": at(9).removesuffix("Z")},  # naive, beside aware ones
    {**OBJECT, "track_id": 3, "last_seen": "0001-01-01T00:00:00+05:00"},  # overflows in UTC
    {**OBJECT, "track_id": 4, "last_seen": "2024-02-30T10:00:00Z"},  # no such day
    {**OBJECT, "track_id": 5, "last_seen": "9999-12-31T00:00:00Z"},  # after now
    "not an object",
]


@pytest.mark.parametrize("closer", ["heartbeat", "deactivation"])
def test_stored_bad_object_times_do_not_break_heartbeats_or_deactivation(
    camera_client, alice_client, alice_camera, open_event, closer
) -> None:
    """Issue 20, Medium 4: objects saved before every time was checked made these answer 500 (a
    deactivation left the camera inactive with its event open for ever)."""
    Alert.objects.filter(idempotency_key="ev-1").update(
        seen_objects=[OBJECT, *STORED_BAD_TIMES], created_at=timezone.now() - timedelta(days=1)
    )
    if closer == "heartbeat":
        assert heartbeat(camera_client, alice_camera.pk, open_events=[]).status_code == 204
    else:
        assert alice_client.post(f"/api/cameras/{alice_camera.pk}/deactivate/").status_code == 200
    alert = Alert.objects.get(idempotency_key="ev-1")
    assert alert.status == "closed" and alert.ended_at == T0 + timedelta(seconds=5)  # the one good sighting
