"""Snapshot files are served only to whoever may see their alert."""

import base64

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from backend.conftest import client_for
from backend.images import jpeg_base64

pytestmark = pytest.mark.django_db


@pytest.fixture
def snapshot_path(alice_client, alert_payload) -> str:
    response = alice_client.post("/api/send-alert/", alert_payload(), format="json")
    assert response.status_code == 201, response.content
    url = response.json()["snapshot_url"]
    return url.removeprefix("http://testserver")


def test_the_owner_gets_the_very_bytes_sent_with_a_token(alice_client, snapshot_path):
    response = alice_client.get(snapshot_path)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "private" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == base64.b64decode(jpeg_base64())


def test_the_owner_gets_it_with_the_dashboard_session(client, alice, snapshot_path):
    client.force_login(alice)
    assert client.get(snapshot_path).status_code == 200


def test_without_credentials_the_answer_is_401(client, snapshot_path):
    response = client.get(snapshot_path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_bad_token_is_401(snapshot_path):
    assert client_for("0" * 40).get(snapshot_path).status_code == 401


def test_another_user_gets_404_as_for_the_alert(bob_client, snapshot_path):
    assert bob_client.get(snapshot_path).status_code == 404


def test_a_camera_ingest_token_cannot_read_snapshots(camera_client, snapshot_path):
    assert camera_client.get(snapshot_path).status_code == 401


def test_staff_with_the_admin_view_permission_see_every_snapshot(client, snapshot_path):
    staff = get_user_model().objects.create_user("auditor", is_staff=True)
    client.force_login(staff)
    assert client.get(snapshot_path).status_code == 404
    staff.user_permissions.add(Permission.objects.get(codename="view_alert"))
    staff = get_user_model().objects.get(pk=staff.pk)  # permissions are cached per user object
    client.force_login(staff)
    assert client.get(snapshot_path).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/media/snapshots/../../manage.py",
        "/media/snapshots/1/nothing.jpg",
        "/media/other/file.jpg",
        "/media/",
    ],
)
def test_paths_that_name_no_alert_snapshot_are_404(alice_client, snapshot_path, path):
    assert alice_client.get(path).status_code == 404
