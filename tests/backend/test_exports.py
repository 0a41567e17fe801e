"""Exports over the real API, database and job (issue 24): real H.264 MP4 segments stored through the
recordings service, remuxed by the export job into one MP4 that PyAV decodes; tenancy; the retention pass
deleting segments while an export is made; refused input; the per-user limits; the audit log line."""

from __future__ import annotations

import logging
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import av
import numpy as np
import pytest
from django.core.management import call_command
from recordings import services as recording_services

from backend.images import files_under
from exports import jobs
from exports.models import Export, ExportStatus
from support.clips import make_mp4
from support.clock import recent

SEGMENT_SECONDS = 10


def iso(moment: datetime) -> str:
    """The API's spelling of a time, with its fraction of a second (support.clock's drops it)."""
    return moment.isoformat().replace("+00:00", "Z")


SEGMENTS = 14  # 140 s: a 2-minute range with room on both sides


@pytest.fixture(scope="module")
def segment_files(tmp_path_factory) -> list[Path]:
    """Real 10 s H.264 MP4s, a keyframe each second (made once: the module's tests share them)."""
    folder = tmp_path_factory.mktemp("segments")
    return [make_mp4(folder / f"{i}.mp4", seconds=SEGMENT_SECONDS, seed=i) for i in range(SEGMENTS)]


@pytest.fixture
def t0() -> datetime:
    return recent(minutes=30)


@pytest.fixture
def recorded(alice_camera, segment_files, t0, tmp_path, media_root):
    """The segments stored as the worker's uploads are (the recordings service checks each MP4)."""
    for index, source in enumerate(segment_files):
        upload = tmp_path / f"upload-{index}.mp4"
        shutil.copyfile(source, upload)
        start = t0 + timedelta(seconds=index * SEGMENT_SECONDS)
        recording_services.segment_store(
            camera=alice_camera,
            start=start,
            end=start + timedelta(seconds=SEGMENT_SECONDS),
            kind="continuous",
            upload=upload,
        )
    return alice_camera


def ask(client, camera_id: int, start: datetime, end: datetime, name: str = "Driveway, Tuesday"):
    body = {"camera": camera_id, "start": iso(start), "end": iso(end), "name": name}
    return client.post("/api/exports/", body, format="json")


def download(client, export_id: int, target: Path) -> Path:
    response = client.get(f"/api/exports/{export_id}/download/")
    assert response.status_code == 200, response.content
    target.write_bytes(b"".join(response.streaming_content))
    return target


def frame_at(path: Path, seconds: float) -> np.ndarray:
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if frame.time is not None and frame.time >= seconds - 1e-6:
                return frame.to_ndarray(format="rgb24")
    raise AssertionError(f"no frame at {seconds} s in {path}")


