"""Management commands: purge_alerts, create_demo, create_operator_token."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token

from backend.images import files_under, jpeg_base64
from surveillance.events import services
from surveillance.models import Alert, Camera

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_purge_alerts_uses_the_retention_setting_and_deletes_files(alice_camera, media_root, settings):
    settings.ALERT_RETENTION_DAYS = 10
    now = timezone.now()
    for days in (11, 9):
        services.alert_ingest(
            camera=alice_camera, alert_type="person", confidence=0.5, image_base64=jpeg_base64(),
            occurred_at=now - timedelta(days=days),
        )  # fmt: skip
    assert "Deleted 1 alert(s) older than 10 day(s)" in run("purge_alerts")
    assert Alert.objects.count() == 1 and len(files_under(media_root)) == 1
    assert "Deleted 1 alert(s)" in run("purge_alerts", "--days", "0")
    assert files_under(media_root) == []


def test_purge_alerts_refuses_negative_days(db):
    with pytest.raises(CommandError, match="--days"):
        run("purge_alerts", "--days", "-1")


def test_create_demo_prints_working_credentials_and_is_idempotent(client):
    first = json.loads(run("create_demo", "--json"))
    assert client.login(username="demo", password=first["password"])
    second = json.loads(run("create_demo", "--json"))
    assert second["token"] == first["token"] and second["password"] is None
    assert client.login(username="demo", password=first["password"])  # unchanged
    assert get_user_model().objects.filter(username="demo").count() == 1
    assert Token.objects.get(user__username="demo").key == first["token"]


def test_create_demo_can_set_a_password_and_add_a_camera(client):
    text = run("create_demo", "--password", "pw-for-the-demo", "--camera", "rtsp://127.0.0.1:8554/demo")
    assert "password: pw-for-the-demo" in text
    run("create_demo", "--camera", "rtsp://127.0.0.1:8554/demo2")
    camera = Camera.objects.get()
    assert (camera.rtsp_url, camera.is_active) == ("rtsp://127.0.0.1:8554/demo2", True)


def test_create_demo_takes_a_password_starting_with_a_dash_from_the_environment(client, monkeypatch):
    # Issue 19: one random password in 32 starts with '-'; as an argument argparse took it for an option.
    monkeypatch.setenv("DEMO_PW", "-1Yabc")
    run("create_demo", "--password-env", "DEMO_PW")
    assert client.login(username="demo", password="-1Yabc")
    monkeypatch.setenv("DEMO_PW", "")
    with pytest.raises(CommandError, match="DEMO_PW"):
        run("create_demo", "--password-env", "DEMO_PW")


def test_create_demo_superuser_can_use_the_admin_and_the_demo_user_cannot(client, monkeypatch):
    monkeypatch.setenv("ADMIN_PW", "admin-pw-1")
    run("create_demo", "--username", "admin", "--superuser", "--password-env", "ADMIN_PW")
    run("create_demo", "--password", "demo-pw-1")
    assert client.login(username="demo", password="demo-pw-1")
    assert client.get("/admin/").status_code == 302  # to the admin's login: not staff
    assert client.login(username="admin", password="admin-pw-1")
    assert client.get("/admin/").status_code == 200


def test_create_operator_token_prints_a_token_that_reads_active_cameras(alice_camera):
    token = run("create_operator_token").strip()
    from backend.conftest import client_for

    response = client_for(token).get("/api/active-cameras/")
    assert [camera["id"] for camera in response.json()] == [alice_camera.pk]
    assert run("create_operator_token").strip() == token
    assert run("create_operator_token", "--rotate").strip() != token
