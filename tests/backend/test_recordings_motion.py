"""The timeline's motion band over the real API and database (issue 24): the runs of a camera's
motion-mode segments in a window, merged where they touch; continuous segments are not motion; the
recordings list's rules for who may ask and which windows."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from recordings import services as recording_services

from support.clips import make_mp4
from support.clock import recent


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_mp4(tmp_path_factory.mktemp("motion") / "s.mp4", seconds=2)


def store(camera, clip: Path, tmp_path: Path, start: datetime, kind: str) -> None:
    upload = tmp_path / f"{start.timestamp()}.mp4"
    shutil.copyfile(clip, upload)
    recording_services.segment_store(
        camera=camera, start=start, end=start + timedelta(seconds=2), kind=kind, upload=upload
    )


def motion(client, camera_id: int, start: datetime, end: datetime):
    return client.get(f"/api/cameras/{camera_id}/recordings/motion/", {"start": iso(start), "end": iso(end)})


def test_touching_motion_segments_are_one_run_and_continuous_ones_none(
    alice_client, alice_camera, clip, tmp_path, media_root
) -> None:
    t0 = recent(minutes=30)
    for offset, kind in [(0, "motion"), (2, "motion"), (4, "motion"), (20, "motion"), (40, "continuous")]:
        store(alice_camera, clip, tmp_path, t0 + timedelta(seconds=offset), kind)
    answer = motion(alice_client, alice_camera.pk, t0 - timedelta(minutes=1), t0 + timedelta(minutes=1))
    assert answer.status_code == 200, answer.content
    runs = [
        (datetime.fromisoformat(r["start"]), datetime.fromisoformat(r["end"])) for r in answer.json()["runs"]
    ]
    assert runs == [(t0, t0 + timedelta(seconds=6)), (t0 + timedelta(seconds=20), t0 + timedelta(seconds=22))]
    # A window that cuts a segment still shows it (it overlaps), and one after them shows nothing.
    inside = motion(alice_client, alice_camera.pk, t0 + timedelta(seconds=21), t0 + timedelta(seconds=30))
    assert len(inside.json()["runs"]) == 1
    after = motion(alice_client, alice_camera.pk, t0 + timedelta(seconds=30), t0 + timedelta(minutes=1))
    assert after.json() == {"runs": []}


def test_only_the_owner_may_ask(bob_client, camera_client, anonymous_client, alice_camera) -> None:
    t0 = recent(minutes=30)
    assert motion(bob_client, alice_camera.pk, t0, t0 + timedelta(minutes=1)).status_code == 404
    assert motion(bob_client, 10**9, t0, t0 + timedelta(minutes=1)).status_code == 404
    assert motion(camera_client, alice_camera.pk, t0, t0 + timedelta(minutes=1)).status_code == 403
    assert motion(anonymous_client, alice_camera.pk, t0, t0 + timedelta(minutes=1)).status_code in {401, 403}


@pytest.mark.parametrize(
    "query",
    [{}, {"start": "x", "end": "y"}, {"start": "2026-12-01T10:00:00", "end": "2026-12-01T11:00:00"},
     "backwards", "too-long"],
    ids=["missing", "nonsense", "no-zone", "backwards", "too-long"],
)  # fmt: skip
def test_bad_windows_are_refused(alice_client, alice_camera, settings, query) -> None:
    t0 = recent(minutes=30)
    if query == "backwards":
        query = {"start": iso(t0), "end": iso(t0 - timedelta(seconds=1))}
    elif query == "too-long":
        query = {
            "start": iso(t0),
            "end": iso(t0 + timedelta(seconds=settings.RECORDINGS_QUERY_MAX_SECONDS + 1)),
        }
    answer = alice_client.get(f"/api/cameras/{alice_camera.pk}/recordings/motion/", query)
    assert answer.status_code == 400, answer.content
