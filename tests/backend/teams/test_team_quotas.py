"""Quotas count per team (issue 25): what a team owns counts against the team's limits, whoever of its
members added it, and a user's other teams never fill one team's limit. Over the API on the real
database; the staff's own limits of a team are a ``teams.TeamQuota`` (the admin's "Team quotas")."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rest_framework.authtoken.models import Token

from backend.conftest import client_for
from surveillance import quotas
from surveillance.errors import InsufficientStorage
from surveillance.models import Alert, Camera
from teams.models import TeamQuota
from teams.services import member_add, personal_team_of, team_create

pytestmark = pytest.mark.django_db


def _client(user):
    return client_for(Token.objects.get_or_create(user=user)[0].key)


def _add(client, team, name, **fields):
    body = {"name": name, "rtsp_url": f"rtsp://10.0.0.1/{name.replace(' ', '')}", "team": team.pk, **fields}
    return client.post("/api/cameras/", body, format="json")


@pytest.fixture
def shared(alice, bob):
    """A team Alice owns and Bob administers."""
    team = team_create(user=alice, name="Warehouse")
    member_add(team=team, username="bob", role="admin")
    return team


def test_members_fill_one_team_limit_together_and_their_personal_teams_keep_their_own(
    alice, bob, shared, settings
):
    settings.MAX_CAMERAS_PER_USER = 2
    assert _add(_client(alice), shared, "dock 1").status_code == 201
    assert _add(_client(bob), shared, "dock 2").status_code == 201
    refused = _add(_client(bob), shared, "dock 3")
    assert refused.status_code == 400
    message = str(refused.json())
    assert "This team has 2 cameras" in message and "MAX_CAMERAS_PER_USER=2" in message
    assert Camera.objects.filter(team=shared).count() == 2  # nothing half-made
    # The shared team's cameras are not Bob's: his own team still takes two.
    assert _add(_client(bob), personal_team_of(bob), "home 1").status_code == 201
    assert _add(_client(bob), personal_team_of(bob), "home 2").status_code == 201


def test_active_cameras_count_per_team(alice, bob, shared, settings):
    settings.MAX_ACTIVE_CAMERAS_PER_USER = 1
    assert _add(_client(alice), shared, "dock 1", is_active=True).status_code == 201
    second = _add(_client(bob), shared, "dock 2", is_active=True)
    assert second.status_code == 400 and "This team has 1 active cameras" in str(second.json())
    idle = _add(_client(bob), shared, "dock 2").json()
    assert _client(bob).post(f"/api/cameras/{idle['id']}/activate/").status_code == 400
    assert _add(_client(bob), personal_team_of(bob), "home", is_active=True).status_code == 201


def test_a_teams_own_limit_raises_that_team_only(alice, bob, shared, settings):
    settings.MAX_CAMERAS_PER_USER = 1
    TeamQuota.objects.create(team=shared, max_cameras=3)
    for index in range(3):
        assert _add(_client(bob), shared, f"dock {index}").status_code == 201
    assert _add(_client(bob), shared, "dock 4").status_code == 400
    assert _add(_client(bob), personal_team_of(bob), "home 1").status_code == 201
    assert _add(_client(bob), personal_team_of(bob), "home 2").status_code == 400


def test_snapshot_bytes_count_per_team_not_per_member(alice, bob, shared, make_camera, settings):
    settings.USER_STORAGE_QUOTA_BYTES = 1000
    settings.CAMERA_STORAGE_QUOTA_BYTES = 0
    dock = make_camera(alice, team=shared.pk, name="dock")
    Alert.objects.create(camera=dock, alert_type="person", confidence=0.5, snapshot_bytes=900)
    bobs_home = make_camera(bob, name="home")  # his personal team: its own 1000 bytes
    quotas.check_storage_quota(camera=bobs_home, adding=900)
    with pytest.raises(InsufficientStorage, match="The camera's team stores 900 snapshot bytes"):
        quotas.check_storage_quota(camera=make_camera(bob, team=shared.pk, name="gate"), adding=200)
    TeamQuota.objects.create(team=shared, max_storage_bytes=0)  # no limit for this team
    quotas.check_storage_quota(camera=dock, adding=10**9)


def test_a_users_quota_moves_to_their_personal_team(transactional_db):
    """The migration (teams 0005, surveillance 0021) from the schema with per-user quotas, with data."""
    before = [("teams", "0004_service_accounts"), ("surveillance", "0020_camera_team_required")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    User, Team = old.get_model("auth", "User"), old.get_model("teams", "Team")
    UserQuota = old.get_model("surveillance", "UserQuota")
    carol = User.objects.create(username="carol")
    dave = User.objects.create(username="dave")
    for user in (carol, dave):  # what the post-save receiver makes today, by hand on the old state
        Team.objects.create(name=f"{user.username} (personal)", personal_of=user)
    UserQuota.objects.create(user=carol, max_cameras=7, max_active_cameras=None, max_storage_bytes=0)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    moved = TeamQuota.objects.select_related("team").get()
    assert moved.team.personal_of_id == carol.pk
    assert (moved.max_cameras, moved.max_active_cameras, moved.max_storage_bytes) == (7, None, 0)


def test_staff_set_a_teams_own_limits_in_the_admin(admin_client, shared):
    assert admin_client.get("/admin/teams/teamquota/").status_code == 200
    added = admin_client.post(
        "/admin/teams/teamquota/add/",
        {"team": shared.pk, "max_cameras": "7", "max_active_cameras": "", "max_storage_bytes": ""},
    )
    assert added.status_code == 302, added.content[:2000]
    quota = TeamQuota.objects.get(team=shared)
    assert (quota.max_cameras, quota.max_active_cameras, quota.max_storage_bytes) == (7, None, None)
    refused = admin_client.post("/admin/teams/teamquota/add/", {"team": shared.pk, "max_cameras": "-1"})
    assert refused.status_code == 200 and TeamQuota.objects.count() == 1  # the form's error, nothing saved
