"""The S3 media store against a real one (SeaweedFS on loopback): credentials are checked, a store that is
down refuses uploads whole (503, no row without its object, the worker's retry succeeds later),
presigned URLs expire, and the reconcile and migrate commands do what they say."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.exceptions import ClientError
from django.core.management import CommandError, call_command

from backend.event_objects import at, seen_object
from support.clips import make_mp4
from support.net import free_port
from support.s3_store import BUCKET, point_media_at, s3_storage
from surveillance import media_store
from surveillance.models import Alert, Clip

pytestmark = pytest.mark.django_db


def _open_event(camera_client, alert_payload, key="ev-1"):
    body = alert_payload(alert_type="person", idempotency_key=key, status="open", started_at=at(0))
    body |= {"objects": [seen_object()], "revision": 1}
    return camera_client.post("/api/send-alert/", body, format="json")


def _upload_clip(camera_client, camera, path, key="ev-1"):
    return camera_client.generic(
        "PUT",
        f"/api/cameras/{camera.pk}/events/{key}/clips/0/",
        path.read_bytes(),
        content_type="video/mp4",
        HTTP_X_CLIP_STARTED_AT=at(-5),
    )


def _keys(s3_store, prefix: str) -> list[str]:
    answer = s3_store.client().list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}/")
    return [entry["Key"] for entry in answer.get("Contents", [])]


def test_the_store_refuses_a_wrong_secret(s3_store, s3_bucket):
    with pytest.raises(ClientError) as refused:
        s3_store.client(secret_key="not-the-secret").put_object(Bucket=s3_bucket, Key="x", Body=b"x")
    assert refused.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_a_backend_with_a_wrong_secret_refuses_the_upload_and_stores_nothing(
    settings, s3_store, s3_prefix, camera_client, alert_payload
):
    point_media_at(settings, s3_storage(s3_store, s3_prefix, secret_key="not-the-secret"))
    response = camera_client.post("/api/send-alert/", alert_payload(), format="json")
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert "media store is unavailable" in response.json()["detail"]
    assert Alert.objects.count() == 0 and _keys(s3_store, s3_prefix) == []


def test_a_store_that_is_down_refuses_snapshot_and_clip_whole_and_the_retry_succeeds(
    settings, s3_store, use_s3, camera_client, alert_payload, alice_camera, tmp_path
):
    assert _open_event(camera_client, alert_payload).status_code == 201  # the event, while the store is up
    s3_prefix = use_s3
    down = s3_storage(s3_store, s3_prefix, endpoint=f"http://127.0.0.1:{free_port()}")  # nobody listens
    point_media_at(settings, down)
    refused = camera_client.post("/api/send-alert/", alert_payload(idempotency_key="ev-2"), format="json")
    assert refused.status_code == 503 and refused["Retry-After"] == "30"
    clip = make_mp4(tmp_path / "c.mp4", seconds=2)
    assert _upload_clip(camera_client, alice_camera, clip).status_code == 503
    assert Alert.objects.count() == 1 and Clip.objects.count() == 0  # no row without its object

    point_media_at(settings, s3_storage(s3_store, s3_prefix))  # the store is back: the worker retries
    assert (
        camera_client.post(
            "/api/send-alert/", alert_payload(idempotency_key="ev-2"), format="json"
        ).status_code
        == 201
    )
    assert _upload_clip(camera_client, alice_camera, clip).status_code == 201
    stored = {
        f"{s3_prefix}/{name}"
        for name in [*Alert.objects.values_list("snapshot", flat=True), Clip.objects.get().file.name]
    }
    assert stored == set(_keys(s3_store, s3_prefix))


def test_serving_while_the_store_is_down_answers_503(
    settings, s3_store, s3_prefix, use_s3, alice_client, camera_client, alert_payload
):
    path = camera_client.post("/api/send-alert/", alert_payload(), format="json").json()["snapshot_url"]
    point_media_at(
        settings,
        s3_storage(s3_store, s3_prefix, endpoint=f"http://127.0.0.1:{free_port()}"),
        serve_mode="proxy",
    )
    response = alice_client.get(path.removeprefix("http://testserver"))
    assert response.status_code == 503 and response["Retry-After"] == "30"


def test_a_presigned_url_works_once_and_expires(settings, use_s3, alice_client, camera_client, alert_payload):
    path = camera_client.post("/api/send-alert/", alert_payload(), format="json").json()["snapshot_url"]
    path = path.removeprefix("http://testserver")
    default = alice_client.get(path)
    assert default.status_code == 302
    assert parse_qs(urlsplit(default["Location"]).query)["X-Amz-Expires"] == ["300"]
    with urllib.request.urlopen(default["Location"], timeout=10) as answer:
        assert answer.status == 200 and answer.headers["Content-Type"] == "image/jpeg"

    settings.MEDIA_URL_EXPIRY_SECONDS = 1
    short = alice_client.get(path)["Location"]
    assert parse_qs(urlsplit(short).query)["X-Amz-Expires"] == ["1"]
    deadline, status = time.monotonic() + 20, None
    while time.monotonic() < deadline:  # waits on the store's answer, not a fixed time
        try:
            urllib.request.urlopen(short, timeout=10).close()
        except urllib.error.HTTPError as error:
            status = error.code
            break
        time.sleep(0.25)
    assert status == 403


def test_a_presigned_url_for_another_key_is_refused(use_s3, alice_client, camera_client, alert_payload):
    path = camera_client.post("/api/send-alert/", alert_payload(), format="json").json()["snapshot_url"]
    location = alice_client.get(path.removeprefix("http://testserver"))["Location"]
    other = location.replace(".jpg?", ".png?", 1)  # the signature covers the key
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(other, timeout=10)
    assert refused.value.code == 403


def test_reconcile_reports_then_repairs_orphans_and_missing_files(
    use_s3, s3_store, camera_client, alert_payload, alice_camera, tmp_path, capsys
):
    assert _open_event(camera_client, alert_payload).status_code == 201
    assert (
        _upload_clip(camera_client, alice_camera, make_mp4(tmp_path / "c.mp4", seconds=2)).status_code == 201
    )
    s3_store.client().put_object(Bucket=BUCKET, Key=f"{use_s3}/snapshots/1/stray.jpg", Body=b"stray")
    clip = Clip.objects.get()
    s3_store.client().delete_object(Bucket=BUCKET, Key=f"{use_s3}/{clip.file.name}")

    with pytest.raises(CommandError, match="2 finding"):
        call_command("reconcile_media", "--grace-minutes=0")
    report = capsys.readouterr().out
    assert "orphan  snapshots/1/stray.jpg (5 bytes)" in report and f"missing {clip.file.name}" in report

    call_command("reconcile_media", "--grace-minutes=0", "--repair")
    assert Clip.objects.count() == 0 and Alert.objects.get().snapshot  # the alert and its snapshot stay
    assert f"{use_s3}/snapshots/1/stray.jpg" not in _keys(s3_store, use_s3)
    call_command("reconcile_media", "--grace-minutes=0")  # clean now: no error


def test_reconcile_leaves_young_objects_alone(use_s3, s3_store):
    s3_store.client().put_object(Bucket=BUCKET, Key=f"{use_s3}/clips/1/in-flight.mp4", Body=b"uploading")
    call_command("reconcile_media", "--repair")  # default grace: an hour
    assert f"{use_s3}/clips/1/in-flight.mp4" in _keys(s3_store, use_s3)


def test_reconcile_works_on_the_filesystem_store_too(media_root, camera_client, alert_payload):
    assert camera_client.post("/api/send-alert/", alert_payload(), format="json").status_code == 201
    media_store.store().delete(Alert.objects.get().snapshot.name)
    call_command("reconcile_media", "--grace-minutes=0", "--repair")
    assert Alert.objects.get().snapshot == "" and Alert.objects.get().snapshot_bytes == 0


def test_migrate_copies_filesystem_media_once_and_resumes(
    settings,
    media_root,
    s3_store,
    s3_prefix,
    camera_client,
    alert_payload,
    alice_camera,
    alice_client,
    tmp_path,
    capsys,
):
    for key in ("ev-1", "ev-2"):
        assert _open_event(camera_client, alert_payload, key=key).status_code == 201
    assert (
        _upload_clip(camera_client, alice_camera, make_mp4(tmp_path / "c.mp4", seconds=2)).status_code == 201
    )
    names = [*Alert.objects.values_list("snapshot", flat=True), Clip.objects.get().file.name]

    point_media_at(settings, s3_storage(s3_store, s3_prefix), serve_mode="proxy")
    call_command("migrate_media_to_store")
    assert "Copied 3 file(s)" in capsys.readouterr().out
    assert sorted(_keys(s3_store, s3_prefix)) == sorted(f"{s3_prefix}/{name}" for name in names)

    # An interrupted run: one object never arrived, one is short. The next run copies just those two.
    s3_store.client().delete_object(Bucket=BUCKET, Key=f"{s3_prefix}/{names[0]}")
    s3_store.client().put_object(Bucket=BUCKET, Key=f"{s3_prefix}/{names[2]}", Body=b"partial")
    call_command("migrate_media_to_store")
    out = capsys.readouterr().out
    assert "Copied 2 file(s)" in out and "1 were already in the store" in out
    served = alice_client.get("/media/" + names[2])
    assert b"".join(served.streaming_content) == (media_root / names[2]).read_bytes()


def test_migrate_refuses_without_an_object_store(media_root):
    with pytest.raises(CommandError, match="MEDIA_STORE=s3"):
        call_command("migrate_media_to_store")
