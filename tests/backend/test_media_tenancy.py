"""Snapshots and clips pass the same tenancy tests on every media store: the filesystem, a real S3 store
(SeaweedFS) with presigned redirects, and the same store proxied by the backend. Uploads come from the
camera's worker token; a browser's redirect is followed with a real HTTP GET to the store."""

from __future__ import annotations

import base64
import urllib.error
import urllib.request

import pytest
from django.contrib.auth import get_user_model

from backend.conftest import client_for
from backend.event_objects import at, seen_object
from backend.images import jpeg_base64
from support.clips import make_mp4
from surveillance.cameras import services
from surveillance.models import Alert, Clip

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_backend")]


def fetch(client, path: str, **headers: str) -> tuple[int, dict, bytes]:
    """GET a media path as a browser does: the backend's answer, and where it redirects, the store's."""
    meta = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    response = client.get(path, **meta)
    if response.status_code == 302:
        assert response["Cache-Control"] == "private, no-store"
        request = urllib.request.Request(response["Location"], headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, dict(response.headers), body


@pytest.fixture
def snapshot_path(camera_client, alert_payload) -> str:
    response = camera_client.post("/api/send-alert/", alert_payload(), format="json")
    assert response.status_code == 201, response.content
    return response.json()["snapshot_url"].removeprefix("http://testserver")


@pytest.fixture
def clip_bytes(camera_client, alert_payload, alice_camera, tmp_path) -> bytes:
    body = alert_payload(alert_type="person", idempotency_key="ev-1", status="open", started_at=at(0))
    body |= {"objects": [seen_object()], "revision": 1}
    assert camera_client.post("/api/send-alert/", body, format="json").status_code == 201
    clip = make_mp4(tmp_path / "c.mp4", seconds=2)
    answer = camera_client.generic(
        "PUT",
        f"/api/cameras/{alice_camera.pk}/events/ev-1/clips/0/",
        clip.read_bytes(),
        content_type="video/mp4",
        HTTP_X_CLIP_STARTED_AT=at(-5),
    )
    assert answer.status_code == 201, answer.content
    return clip.read_bytes()


@pytest.fixture
def clip_path(clip_bytes) -> str:
    return "/media/" + Clip.objects.get().file.name


def test_the_api_links_media_to_the_backend_never_to_the_store(alice_client, snapshot_path, clip_path):
    assert snapshot_path.startswith("/media/snapshots/")
    alerts = alice_client.get("/api/alerts/").json()["results"]
    assert [alert["clip"]["url"] for alert in alerts if alert["clip"]] == [f"http://testserver{clip_path}"]


def test_the_owner_gets_the_snapshot_bytes_the_camera_sent(alice_client, snapshot_path):
    status, headers, body = fetch(alice_client, snapshot_path)
    assert status == 200
    assert headers["Content-Type"] == "image/jpeg"
    assert body == base64.b64decode(jpeg_base64())
    assert Alert.objects.get().snapshot_bytes == len(body)


def test_the_owner_gets_it_with_the_dashboard_session(client, alice, snapshot_path):
    client.force_login(alice)
    assert fetch(client, snapshot_path)[0] == 200


def test_without_credentials_the_answer_is_401(client, snapshot_path, clip_path):
    for path in (snapshot_path, clip_path):
        response = client.get(path)
        assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"


def test_a_bad_token_and_a_camera_token_are_401(camera_client, snapshot_path, clip_path):
    for path in (snapshot_path, clip_path):
        assert client_for("0" * 40).get(path).status_code == 401
        assert camera_client.get(path).status_code == 401


def test_another_user_gets_404_as_for_the_alert(bob_client, snapshot_path, clip_path):
    for path in (snapshot_path, clip_path):
        response = bob_client.get(path)
        assert response.status_code == 404 and "Location" not in response


def test_staff_without_the_view_permission_get_404(client, snapshot_path):
    client.force_login(get_user_model().objects.create_user("auditor", is_staff=True))
    assert client.get(snapshot_path).status_code == 404


def test_clips_are_served_whole_and_by_byte_range(alice_client, clip_path, clip_bytes):
    status, headers, body = fetch(alice_client, clip_path)
    assert (status, headers["Content-Type"], body) == (200, "video/mp4", clip_bytes)
    status, headers, body = fetch(alice_client, clip_path, Range="bytes=100-199")
    assert status == 206 and body == clip_bytes[100:200]
    assert headers["Content-Range"] == f"bytes 100-199/{len(clip_bytes)}"
    status, _, body = fetch(alice_client, clip_path, Range="bytes=-10")
    assert status == 206 and body == clip_bytes[-10:]
    assert fetch(alice_client, clip_path, Range=f"bytes={len(clip_bytes) + 5}-")[0] == 416


def test_deleting_the_camera_deletes_its_media_from_the_store(
    alice_client, alice_camera, snapshot_path, clip_path
):
    names = [snapshot_path.removeprefix("/media/"), clip_path.removeprefix("/media/")]
    from surveillance import media_store

    assert all(media_store.store().exists(name) for name in names)
    services.camera_delete(camera=alice_camera)
    assert not any(media_store.store().exists(name) for name in names)
    assert fetch(alice_client, snapshot_path)[0] == 404
