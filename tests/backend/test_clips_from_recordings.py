"""Event clips the recording segments hold (issue 23), over the real API and database: the worker sends
the clip's span instead of its bytes (idempotent, bounded, validated); the backend serves the segments'
packets remuxed into one playable MP4 with range requests, only to whoever may see the alert; nothing
is stored twice; the retention pass keeps the segments of a clip's span (pre- and post-roll included)
as long as the event's footage, and a clip whose segments are gone answers 404."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import av
import pytest
from recordings import services as recording_services
from recordings.models import RecordingSegment

from backend.images import files_under
from backend.test_recordings import T0, _segment, iso, ms, put_segment
from support.clips import make_mp4
from surveillance.events import services
from surveillance.models import Alert, Clip

SEGMENT = 4.0  # seconds per test segment; make_mp4 puts a keyframe every second (10 frames at 10 fps)


@pytest.fixture
def recorded(camera_client, alice_camera, tmp_path, media_root) -> list[Path]:
    """Three touching segments from T0, uploaded as the worker does (checked and stored)."""
    paths = []
    for index in range(3):
        path = make_mp4(tmp_path / f"s{index}.mp4", seconds=SEGMENT, seed=index)
        start = T0 + timedelta(seconds=SEGMENT * index)
        response = put_segment(camera_client, alice_camera.pk, path, start=start, seconds=SEGMENT)
        assert response.status_code == 201, response.content
        paths.append(path)
    return paths


@pytest.fixture
def event(camera_client, alert_payload) -> str:
    body = alert_payload(
        idempotency_key="ev1",
        status="closed",
        started_at=iso(T0 + timedelta(seconds=4)),
        ended_at=iso(T0 + timedelta(seconds=7)),
    )
    response = camera_client.post("/api/send-alert/", body, format="json")
    assert response.status_code == 201, response.content
    return "ev1"


def put_span(client, camera_id: int, key: str, *, start: float, end: float, segment: int = 0, **extra):
    body = {
        "recordings": {"start": iso(T0 + timedelta(seconds=start)), "end": iso(T0 + timedelta(seconds=end))},
        "duration": end - start,
        "size": 1000,
        **extra,
    }
    return client.put(f"/api/cameras/{camera_id}/events/{key}/clips/{segment}/", body, format="json")


def _content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_a_span_of_the_recordings_is_served_as_one_playable_clip_with_ranges_and_nothing_stored_twice(
    alice_client, camera_client, alice_camera, recorded, event, media_root, tmp_path
) -> None:
    stored_before = files_under(media_root)
    # The clip's first packet is the keyframe at 2 s; its last the first at or after 9.5 s: two boundaries.
    response = put_span(camera_client, alice_camera.pk, event, start=2.0, end=9.5)
    assert response.status_code == 201, response.content
    assert "/media/clips/recordings/" in response.json()["url"]
    assert put_span(camera_client, alice_camera.pk, event, start=2.0, end=9.5).status_code == 200  # a retry
    other = put_span(camera_client, alice_camera.pk, event, start=3.0, end=9.5)
    assert other.status_code == 422  # another span for a stored segment
    assert files_under(media_root) == stored_before  # no object: the segments hold the bytes
    assert Clip.objects.get().file.name.startswith("clips/recordings/")

    alert = alice_client.get("/api/alerts/").json()["results"][0]
    url = alert["clip"]["url"].removeprefix("http://testserver")
    whole = alice_client.get(url)
    assert whole.status_code == 200 and whole["Content-Type"] == "video/mp4", whole
    body = _content(whole)
    (tmp_path / "clip.mp4").write_bytes(body)
    with av.open(str(tmp_path / "clip.mp4")) as clip:
        duration = float(clip.duration or 0) / av.time_base
        frames = list(clip.decode(clip.streams.video[0]))
        assert clip.streams.video[0].codec_context.name == "h264"  # the segments' packets, not re-encoded
    assert frames[0].key_frame
    assert abs(duration - 7.6) <= 0.15, duration  # 2.0 s to the frame at 9.5 s, which lasts 0.1 s
    assert len(frames) == 76
    head = body[:4096]
    assert b"moov" in head and head.index(b"moov") < body.index(b"mdat")  # the index first
    part = alice_client.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and _content(part) == body[100:200]
    assert part["Content-Range"] == f"bytes 100-199/{len(body)}"
    # The API shows the served file's figures once it was built.
    shown = alice_client.get("/api/alerts/").json()["results"][0]["clip"]
    assert shown["size"] == len(body) and abs(shown["duration"] - duration) < 0.01
    assert files_under(media_root / "clips") == []


def test_only_who_may_see_the_alert_gets_a_clip_from_the_recordings(
    alice_client, bob_client, anonymous_client, camera_client, alice_camera, recorded, event
) -> None:
    url = put_span(camera_client, alice_camera.pk, event, start=0.0, end=5.0).json()["url"]
    url = url.removeprefix("http://testserver")
    assert anonymous_client.get(url).status_code == 401
    assert bob_client.get(url).status_code == 404
    assert alice_client.get(url).status_code == 200
    # A stored clip's name under the recordings' prefix is not found there either.
    assert alice_client.get("/media/clips/recordings/1/2020/01/01/999-0.mp4").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"recordings": {"start": "yesterday", "end": "today"}, "duration": 1, "size": 1}, "recordings"),
        (
            {"recordings": {"start": "2026-01-01T00:00:10", "end": "2026-01-01T00:00:20"}, "size": 1},
            "recordings",
        ),
        ({"duration": 1, "size": 1}, "recordings"),
        ({"recordings": {"start": "X", "end": "Y"}, "duration": -1, "size": 1}, "duration"),
    ],
    ids=["not-times", "no-zone", "missing", "negative"],
)
def test_a_bad_span_is_a_400_naming_the_field_and_stores_nothing(
    camera_client, alice_camera, event, body, field
) -> None:
    response = camera_client.put(
        f"/api/cameras/{alice_camera.pk}/events/{event}/clips/0/", body, format="json"
    )
    assert response.status_code == 400 and field in response.json(), response.content
    assert not Clip.objects.exists()


def test_a_reversed_or_too_long_span_is_refused(camera_client, alice_camera, event, settings) -> None:
    assert put_span(camera_client, alice_camera.pk, event, start=5.0, end=2.0).status_code == 400
    settings.CLIP_MAX_SECONDS = 10
    assert put_span(camera_client, alice_camera.pk, event, start=0.0, end=30.0).status_code == 400
    assert put_span(camera_client, alice_camera.pk, "nope", start=0.0, end=3.0).status_code == 404
    assert not Clip.objects.exists()


def test_a_clip_whose_segments_are_gone_answers_404(
    alice_client, camera_client, alice_camera, recorded, event
) -> None:
    url = put_span(camera_client, alice_camera.pk, event, start=0.0, end=5.0).json()["url"]
    RecordingSegment.objects.all().delete()
    assert alice_client.get(url.removeprefix("http://testserver")).status_code == 404


def test_retention_keeps_the_segments_of_a_clips_span_as_long_as_the_events_footage(
    alice_camera, media_root
) -> None:
    """Continuous footage lives 1 day here, an event's 30: a clip's pre-roll lies in a segment the event
    itself does not overlap, which is kept all the same; footage of nobody's clip goes."""
    now = T0
    alice_camera.retain_continuous_days, alice_camera.retain_events_days = 1, 30
    alice_camera.save()
    old = now - timedelta(days=3)
    segments = [_segment(alice_camera, old + timedelta(seconds=10 * index)) for index in range(5)]
    alert = Alert.objects.create(
        camera=alice_camera,
        alert_type="intrusion",
        confidence=0.9,
        idempotency_key="old",
        occurred_at=old + timedelta(seconds=22),
        started_at=old + timedelta(seconds=22),
        ended_at=old + timedelta(seconds=28),
    )
    # Pre-roll from 8 s (the first segment's end), post-roll to 31 s (the fourth segment).
    services.clip_store_reference(
        camera=alice_camera,
        key=alert.idempotency_key,
        segment=0,
        start=old + timedelta(seconds=8),
        end=old + timedelta(seconds=31),
        duration=23.0,
        size=1,
    )
    result = recording_services.recordings_purge(now=now)
    kept = set(RecordingSegment.objects.values_list("pk", flat=True))
    assert kept == {segments[0].pk, segments[1].pk, segments[2].pk, segments[3].pk}
    assert result.retention == 1
    # Once the alert goes (its own retention), so does the clip, and its footage follows the camera's days.
    alert.delete()
    recording_services.recordings_purge(now=now)
    assert not RecordingSegment.objects.exists()


