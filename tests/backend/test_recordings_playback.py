"""HLS VOD playback of the recordings (issue 24) over the real API and database: the playlist parsed by
the ``m3u8`` package (an HLS parser), its segments fetched by the URLs it names and decoded by PyAV,
gaps as discontinuities, the recordings list's tenancy and window rules, the remux bound."""

from __future__ import annotations

import io
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin

import av
import m3u8
import pytest
from recordings import playback
from recordings import services as recording_services
from recordings.models import RecordingSegment

from support.clips import make_mp4
from support.clock import recent

SECONDS = 10


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="module")
def segment_files(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("hls-segments")
    return [make_mp4(folder / f"{i}.mp4", seconds=SECONDS, seed=i) for i in range(4)]


@pytest.fixture(autouse=True)
def _fresh_remux_state():
    playback._slots = None
    playback._recent.items.clear()
    yield
    playback._slots = None
    playback._recent.items.clear()


@pytest.fixture
def t0() -> datetime:
    return recent(minutes=20)


@pytest.fixture
def recorded(alice_camera, segment_files, t0, tmp_path, media_root):
    """Segments 0, 1, 2 back to back, then a 30 s gap, then segment 3."""
    starts = [0, 10, 20, 60]
    for index, (source, offset) in enumerate(zip(segment_files, starts, strict=True)):
        upload = tmp_path / f"upload-{index}.mp4"
        shutil.copyfile(source, upload)
        start = t0 + timedelta(seconds=offset)
        recording_services.segment_store(
            camera=alice_camera, start=start, end=start + timedelta(seconds=SECONDS), kind="continuous",
            upload=upload,
        )  # fmt: skip
    return alice_camera


def playlist_url(camera_id: int, start: datetime, end: datetime) -> str:
    return f"/api/cameras/{camera_id}/recordings/playlist.m3u8?start={iso(start)}&end={iso(end)}"


def test_the_playlist_parses_as_hls_vod_and_its_segments_play_in_pyav(alice_client, recorded, t0) -> None:
    url = playlist_url(recorded.pk, t0 - timedelta(seconds=5), t0 + timedelta(seconds=90))
    response = alice_client.get(url)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/vnd.apple.mpegurl"
    parsed = m3u8.loads(response.content.decode())
    assert parsed.is_endlist and parsed.playlist_type == "vod" and parsed.target_duration == 10
    assert len(parsed.segments) == 4
    assert [round(segment.duration, 1) for segment in parsed.segments] == [10.0] * 4
    assert [segment.program_date_time for segment in parsed.segments] == [
        t0 + timedelta(seconds=offset) for offset in (0, 10, 20, 60)
    ]
    # The gap between 30 s and 60 s is a discontinuity; the back-to-back segments are not.
    assert [segment.discontinuity for segment in parsed.segments] == [False, False, False, True]

    def fetch(relative: str) -> bytes:
        answer = alice_client.get(urljoin(url, relative))
        assert answer.status_code == 200, answer.content
        return answer.content

    first, second = parsed.segments[0], parsed.segments[1]
    assert first.init_section is not None
    init = fetch(first.init_section.uri)
    media = fetch(first.uri) + fetch(second.uri)
    assert init.find(b"moov") > 0 and media[4:8] == b"moof"
    with av.open(io.BytesIO(init + media)) as container:
        frames = list(container.decode(video=0))
    # Two segments, one timeline: 200 frames from the first segment's wall-clock start, no jump between.
    assert len(frames) == 200
    assert frames[0].key_frame and frames[0].time == pytest.approx(t0.timestamp(), abs=1e-3)
    assert frames[-1].time == pytest.approx(t0.timestamp() + 19.9, abs=1e-3)


def test_an_empty_window_is_a_playlist_without_segments(alice_client, recorded, t0) -> None:
    response = alice_client.get(
        playlist_url(recorded.pk, t0 + timedelta(seconds=31), t0 + timedelta(seconds=55))
    )
    parsed = m3u8.loads(response.content.decode())
    assert response.status_code == 200 and parsed.is_endlist and parsed.segments == []


def test_another_users_camera_and_segments_answer_404(bob_client, recorded, t0) -> None:
    start_ms = round(t0.timestamp() * 1000)
    for path in [
        playlist_url(recorded.pk, t0, t0 + timedelta(seconds=60)),
        f"/api/cameras/{recorded.pk}/recordings/segments/{start_ms}/hls/init.mp4",
        f"/api/cameras/{recorded.pk}/recordings/segments/{start_ms}/hls/media.m4s",
    ]:
        assert bob_client.get(path).status_code == 404, path


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "start"),
        ("start=garbage&end=garbage", "start"),
        ("start={t0}&end={t0}", "end"),
        ("start={t0}&end={day_later}", "end"),
        ("start=2026-12-01T10:00:00&end={t0}", "start"),
    ],
)
def test_a_bad_window_is_refused_with_the_field(alice_client, recorded, t0, query, field) -> None:
    filled = query.format(t0=iso(t0), day_later=iso(t0 + timedelta(days=1, seconds=1)))
    response = alice_client.get(f"/api/cameras/{recorded.pk}/recordings/playlist.m3u8?{filled}")
    assert response.status_code == 400 and field in response.json(), response.content


def test_a_segment_whose_file_is_gone_answers_404(alice_client, recorded, t0, media_root) -> None:
    segment = RecordingSegment.objects.get(camera=recorded, start=t0)
    (media_root / segment.file.name).unlink()
    start_ms = round(t0.timestamp() * 1000)
    response = alice_client.get(f"/api/cameras/{recorded.pk}/recordings/segments/{start_ms}/hls/media.m4s")
    assert response.status_code == 404


def test_remuxes_past_the_bound_answer_503_with_retry_after(alice_client, recorded, t0, settings) -> None:
    settings.PLAYBACK_REMUX_CONCURRENCY = 1
    slots = playback._remux_slots()
    assert slots.acquire(blocking=False)  # another request's remux in progress
    start_ms = round(t0.timestamp() * 1000)
    try:
        busy = alice_client.get(f"/api/cameras/{recorded.pk}/recordings/segments/{start_ms}/hls/init.mp4")
    finally:
        slots.release()
    assert busy.status_code == 503 and busy["Retry-After"] == "1"
    assert "PLAYBACK_REMUX_CONCURRENCY" in busy.json()["detail"]
    again = alice_client.get(f"/api/cameras/{recorded.pk}/recordings/segments/{start_ms}/hls/init.mp4")
    assert again.status_code == 200