def test_a_two_minute_export_decodes_fully_from_the_keyframe_at_or_before_its_start(
    alice_client, recorded, segment_files, t0, tmp_path, caplog, media_root
) -> None:
    start = t0 + timedelta(seconds=3.5)  # mid-GOP: keyframes are on whole seconds
    caplog.set_level(logging.INFO, logger="exports.audit")
    answer = ask(alice_client, recorded.pk, start, start + timedelta(minutes=2))
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["status"] == "pending" and body["progress"] == 0 and body["url"] is None
    assert any(f"export {body['id']} created by user" in line and "alice" in line for line in caplog.messages)

    call_command("run_exports", "--once")

    done = alice_client.get(f"/api/exports/{body['id']}/").json()
    assert done["status"] == "done" and done["progress"] == 1 and done["error"] == ""
    assert done["url"].endswith(f"/api/exports/{body['id']}/download/")
    exported = download(alice_client, body["id"], tmp_path / "export.mp4")
    assert exported.stat().st_size == done["size"]
    assert files_under(media_root / jobs.SCRATCH_FOLDER) == []  # stored by a rename, nothing left
    with av.open(str(exported)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        duration = float(container.duration / av.time_base)
    assert abs(duration - 120) <= 1.0, duration
    assert frames[0].key_frame and frames[0].time == 0
    assert len(frames) == stream.frames == 1205  # 120.5 s at 10 fps: every packet decodes
    # The first frame is segment 0's keyframe at 3.0 s (the one at or before the start), not a later one.
    assert np.array_equal(frames[0].to_ndarray(format="rgb24"), frame_at(segment_files[0], 3.0))
    # And the last is the frame before the end: segment 12 at 3.4 s (the range ends at 123.5 s).
    assert np.array_equal(frames[-1].to_ndarray(format="rgb24"), frame_at(segment_files[12], 3.4))


def test_an_export_is_its_owners_alone(alice_client, bob_client, recorded, t0, bob_camera) -> None:
    created = ask(alice_client, recorded.pk, t0, t0 + timedelta(seconds=30)).json()
    jobs.run_once()
    for method, path in [
        ("get", f"/api/exports/{created['id']}/"),
        ("get", f"/api/exports/{created['id']}/download/"),
        ("delete", f"/api/exports/{created['id']}/"),
    ]:
        assert getattr(bob_client, method)(path).status_code == 404, (method, path)
    assert bob_client.get("/api/exports/").json()["results"] == []
    # Nor may bob export alice's camera (told as an unknown camera: its existence is not his to learn).
    refused = ask(bob_client, recorded.pk, t0, t0 + timedelta(seconds=30))
    assert refused.status_code == 400 and "no camera with id" in str(refused.json())
    assert [item["id"] for item in alice_client.get("/api/exports/").json()["results"]] == [created["id"]]
    assert Export.objects.get(pk=created["id"]).status == ExportStatus.DONE


def _retention_during_export(monkeypatch, *, at_piece: int, now: datetime) -> None:
    """Runs the real retention pass (with ``now`` set) when the job opens segment ``at_piece``."""
    opened = []
    real_open = jobs._open

    def open_then_purge(piece):
        opened.append(piece)
        if len(opened) == at_piece + 1:
            recording_services.recordings_purge(now=now)
        return real_open(piece)

    monkeypatch.setattr(jobs, "_open", open_then_purge)


def test_an_export_whose_segments_retention_deletes_fails_with_the_reason_and_stores_nothing(
    alice_client, recorded, t0, media_root, monkeypatch
) -> None:
    created = ask(alice_client, recorded.pk, t0, t0 + timedelta(minutes=2)).json()
    # A year on: every segment is past retention, deleted as the job reaches the fourth.
    _retention_during_export(monkeypatch, at_piece=3, now=t0 + timedelta(days=365))
    assert jobs.run_once()
    failed = alice_client.get(f"/api/exports/{created['id']}/").json()
    assert failed["status"] == "failed" and failed["url"] is None
    assert "was deleted (retention) while the export ran" in failed["error"]
    assert files_under(media_root / "exports") == [] and files_under(media_root / jobs.SCRATCH_FOLDER) == []
    assert alice_client.get(f"/api/exports/{created['id']}/download/").status_code == 409


def test_an_export_whose_copied_segments_retention_deletes_completes_whole(
    alice_client, recorded, t0, tmp_path, monkeypatch
) -> None:
    created = ask(alice_client, recorded.pk, t0, t0 + timedelta(minutes=2)).json()
    camera_days = recorded.retain_continuous_days
    # Retention takes the segments that end before segment 5 does, as the job opens segment 6.
    now = t0 + timedelta(seconds=6 * SEGMENT_SECONDS, days=camera_days)
    _retention_during_export(monkeypatch, at_piece=6, now=now)
    assert jobs.run_once()
    done = alice_client.get(f"/api/exports/{created['id']}/").json()
    assert done["status"] == "done", done
    with av.open(str(download(alice_client, created["id"], tmp_path / "e.mp4"))) as container:
        assert sum(1 for _ in container.decode(video=0)) == 1200
    assert recorded.recording_segments.count() < SEGMENTS  # retention did delete meanwhile


def test_exports_do_not_count_against_recording_retention_or_caps(
    alice_client, recorded, t0, media_root, settings
) -> None:
    created = ask(alice_client, recorded.pk, t0, t0 + timedelta(seconds=20)).json()
    jobs.run_once()
    settings.RECORDING_STORAGE_PER_USER_BYTES = 1
    recording_services.recordings_purge(now=t0 + timedelta(days=3650))
    assert recorded.recording_segments.count() == 0
    kept = Export.objects.get(pk=created["id"])
    assert kept.status == ExportStatus.DONE and (media_root / kept.file.name).exists()


def test_deleting_an_export_removes_its_file(alice_client, recorded, t0, media_root) -> None:
    created = ask(alice_client, recorded.pk, t0, t0 + timedelta(seconds=20)).json()
    jobs.run_once()
    assert len(files_under(media_root / "exports")) == 1
    assert alice_client.delete(f"/api/exports/{created['id']}/").status_code == 204
    assert files_under(media_root / "exports") == [] and not Export.objects.exists()
    assert alice_client.get(f"/api/exports/{created['id']}/").status_code == 404


def test_an_export_deleted_while_it_is_made_stores_nothing(
    alice, alice_client, recorded, t0, media_root, monkeypatch
) -> None:
    from exports import services

    created = ask(alice_client, recorded.pk, t0, t0 + timedelta(seconds=60)).json()
    real_open = jobs._open

    def delete_then_open(piece):
        if Export.objects.filter(pk=created["id"]).exists():
            services.export_delete(user=alice, export_id=created["id"])
        return real_open(piece)

    monkeypatch.setattr(jobs, "_open", delete_then_open)
    export = jobs.claim_next()
    assert export is not None and jobs.run(export) == "deleted"
    assert files_under(media_root / "exports") == []


def test_a_range_without_recordings_fails_with_the_reason(alice_client, alice_camera, t0, media_root) -> None:
    created = ask(alice_client, alice_camera.pk, t0, t0 + timedelta(seconds=60)).json()
    jobs.run_once()
    failed = alice_client.get(f"/api/exports/{created['id']}/").json()
    assert failed["status"] == "failed" and failed["error"] == "There are no recordings in this range."


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"end": "start-1"}, "end", "after start"),
        ({"end": "start+0"}, "end", "after start"),
        ({"end": "start+61"}, "end", "EXPORT_MAX_SECONDS=60"),
        ({"end": "future"}, "end", "in the future"),
        ({"camera": 10**9}, "camera", "no camera with id"),
        ({"camera": "x"}, "camera", "valid integer"),
        ({"camera": 2**70}, "camera", "less than or equal"),
        ({"name": "n" * 101}, "name", "no more than 100"),
        ({"name": ""}, "name", "blank"),
        ({"name": "a\r\nSet-Cookie: x"}, "name", "control characters"),
        ({"start": "2026-12-01T10:00:00"}, "start", "time zone"),
        ({"start": "yesterday"}, "start", "time zone"),
        ({"start": None}, "start", "null"),
    ],
    ids=lambda value: str(value)[:30],
)
def test_bad_input_is_refused_with_a_clear_message(
    alice_client, alice_camera, t0, settings, change, field, words
) -> None:
    settings.EXPORT_MAX_SECONDS = 60
    body = {"camera": alice_camera.pk, "start": iso(t0), "end": iso(t0 + timedelta(seconds=30)), "name": "n"}
    for key, value in change.items():
        if isinstance(value, str) and value.startswith("start"):
            value = iso(t0 + timedelta(seconds=int(value[5:])))
        elif value == "future":  # a range from 20 s ago to 20 s ahead
            body["start"], value = iso(recent(seconds=20)), iso(recent(seconds=-20))
        body[key] = value
    response = alice_client.post("/api/exports/", body, format="json")
    assert response.status_code == 400, response.content
    assert words in str(response.json()[field]), response.json()
    assert not Export.objects.exists()