def test_clips_from_the_recordings_do_not_count_against_the_clip_storage_cap(
    camera_client, alice_camera, recorded, event, settings
) -> None:
    put_span(camera_client, alice_camera.pk, event, start=0.0, end=5.0, size=10**9)
    assert services.clips_enforce_storage_cap(max_bytes=1000) == 0
    assert Clip.objects.count() == 1


def test_where_the_worker_names_the_segments_and_offsets_they_decide_the_cut_not_the_wall_times(
    alice_client, camera_client, alice_camera, recorded, event, tmp_path
) -> None:
    """A connection's first segment may hold a burst of stream (more stream time than wall time): the
    wall times then point at the wrong pictures, the places the worker saw do not."""
    first = {"segment": ms(T0), "offset": 1.0}  # the keyframe 1 s into the first segment
    last = {"segment": ms(T0 + timedelta(seconds=SEGMENT)), "offset": 2.0}  # 2 s into the second
    body = {
        "recordings": {
            "start": iso(T0 + timedelta(seconds=3)),  # wall times 2 s and 3 s off
            "end": iso(T0 + timedelta(seconds=9)),
            "first": first,
            "last": last,
        },
        "duration": 5.1,
        "size": 1,
    }
    url = f"/api/cameras/{alice_camera.pk}/events/{event}/clips/0/"
    assert camera_client.put(url, body, format="json").status_code == 201
    served = alice_client.get(Clip.objects.get().file.url)
    (tmp_path / "cut.mp4").write_bytes(_content(served))
    with av.open(str(tmp_path / "cut.mp4")) as clip:
        duration = float(clip.duration or 0) / av.time_base
        frames = list(clip.decode(clip.streams.video[0]))
    assert abs(duration - 5.1) <= 0.15 and len(frames) == 51, (duration, len(frames))  # 1.0 s to 6.0 s
