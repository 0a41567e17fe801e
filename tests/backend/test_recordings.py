"""Recordings over the real API and database (issue 23): segment uploads (idempotent by camera + start,
bounded before any demuxer, refused with a clear error and nothing stored), the recordings query with
its gaps and their causes, serving with ranges to whoever may see the camera only, usage from the rows,
the retention pass and the per-owner caps (objects removed from the store, another owner untouched)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from recordings import services
from recordings.models import RecordingSegment, StreamOutage

from backend.images import files_under
from support.clips import make_mp4
from support.mp4_bombs import build
from surveillance.cameras import services as camera_services
from surveillance.models import Alert

# Whole milliseconds (a segment's key in its URL), an hour ago: inside every accepted window.
T0 = (timezone.now() - timedelta(hours=1)).replace(microsecond=0)


def ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def put_segment(
    client,
    camera_id: int,
    path: Path,
    *,
    start: datetime = T0,
    seconds: float = 2.0,
    kind: str = "continuous",
    **headers,
):
    return client.generic(
        "PUT",
        f"/api/cameras/{camera_id}/recordings/segments/{ms(start)}/",
        path.read_bytes(),
        content_type="video/mp4",
        **{
            "HTTP_X_SEGMENT_ENDED_AT": iso(start + timedelta(seconds=seconds)),
            "HTTP_X_SEGMENT_KIND": kind,
            **headers,
        },
    )


@pytest.fixture
def clip(tmp_path) -> Path:
    return make_mp4(tmp_path / "segment.mp4", seconds=2)


def _segment(
    camera,
    start: datetime,
    *,
    seconds: float = 10.0,
    size: int = 1000,
    kind: str = "continuous",
    media_root: Path | None = None,
) -> RecordingSegment:
    """A row and a stored object, as an upload leaves them (without the MP4 check: the retention and query
    tests need thousands of them)."""
    from django.core.files.base import ContentFile

    segment = RecordingSegment(
        camera=camera,
        start=start,
        end=start + timedelta(seconds=seconds),
        duration=seconds,
        size=size,
        kind=kind,
    )
    segment.file.save(f"{ms(start)}-{kind}.mp4", ContentFile(b"x" * size), save=False)
    segment.save()
    return segment


# --- upload ------------------------------------------------------------------------------------------


def test_a_segment_is_stored_once_however_often_it_is_sent(
    camera_client, alice_camera, clip, media_root
) -> None:
    first = put_segment(camera_client, alice_camera.pk, clip)
    assert first.status_code == 201, first.content
    body = first.json()
    assert (
        body["size"] == clip.stat().st_size
        and 1.5 <= body["duration"] <= 2.5
        and body["kind"] == "continuous"
    )
    again = put_segment(camera_client, alice_camera.pk, clip)
    assert again.status_code == 200, again.content
    assert RecordingSegment.objects.count() == 1 and len(files_under(media_root / "recordings")) == 1
    other = put_segment(camera_client, alice_camera.pk, make_mp4(clip.with_name("o.mp4"), seconds=3, seed=4))
    assert other.status_code == 422 and "already has a segment" in other.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [b"not a video at all" * 100, b"\x00\x00\x00\x18ftypisom" + b"\x00" * 5000],
    ids=["text", "ftyp-then-garbage"],
)
def test_what_is_not_an_mp4_video_is_refused_and_nothing_is_stored(
    camera_client, alice_camera, tmp_path, media_root, body
) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(body)
    response = put_segment(camera_client, alice_camera.pk, bad)
    assert response.status_code == 400, response.content
    assert RecordingSegment.objects.count() == 0 and files_under(media_root) == []


def test_a_segment_declaring_huge_tables_is_refused_before_any_demuxer(
    camera_client, alice_camera, clip, tmp_path, media_root
) -> None:
    bomb = build("stsz-table", clip, tmp_path / "bomb.mp4")
    response = put_segment(camera_client, alice_camera.pk, bomb)
    assert response.status_code == 400 and "well-formed" in str(response.json())
    assert RecordingSegment.objects.count() == 0


def test_a_segment_over_the_size_limit_is_refused_with_its_setting(
    camera_client, alice_camera, clip, settings, media_root
) -> None:
    settings.RECORDING_SEGMENT_MAX_BYTES = 1000
    response = put_segment(camera_client, alice_camera.pk, clip)
    assert response.status_code == 413
    assert "RECORDING_SEGMENT_MAX_BYTES" in response.json()["detail"]
    assert RecordingSegment.objects.count() == 0


def test_a_large_segment_without_the_cameras_token_gets_the_small_body_limit(
    anonymous_client, bob_client, alice_camera, tmp_path
) -> None:
    big = tmp_path / "big.mp4"
    big.write_bytes(b"\x00" * (8 * 1024 * 1024))
    for client in (anonymous_client, bob_client):
        response = put_segment(client, alice_camera.pk, big)
        assert response.status_code == 413, response.content
        assert "ingest token" in response.json()["detail"]


@pytest.mark.parametrize(
    ("headers", "field"),
    [
        ({"HTTP_X_SEGMENT_KIND": "always"}, "X-Segment-Kind"),
        ({"HTTP_X_SEGMENT_ENDED_AT": "yesterday"}, "X-Segment-Ended-At"),
        ({"HTTP_X_SEGMENT_ENDED_AT": "2026-01-01T00:00:00"}, "X-Segment-Ended-At"),  # no time zone
        ({"HTTP_X_SEGMENT_ENDED_AT": iso(T0 - timedelta(seconds=1))}, "X-Segment-Ended-At"),
        ({"HTTP_X_SEGMENT_ENDED_AT": iso(T0 + timedelta(hours=2))}, "X-Segment-Ended-At"),
    ],
    ids=["kind", "end-not-a-time", "end-without-zone", "end-before-start", "too-long"],
)
def test_a_segment_with_a_bad_head_is_refused_naming_the_header(
    camera_client, alice_camera, clip, headers, field, media_root
) -> None:
    response = put_segment(camera_client, alice_camera.pk, clip, **headers)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert RecordingSegment.objects.count() == 0


def test_a_segment_older_than_the_cameras_retention_or_in_the_future_is_refused(
    camera_client, alice_camera, clip, media_root
) -> None:
    old = put_segment(camera_client, alice_camera.pk, clip, start=T0 - timedelta(days=40))
    assert old.status_code == 400 and "retention" in str(old.json())
    future = put_segment(camera_client, alice_camera.pk, clip, start=T0 + timedelta(days=1))
    assert future.status_code == 400 and "future" in str(future.json())


def test_an_ingest_token_uploads_only_to_its_own_camera(
    camera_client, alice_camera, alice, make_camera, clip, media_root
) -> None:
    other = make_camera(alice, name="Back door")
    response = put_segment(camera_client, other.pk, clip)
    assert response.status_code == 403
    assert put_segment(camera_client, alice_camera.pk, clip, start=T0).status_code == 201


# --- the recordings query ------------------------------------------------------------------------------


def test_the_recordings_query_lists_segments_and_the_gaps_with_their_causes(
    alice_client, alice_camera, media_root
) -> None:
    alice_camera.record_mode = "continuous"
    alice_camera.save()
    for index in range(6):  # 0..60 s
        _segment(alice_camera, T0 + timedelta(seconds=10 * index))
    for index in range(3):  # 90..120 s: a hole of 30 s, of which 20 s the stream was reported down
        _segment(alice_camera, T0 + timedelta(seconds=90 + 10 * index))
    StreamOutage.objects.create(
        camera=alice_camera, started_at=T0 + timedelta(seconds=70), ended_at=T0 + timedelta(seconds=90)
    )
    response = alice_client.get(
        f"/api/cameras/{alice_camera.pk}/recordings/",
        {"start": iso(T0 - timedelta(seconds=5)), "end": iso(T0 + timedelta(seconds=120))},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert len(body["segments"]) == 9
    first = body["segments"][0]
    assert set(first) == {"start", "end", "duration", "size", "url"}
    assert first["url"].endswith(f"/api/cameras/{alice_camera.pk}/recordings/segments/{ms(T0)}/")
    assert [(gap["cause"]) for gap in body["gaps"]] == ["unknown", "unknown", "stream_down"]
    assert body["gaps"][1]["start"].startswith(iso(T0 + timedelta(seconds=60))[:19])


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin"])
def test_the_recordings_json_is_what_the_documented_serializer_would_answer(
    alice_client, alice, alice_camera, media_root, settings, zone
) -> None:
    # For speed (a camera-day is 8,640 segments) the JSON is written by PostgreSQL in UTC, else built from
    # plain rows; either must stay exactly RecordingsOutputSerializer's output, URLs as reverse() names
    # them, microseconds and time zones included.
    from django.urls import reverse
    from recordings import selectors
    from recordings.serializers import RecordingsOutputSerializer

    settings.TIME_ZONE = zone
    alice_camera.record_mode = "continuous"
    alice_camera.save()
    for start in (T0 + timedelta(seconds=1.5), T0 + timedelta(seconds=10.007), T0 + timedelta(seconds=40)):
        _segment(alice_camera, start, seconds=9.5)
    window = {"start": iso(T0), "end": iso(T0 + timedelta(minutes=2))}
    response = alice_client.get(f"/api/cameras/{alice_camera.pk}/recordings/", window)
    assert response.status_code == 200, response.content
    found = selectors.camera_recordings(
        user=alice, camera_id=alice_camera.pk, start=T0, end=T0 + timedelta(minutes=2), now=timezone.now()
    )
    expected = RecordingsOutputSerializer(
        {
            "segments": [
                {
                    "start": row.start,
                    "end": row.end,
                    "duration": row.duration,
                    "size": row.size,
                    "url": "http://testserver"
                    + reverse("recording-segment", kwargs={"pk": alice_camera.pk, "start_ms": ms(row.start)}),
                }
                for row in found.segments
            ],
            "gaps": [{"start": gap.start, "end": gap.end, "cause": gap.cause} for gap in found.gaps],
        }
    ).data
    assert response.json() == expected
    assert len(expected["segments"]) == 3
    ending = {"UTC": {"0Z"}, "Europe/Berlin": {"+01:00", "+02:00"}}[zone]
    assert expected["segments"][0]["start"][-6:] in ending or expected["segments"][0]["start"][-2:] in ending
    assert [gap["cause"] for gap in expected["gaps"]] == ["unknown", "unknown", "unknown"]


def test_overlapping_and_nearly_touching_segments_make_one_covered_run(
    alice_client, alice_camera, media_root
) -> None:
    # The covered runs behind the gaps (one statement with the segments' JSON on PostgreSQL, a loop over
    # the rows elsewhere): a segment inside a longer one, and one starting half a second after the
    # latest end (under the 1 s tolerance), close no run; the first hole is measured from that latest
    # end, not from the segment just before it.
    alice_camera.record_mode = "continuous"
    alice_camera.save()
    _segment(alice_camera, T0, seconds=60)
    _segment(alice_camera, T0 + timedelta(seconds=10), seconds=10)
    _segment(alice_camera, T0 + timedelta(seconds=60.5), seconds=9.5)
    _segment(alice_camera, T0 + timedelta(seconds=100), seconds=10)
    listing = f"/api/cameras/{alice_camera.pk}/recordings/"
    window = {"start": iso(T0 - timedelta(seconds=5)), "end": iso(T0 + timedelta(seconds=120))}
    body = alice_client.get(listing, window).json()
    assert [segment["start"] for segment in body["segments"]] == [
        iso(T0 + timedelta(seconds=offset)) for offset in (0, 10, 60.5, 100)
    ]
    assert [(gap["start"], gap["end"], gap["cause"]) for gap in body["gaps"]] == [
        (iso(T0 - timedelta(seconds=5)), iso(T0), "unknown"),
        (iso(T0 + timedelta(seconds=70)), iso(T0 + timedelta(seconds=100)), "unknown"),
        (iso(T0 + timedelta(seconds=110)), iso(T0 + timedelta(seconds=120)), "unknown"),
    ]
    empty = {"start": iso(T0 + timedelta(seconds=111)), "end": iso(T0 + timedelta(seconds=115))}
    body = alice_client.get(listing, empty).json()
    assert body == {
        "segments": [],
        "gaps": [{"start": empty["start"], "end": empty["end"], "cause": "unknown"}],
    }


def test_the_retention_pass_deletes_in_several_statements_only_what_is_past_retention(
    alice_camera, bob_camera, media_root, monkeypatch
) -> None:
    # Several DELETE … RETURNING statements on PostgreSQL (the portable path's batches on SQLite): every
    # expired segment goes with its object, nothing newer and nothing of a camera still within its days.
    monkeypatch.setattr(services, "DELETE_ROWS_PER_STATEMENT", 3)
    now = timezone.now()
    alice_camera.retain_continuous_days = alice_camera.retain_events_days = 1
    alice_camera.save()
    bob_camera.retain_continuous_days = bob_camera.retain_events_days = 7
    bob_camera.save()
    old = now - timedelta(days=2)
    for index in range(8):
        _segment(alice_camera, old + timedelta(seconds=10 * index))
    kept = [_segment(alice_camera, now - timedelta(hours=2) + timedelta(seconds=10 * i)) for i in range(2)]
    bobs = [_segment(bob_camera, old + timedelta(seconds=10 * i)) for i in range(4)]
    result = services.recordings_purge(now=now)
    assert (result.retention, result.bytes) == (8, 8000)
    assert set(RecordingSegment.objects.values_list("pk", flat=True)) == {s.pk for s in kept + bobs}
    stored = {str(path.relative_to(media_root)) for path in files_under(media_root / "recordings")}
    assert stored == {s.file.name for s in kept + bobs}


def test_gaps_in_motion_mode_are_not_recorded_by_design(alice_client, alice_camera, media_root) -> None:
    alice_camera.record_mode = "motion"
    alice_camera.save()
    _segment(alice_camera, T0, kind="motion")
    body = alice_client.get(
        f"/api/cameras/{alice_camera.pk}/recordings/",
        {"start": iso(T0), "end": iso(T0 + timedelta(minutes=5))},
    ).json()
    assert [gap["cause"] for gap in body["gaps"]] == ["not_recorded"]


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"start": "yesterday", "end": "today"},
        {"start": "2026-01-01T00:00:00", "end": "2026-01-01T01:00:00"},  # no time zone
        {"start": "2026-01-01T01:00:00Z", "end": "2026-01-01T00:00:00Z"},
        {"start": "2026-01-01T00:00:00Z", "end": "2026-01-03T00:00:00Z"},  # over a day
    ],
    ids=["missing", "not-times", "no-zone", "reversed", "too-long"],
)
def test_a_bad_recordings_window_is_a_400_naming_the_field(alice_client, alice_camera, query) -> None:
    response = alice_client.get(f"/api/cameras/{alice_camera.pk}/recordings/", query)
    assert response.status_code == 400, response.content
    assert {"start", "end"} & set(response.json())


def test_another_users_recordings_and_segments_are_404_and_anonymous_is_401(
    alice_client, bob_client, anonymous_client, camera_client, alice_camera, clip, media_root
) -> None:
    assert put_segment(camera_client, alice_camera.pk, clip).status_code == 201
    window = {"start": iso(T0 - timedelta(minutes=1)), "end": iso(T0 + timedelta(minutes=1))}
    listing = f"/api/cameras/{alice_camera.pk}/recordings/"
    url = alice_client.get(listing, window).json()["segments"][0]["url"].removeprefix("http://testserver")
    whole = alice_client.get(url)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    assert b"".join(whole.streaming_content) == clip.read_bytes()
    part = alice_client.get(url, HTTP_RANGE="bytes=10-99")
    assert part.status_code == 206 and b"".join(part.streaming_content) == clip.read_bytes()[10:100]
    assert bob_client.get(listing, window).status_code == 404
    assert bob_client.get(url).status_code == 404
    assert anonymous_client.get(url).status_code == 401
    assert anonymous_client.get(listing, window).status_code == 401
    # The camera's ingest token uploads; it does not watch.
    assert camera_client.get(url).status_code in (401, 403)


def test_heartbeats_record_the_outages_that_explain_gaps(alice_camera) -> None:
    t = T0
    for state, seconds in (("up", 0), ("down", 10), ("down", 25), ("up", 40), ("up", 55)):
        camera_services.camera_record_heartbeat(
            camera=alice_camera, stream_state=state, fps=10, now=t + timedelta(seconds=seconds)
        )
    outages = list(StreamOutage.objects.values_list("started_at", "ended_at"))
    assert outages == [(t + timedelta(seconds=10), t + timedelta(seconds=40))]


# --- usage, retention, caps ----------------------------------------------------------------------------


def test_usage_per_camera_and_owner_comes_from_the_rows(
    alice_client, alice_camera, bob_camera, make_camera, alice, media_root
) -> None:
    second = make_camera(alice, name="Yard")
    for index in range(3):
        _segment(alice_camera, T0 + timedelta(seconds=10 * index), size=100)
    _segment(second, T0, size=50)
    _segment(bob_camera, T0, size=7000)
    usage = alice_client.get("/api/recordings/usage/").json()
    assert (usage["segments"], usage["bytes"]) == (4, 350)
    by_camera = {item["camera_id"]: item for item in usage["cameras"]}
    assert by_camera[alice_camera.pk]["bytes"] == 300 and by_camera[second.pk]["segments"] == 1
    assert bob_camera.pk not in by_camera


def test_the_retention_pass_deletes_old_segments_and_their_objects_but_keeps_footage_of_events(
    alice_camera, media_root
) -> None:
    now = timezone.now()
    alice_camera.retain_continuous_days, alice_camera.retain_events_days = 2, 10
    alice_camera.save()
    old = now - timedelta(days=3)
    _segment(alice_camera, old)  # past 2 days, no event: deleted
    kept_for_event = _segment(alice_camera, old + timedelta(hours=1))
    Alert.objects.create(
        camera=alice_camera,
        alert_type="person",
        confidence=0.9,
        started_at=old + timedelta(hours=1, seconds=3),
        ended_at=old + timedelta(hours=1, seconds=8),
        occurred_at=old,
    )
    _segment(alice_camera, now - timedelta(days=11))  # past even the events' days
    recent = _segment(alice_camera, now - timedelta(hours=1))
    assert len(files_under(media_root / "recordings")) == 4
    out = call_command("purge_recordings")
    assert out is None
    assert sorted(RecordingSegment.objects.values_list("pk", flat=True)) == sorted(
        [kept_for_event.pk, recent.pk]
    )
    assert len(files_under(media_root / "recordings")) == 2


def test_a_tenant_over_quota_loses_only_their_oldest_footage_and_the_other_tenant_none(
    alice_camera, bob_camera, media_root, settings
) -> None:
    settings.RECORDING_STORAGE_PER_USER_BYTES = 5000
    settings.RECORDING_DELETE_BATCH = 3  # several batches
    alice = [_segment(alice_camera, T0 + timedelta(seconds=10 * i), size=1000) for i in range(8)]
    bob = [
        _segment(bob_camera, T0 - timedelta(hours=1) + timedelta(seconds=10 * i), size=1000) for i in range(4)
    ]
    bob_files = {segment.file.name for segment in bob}
    deleted, freed = services.recordings_enforce_caps()
    assert (deleted, freed) == (3, 3000)
    left = list(RecordingSegment.objects.filter(camera=alice_camera).order_by("start"))
    assert [segment.pk for segment in left] == [segment.pk for segment in alice[3:]]
    assert RecordingSegment.objects.filter(camera=bob_camera).count() == 4  # older, but not over its cap
    stored = {str(path.relative_to(media_root)) for path in files_under(media_root / "recordings")}
    assert bob_files <= stored and len(stored) == 9
    assert not any(segment.file.name in stored for segment in alice[:3])


def test_past_the_overall_cap_only_owners_over_their_share_lose_footage(
    alice_camera, bob_camera, media_root, settings
) -> None:
    settings.RECORDING_STORAGE_TOTAL_BYTES = 6000  # a share of 3000 each
    for i in range(6):
        _segment(alice_camera, T0 + timedelta(seconds=10 * i), size=1000)
    for i in range(2):
        _segment(bob_camera, T0 - timedelta(days=1) + timedelta(seconds=10 * i), size=1000)
    assert services.recordings_enforce_caps() == (2, 2000)
    assert RecordingSegment.objects.filter(camera=bob_camera).count() == 2
    assert RecordingSegment.objects.filter(camera=alice_camera).count() == 4


def test_the_filesystem_stores_batch_delete_takes_each_folder_once(media_root) -> None:
    # Names grouped by folder (one open each, unlinks relative to it): files in two folders go, names in
    # a folder that is gone are not left behind, a file that is a folder's name is.
    from surveillance import media_store

    names = []
    for day in ("05", "06"):
        folder = media_root / "recordings" / "7" / "2026" / "12" / day
        folder.mkdir(parents=True)
        for index in range(3):
            (folder / f"{index}.mp4").write_bytes(b"x")
            names.append(f"recordings/7/2026/12/{day}/{index}.mp4")
    (media_root / "recordings" / "7" / "2026" / "12" / "06" / "kept.mp4").write_bytes(b"x")
    (media_root / "top.mp4").write_bytes(b"x")
    names += ["recordings/7/2026/11/30/0.mp4", "recordings/7/2026/12/05/", "top.mp4"]
    left = media_store.delete_many(names)
    assert left == 1  # the folder's name
    assert [path.name for path in files_under(media_root)] == ["kept.mp4"]


def test_deleting_a_camera_deletes_its_segments_objects(
    alice_client, alice_camera, media_root, django_capture_on_commit_callbacks
) -> None:
    _segment(alice_camera, T0)
    with django_capture_on_commit_callbacks(execute=True):
        assert alice_client.delete(f"/api/cameras/{alice_camera.pk}/").status_code == 204
    assert files_under(media_root / "recordings") == []


def test_the_filesystem_stores_batch_delete_unlinks_only_names_inside_the_store(media_root, tmp_path) -> None:
    # delete_many's direct unlink (the retention pass's millions of names): a row's plain relative name
    # goes; a name that climbs out of the store is left to the storage's own checks, never unlinked; a
    # folder and a missing file are not errors of the pass (the folder is reported as left behind).
    from surveillance import media_store

    inside = media_root / "recordings" / "1" / "a.mp4"
    inside.parent.mkdir(parents=True)
    inside.write_bytes(b"x")
    outside = tmp_path / "outside.mp4"
    outside.write_bytes(b"x")
    (media_root / "recordings" / "folder").mkdir()
    left = media_store.delete_many(
        ["recordings/1/a.mp4", "recordings/1/missing.mp4", "../outside.mp4", "recordings/folder"]
    )
    assert not inside.exists()
    assert outside.exists()
    assert left == 2  # the name outside the store and the folder
