"""The teams migrations (issue 25) from the schema before them, with data: every camera, alert, channel
and export lands in its owner's personal team, each user owns that team, and the seed's single-user API
answers as before. Runs on PostgreSQL and SQLite (marked ``database`` by support.database_marks)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from support.clock import recent

# The schema just before teams: the teams app unapplied, and with it what depends on it.
BEFORE = [
    ("surveillance", "0018_clip_from_recordings"),
    ("notifications", "0001_initial"),
    ("exports", "0001_initial"),
]


def _migrate_to_before_teams():
    executor = MigrationExecutor(connection)
    executor.migrate([("teams", None)])
    return executor.loader.project_state(BEFORE).apps


@pytest.fixture
def old_data(transactional_db):
    old = _migrate_to_before_teams()
    User = old.get_model("auth", "User")
    Camera = old.get_model("surveillance", "Camera")
    Alert = old.get_model("surveillance", "Alert")
    Channel = old.get_model("notifications", "Channel")
    Export = old.get_model("exports", "Export")
    rows: dict[str, dict] = {}
    for name in ("carol", "dave"):
        user = User.objects.create(username=name)
        cameras = [
            Camera.objects.create(user=user, name=f"{name} {i}", rtsp_url=f"rtsp://10.0.0.1/{name}{i}")
            for i in range(2)
        ]
        alerts = [
            Alert.objects.create(camera=camera, alert_type="person", confidence=0.9, description=name)
            for camera in cameras
        ]
        channel = Channel.objects.create(user=user, kind="email", name=f"{name} mail", addresses=["a@b.c"])
        moment = recent(hours=1)
        export = Export.objects.create(
            user=user, camera=cameras[0], name=f"{name} x", start=moment, end=moment
        )
        rows[name] = {
            "user": user.pk,
            "cameras": [camera.pk for camera in cameras],
            "alerts": [alert.pk for alert in alerts],
            "channel": channel.pk,
            "export": export.pk,
        }
    rows["erin"] = {"user": User.objects.create(username="erin").pk}  # owns nothing
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    return rows


def test_every_object_lands_in_its_owners_personal_team(old_data):
    from exports.models import Export
    from notifications.models import Channel
    from surveillance.models import Alert, Camera
    from teams.models import Membership, Team

    for name in ("carol", "dave"):
        rows = old_data[name]
        team = Team.objects.get(personal_of_id=rows["user"])
        assert set(Camera.objects.filter(team=team).values_list("pk", flat=True)) == set(rows["cameras"])
        assert set(Alert.objects.filter(camera__team=team).values_list("pk", flat=True)) == set(
            rows["alerts"]
        )
        assert list(Channel.objects.filter(team=team).values_list("pk", flat=True)) == [rows["channel"]]
        assert list(Export.objects.filter(team=team).values_list("pk", flat=True)) == [rows["export"]]
        assert list(team.memberships.values_list("user_id", "role")) == [(rows["user"], "owner")]
    erin = Team.objects.get(personal_of_id=old_data["erin"]["user"])
    assert list(erin.memberships.values_list("role", flat=True)) == ["owner"]
    # One team per user, one membership per user: nobody was put into another's team.
    assert Team.objects.count() == 3
    assert Membership.objects.count() == 3


def test_the_seed_api_answers_as_before_for_a_migrated_user(old_data):
    from django.contrib.auth.models import User
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    carol = User.objects.get(pk=old_data["carol"]["user"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=carol).key}")

    cameras = client.get("/api/cameras/")
    assert cameras.status_code == 200
    assert [row["id"] for row in cameras.json()["results"]] == old_data["carol"]["cameras"]
    alerts = client.get("/api/alerts/").json()["results"]
    assert sorted(row["id"] for row in alerts) == sorted(old_data["carol"]["alerts"])
    camera_id = old_data["carol"]["cameras"][0]
    assert client.patch(f"/api/cameras/{camera_id}/", {"name": "renamed"}, format="json").status_code == 200
    assert client.post(f"/api/cameras/{camera_id}/activate/").status_code == 200
    alert_id = old_data["carol"]["alerts"][0]
    assert client.post(f"/api/alerts/{alert_id}/acknowledge/").json()["acknowledged"] is True
    channels = client.get("/api/notifications/channels/").json()["results"]
    assert [row["id"] for row in channels] == [old_data["carol"]["channel"]]
    exports = client.get("/api/exports/").json()["results"]
    assert [row["id"] for row in exports] == [old_data["carol"]["export"]]
    # Dave's rows stay Dave's.
    for path in (
        f"/api/cameras/{old_data['dave']['cameras'][0]}/",
        f"/api/alerts/{old_data['dave']['alerts'][0]}/",
        f"/api/notifications/channels/{old_data['dave']['channel']}/",
        f"/api/exports/{old_data['dave']['export']}/",
    ):
        assert client.get(path).status_code == 404, path
    # A camera added now goes to Carol's personal team, as it would have been hers before.
    created = client.post("/api/cameras/", {"name": "new", "rtsp_url": "rtsp://10.0.0.1/new"}, format="json")
    assert created.status_code == 201
    assert created.json()["team"] == carol.personal_team.pk
