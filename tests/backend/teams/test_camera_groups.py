"""Camera groups inside the backend: the access rule stays one statement for narrowed members, who hears
about a camera's alerts, and the admin's group form (the API's own tests run over HTTP:
test_camera_groups_server.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from backend.conftest import client_for
from backend.images import jpeg_base64
from surveillance.access import viewer_ids
from surveillance.events import services
from teams.models import CameraGroup
from teams.services import camera_group_create, member_add, team_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(alice, bob, make_camera):
    """Alice's team with five cameras; Bob an operator narrowed to a group of the first ``size`` of them."""
    team = team_create(user=alice, name="Site")
    cameras = [make_camera(alice, name=f"cam {i}", team=team.pk) for i in range(5)]
    for camera in cameras:
        services.alert_ingest(camera=camera, alert_type="person", confidence=0.9, image_base64=jpeg_base64())
    group = camera_group_create(team=team, name="Warehouse", cameras=[cameras[0].pk])
    member_add(team=team, username="bob", role="operator", groups=[group.pk])
    return team, cameras, group


def _statements(user, path: str) -> tuple[int, list[str]]:
    client = client_for(Token.objects.get_or_create(user=user)[0].key)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(response.json()["results"]), [query["sql"] for query in queries]


@pytest.mark.parametrize("path", ["/api/cameras/", "/api/alerts/"])
def test_a_narrowed_members_list_runs_the_statements_of_a_whole_members(site, alice, bob, path):
    _team, cameras, group = site
    rows, narrowed = _statements(bob, path)
    assert rows == 1
    group.cameras.set([camera.pk for camera in cameras])  # more rows reached: no more statements
    more_rows, more = _statements(bob, path)
    assert more_rows == 5
    whole_rows, whole = _statements(alice, path)
    assert whole_rows >= 5
    assert len(narrowed) == len(more) == len(whole)
    # The groups are read inside the list's own statement (a subquery), not in one of their own.
    listing = [sql for sql in narrowed if "teams_cameragroup_cameras" in sql]
    assert len(listing) == 2 and all("teams_membership" in sql for sql in listing)  # the count and the page


def test_the_viewers_of_a_camera_are_narrowed_members_only_where_it_is_in_their_groups(site, alice, bob):
    _team, cameras, _group = site
    assert viewer_ids(cameras[0]) == sorted([alice.pk, bob.pk])
    assert viewer_ids(cameras[1]) == [alice.pk]


def test_a_narrowed_membership_counts_only_with_a_group_of_its_own_team(site, bob, make_user):
    # Were a membership ever tied to another team's group (the services refuse it), it would reach nothing.
    from teams.models import Membership, MembershipGroup

    team, cameras, _group = site
    elsewhere = team_create(user=make_user("carol"), name="Elsewhere")
    member_add(team=elsewhere, username="bob", role="viewer")
    gate = camera_group_create(team=team, name="Gate", cameras=[cameras[1].pk])
    MembershipGroup.objects.create(membership=Membership.objects.get(team=elsewhere, user=bob), group=gate)
    client = client_for(Token.objects.get_or_create(user=bob)[0].key)
    assert [row["id"] for row in client.get("/api/cameras/").json()["results"]] == [cameras[0].pk]


@pytest.fixture
def admin_client(client, db):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "root-password-1")
    client.force_login(admin)
    return client


def test_the_admin_refuses_a_camera_of_another_team_in_a_group(admin_client, site, bob, make_camera):
    team, cameras, _group = site
    foreign = make_camera(bob, name="Bob's own")
    form = {"team": team.pk, "name": "Mixed", "cameras": [cameras[1].pk, foreign.pk]}
    page = admin_client.post("/admin/teams/cameragroup/add/", form)
    assert page.status_code == 200 and f"Not cameras of team Site: {foreign.pk}." in page.content.decode()
    assert not CameraGroup.objects.filter(name="Mixed").exists()
    form["cameras"] = [cameras[1].pk]
    assert admin_client.post("/admin/teams/cameragroup/add/", form).status_code == 302
    assert list(CameraGroup.objects.get(name="Mixed").cameras.all()) == [cameras[1]]
    listing = admin_client.get("/admin/teams/cameragroup/").content.decode()
    assert "Warehouse" in listing and "Mixed" in listing


def test_the_admin_does_not_delete_a_group_that_narrows_a_member(admin_client, site):
    _team, _cameras, group = site
    page = admin_client.post(f"/admin/teams/cameragroup/{group.pk}/delete/", {"post": "yes"})
    # Django's admin answers a delete of a restricted object with its "cannot delete" page.
    assert page.status_code == 200 and "Cannot delete camera group" in page.content.decode()
    assert CameraGroup.objects.filter(pk=group.pk).exists()