def test_a_body_that_is_not_json_or_too_large_is_refused(alice_client, alice_camera) -> None:
    assert alice_client.post("/api/exports/", "{", content_type="application/json").status_code == 400
    huge = b'{"name": "' + b"x" * (8 * 1024 * 1024) + b'"}'
    assert alice_client.post("/api/exports/", huge, content_type="application/json").status_code == 413


def test_a_user_with_exports_in_progress_waits_for_one(alice_client, alice_camera, t0, settings) -> None:
    settings.EXPORT_ACTIVE_PER_USER = 2
    for _ in range(2):
        assert ask(alice_client, alice_camera.pk, t0, t0 + timedelta(seconds=30)).status_code == 201
    third = ask(alice_client, alice_camera.pk, t0, t0 + timedelta(seconds=30))
    assert third.status_code == 429 and "EXPORT_ACTIVE_PER_USER" in third.json()["detail"]
    assert third.headers.get("Retry-After") == "30", third.headers
    jobs.run_once()  # one finishes (failed: nothing recorded), so one more may be asked for
    assert ask(alice_client, alice_camera.pk, t0, t0 + timedelta(seconds=30)).status_code == 201


def test_a_user_keeps_at_most_the_setting_many_exports(alice_client, alice_camera, t0, settings) -> None:
    settings.EXPORT_KEPT_PER_USER = 1
    assert ask(alice_client, alice_camera.pk, t0, t0 + timedelta(seconds=30)).status_code == 201
    second = ask(alice_client, alice_camera.pk, t0, t0 + timedelta(seconds=30))
    assert second.status_code == 400 and "EXPORT_KEPT_PER_USER" in str(second.json())


def test_the_download_is_an_attachment_with_a_safe_name_and_ranges(alice_client, recorded, t0) -> None:
    created = ask(alice_client, recorded.pk, t0, t0 + timedelta(seconds=20), name='gate "x"; ../é').json()
    jobs.run_once()
    response = alice_client.get(f"/api/exports/{created['id']}/download/", HTTP_RANGE="bytes=0-99")
    assert response.status_code == 206 and len(b"".join(response.streaming_content)) == 100
    assert response["Content-Disposition"] == 'attachment; filename="gate _x_ .._.mp4"'


def test_one_job_claims_an_export_and_a_dead_jobs_export_is_taken_up_again(
    alice_client, alice_camera, t0, settings
) -> None:
    from django.utils import timezone

    created = ask(alice_client, alice_camera.pk, t0, t0 + timedelta(seconds=30)).json()
    first = jobs.claim_next()
    assert first is not None and first.pk == created["id"] and first.status == ExportStatus.RUNNING
    assert jobs.claim_next() is None  # running, with a fresh heartbeat: not another job's
    later = timezone.now() + timedelta(seconds=settings.EXPORT_STALE_SECONDS + 1)
    again = jobs.claim_next(now=later)
    assert again is not None and again.pk == created["id"]
    assert jobs.claim_next(now=later) is None


def test_an_export_from_and_to_the_s3_store_decodes_and_a_deleted_segment_fails_it(
    alice_client, alice_camera, segment_files, t0, tmp_path, settings, use_s3, s3_store, monkeypatch
) -> None:
    """The same job against the real S3 gateway (SeaweedFS): segments read from the bucket, the export
    stored there and streamed back (proxy mode); a segment retention deleted before the job reached it
    fails the export with the reason, and nothing is left under exports/ in the bucket."""
    settings.MEDIA_SERVE_MODE = "proxy"
    for index, source in enumerate(segment_files[:4]):
        upload = tmp_path / f"s3-upload-{index}.mp4"
        shutil.copyfile(source, upload)
        start = t0 + timedelta(seconds=index * SEGMENT_SECONDS)
        recording_services.segment_store(
            camera=alice_camera, start=start, end=start + timedelta(seconds=SEGMENT_SECONDS),
            kind="continuous", upload=upload,
        )  # fmt: skip
    created = ask(
        alice_client, alice_camera.pk, t0 + timedelta(seconds=2.5), t0 + timedelta(seconds=32.5)
    ).json()
    assert jobs.run_once()
    done = alice_client.get(f"/api/exports/{created['id']}/").json()
    assert done["status"] == "done", done
    with av.open(str(download(alice_client, created["id"], tmp_path / "s3.mp4"))) as container:
        frames = list(container.decode(video=0))
    assert len(frames) == 305 and frames[0].key_frame  # 30 s from the keyframe at 2.0 s

    failing = ask(alice_client, alice_camera.pk, t0, t0 + timedelta(seconds=40)).json()
    _retention_during_export(monkeypatch, at_piece=2, now=t0 + timedelta(days=3650))
    assert jobs.run_once()
    failed = alice_client.get(f"/api/exports/{failing['id']}/").json()
    assert failed["status"] == "failed" and "deleted (retention)" in failed["error"]
    listed = s3_store.client().list_objects_v2(Bucket="cctv-test", Prefix=f"{use_s3}/exports/")
    names = [entry["Key"] for entry in listed.get("Contents", ())]
    assert names == [f"{use_s3}/{Export.objects.get(pk=created['id']).file.name}"]


def test_the_job_loop_beats_and_clears_scratch_a_killed_job_left(db, media_root, settings) -> None:
    import os
    import threading
    import time

    folder = media_root / jobs.SCRATCH_FOLDER
    folder.mkdir(parents=True)
    dead, live = folder / "export-1-dead.mp4", folder / "export-2-live.mp4"
    dead.write_bytes(b"partial")
    live.write_bytes(b"in the making")
    # Both times set from this process's clock: under the suite's faked clock (libfaketime, a year on) the
    # file system still stamps real time, which would make the fresh file look a year old.
    now = time.time()
    old = now - settings.EXPORT_STALE_SECONDS - 5
    os.utime(dead, (old, old))
    os.utime(live, (now, now))
    stop, beats = threading.Event(), []

    def beat() -> None:
        beats.append(time.monotonic())
        stop.set()

    jobs.run_forever(stop, beat=beat)
    assert len(beats) == 1 and not dead.exists() and live.exists()


def ask_many(client, camera_ids: list, start: datetime, end: datetime, name: str = "Yard, night"):
    body = {"cameras": camera_ids, "start": iso(start), "end": iso(end), "name": name}
    return client.post("/api/exports/", body, format="json")


def test_several_cameras_make_one_export_each_that_decodes(
    alice, alice_client, recorded, make_camera, segment_files, t0, tmp_path, caplog, media_root
) -> None:
    second = make_camera(alice, "Back gate", "rtsp://10.0.0.9/s")
    for index, source in enumerate(segment_files[:4]):
        upload = tmp_path / f"second-{index}.mp4"
        shutil.copyfile(source, upload)
        start = t0 + timedelta(seconds=index * SEGMENT_SECONDS)
        recording_services.segment_store(
            camera=second, start=start, end=start + timedelta(seconds=SEGMENT_SECONDS), kind="continuous",
            upload=upload,
        )  # fmt: skip
    caplog.set_level(logging.INFO, logger="exports.audit")
    answer = ask_many(alice_client, [second.pk, recorded.pk], t0, t0 + timedelta(seconds=30))
    assert answer.status_code == 201, answer.content
    made = answer.json()["exports"]
    assert [item["camera"] for item in made] == [second.pk, recorded.pk]
    assert [item["name"] for item in made] == ["Yard, night - Back gate", "Yard, night - Front door"]
    assert {item["status"] for item in made} == {"pending"}
    assert sum(line.startswith("export ") and "created by user" in line for line in caplog.messages) == 2
    jobs.run_once()
    jobs.run_once()
    for item in made:
        done = alice_client.get(f"/api/exports/{item['id']}/").json()
        assert done["status"] == "done", done
        with av.open(str(download(alice_client, item["id"], tmp_path / f"{item['id']}.mp4"))) as container:
            assert abs(float(container.duration / av.time_base) - 30) <= 1.0
    # The single form still answers one export, not a list.
    single = ask(alice_client, recorded.pk, t0, t0 + timedelta(seconds=20)).json()
    assert single["camera"] == recorded.pk and "exports" not in single


def test_several_cameras_with_one_not_the_users_make_nothing(
    alice_client, bob_client, alice_camera, bob_camera, t0
) -> None:
    refused = ask_many(alice_client, [alice_camera.pk, bob_camera.pk], t0, t0 + timedelta(seconds=30))
    assert refused.status_code == 400
    assert f"no camera with id {bob_camera.pk}" in str(refused.json()["cameras"])
    unknown = ask_many(bob_client, [bob_camera.pk, 10**9], t0, t0 + timedelta(seconds=30))
    assert unknown.status_code == 400 and "no camera with id 1000000000" in str(unknown.json()["cameras"])
    assert not Export.objects.exists()


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"cameras": []}, "cameras", "at least 1"),
        ({"cameras": "1"}, "cameras", "list"),
        ({"cameras": ["x"]}, "cameras", "valid integer"),
        ({"cameras": [0]}, "cameras", "greater than or equal"),
        ({"cameras": list(range(1, 102))}, "cameras", "no more than 100"),
        ({"cameras": "dup"}, "cameras", "each camera once"),
        ({"cameras": "both"}, "camera", "not both"),
        ({"cameras": "neither"}, "camera", "not both"),
        ({"cameras": "five"}, "cameras", "EXPORT_ACTIVE_PER_USER=4"),
    ],
    ids=lambda value: str(value)[:20],
)
def test_bad_camera_lists_are_refused_and_make_nothing(
    alice, alice_client, alice_camera, make_camera, t0, settings, body, field, words
) -> None:
    settings.EXPORT_ACTIVE_PER_USER = 4
    request = {"start": iso(t0), "end": iso(t0 + timedelta(seconds=30)), "name": "n", **body}
    if body["cameras"] == "dup":
        request["cameras"] = [alice_camera.pk, alice_camera.pk]
    elif body["cameras"] == "both":
        request.update(camera=alice_camera.pk, cameras=[alice_camera.pk])
    elif body["cameras"] == "neither":
        del request["cameras"]
    elif body["cameras"] == "five":
        request["cameras"] = [make_camera(alice, f"c{i}", f"rtsp://10.0.1.{i}/s").pk for i in range(5)]
    response = alice_client.post("/api/exports/", request, format="json")
    assert response.status_code == 400, response.content
    assert words in str(response.json()[field]), response.json()
    assert not Export.objects.exists()


def test_several_cameras_count_against_the_limits_together(
    alice, alice_client, alice_camera, make_camera, t0, settings
) -> None:
    settings.EXPORT_ACTIVE_PER_USER = 3
    other = make_camera(alice, "Other", "rtsp://10.0.0.10/s")
    assert ask(alice_client, alice_camera.pk, t0, t0 + timedelta(seconds=30)).status_code == 201
    assert (
        ask_many(alice_client, [alice_camera.pk, other.pk], t0, t0 + timedelta(seconds=30)).status_code == 201
    )
    over = ask_many(alice_client, [alice_camera.pk, other.pk], t0, t0 + timedelta(seconds=30))
    assert over.status_code == 429 and Export.objects.count() == 3
    settings.EXPORT_ACTIVE_PER_USER, settings.EXPORT_KEPT_PER_USER = 10, 4
    kept = ask_many(alice_client, [alice_camera.pk, other.pk], t0, t0 + timedelta(seconds=30))
    assert kept.status_code == 400 and "EXPORT_KEPT_PER_USER" in str(kept.json())
    assert Export.objects.count() == 3
