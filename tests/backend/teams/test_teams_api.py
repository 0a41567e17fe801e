"""The teams API (/api/teams/, members) and what a role lets a member do with the team's rows."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from backend.conftest import client_for
from teams.models import Membership
from teams.services import member_add, personal_team_of, team_create


def _client(user):
    return client_for(Token.objects.get_or_create(user=user)[0].key)


@pytest.fixture
def shared(alice):
    """A team Alice owns."""
    return team_create(user=alice, name="Warehouse")


def test_a_new_user_owns_a_personal_team_and_lists_it(alice_client, alice):
    rows = alice_client.get("/api/teams/").json()["results"]
    assert rows == [
        {
            "id": personal_team_of(alice).pk,
            "name": "alice (personal)",
            "personal": True,
            "role": "owner",
            "created_at": rows[0]["created_at"],
        }
    ]


def test_the_creator_of_a_team_is_its_owner(bob_client, bob):
    created = bob_client.post("/api/teams/", {"name": "Front gate"}, format="json")
    assert created.status_code == 201
    assert created.json()["role"] == "owner" and created.json()["personal"] is False
    assert Membership.objects.get(team_id=created.json()["id"], user=bob).role == "owner"


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "x" * 101}, {"name": ["a"]}])
def test_a_malformed_team_is_refused(alice_client, body):
    assert alice_client.post("/api/teams/", body, format="json").status_code == 400


def test_teams_per_user_are_bounded(alice_client, settings):
    settings.TEAMS_PER_USER_MAX = 2  # the personal team and one more
    assert alice_client.post("/api/teams/", {"name": "one"}, format="json").status_code == 201
    refused = alice_client.post("/api/teams/", {"name": "two"}, format="json")
    assert refused.status_code == 400
    assert "TEAMS_PER_USER_MAX" in str(refused.json())


def test_an_owner_adds_lists_re_roles_and_removes_a_member(alice_client, shared, bob):
    url = f"/api/teams/{shared.pk}/members/"
    added = alice_client.post(url, {"username": "bob", "role": "viewer"}, format="json")
    assert added.status_code == 201
    assert added.json()["role"] == "viewer" and added.json()["username"] == "bob"
    listed = alice_client.get(url).json()["results"]
    assert [(row["username"], row["role"]) for row in listed] == [("alice", "owner"), ("bob", "viewer")]
    assert alice_client.patch(f"{url}{bob.pk}/", {"role": "admin"}, format="json").json()["role"] == "admin"
    assert alice_client.delete(f"{url}{bob.pk}/").status_code == 204
    assert not Membership.objects.filter(team=shared, user=bob).exists()


@pytest.mark.parametrize(
    "body",
    [
        {"username": "nobody", "role": "viewer"},
        {"username": "bob", "role": "superuser"},
        {"username": "b" * 151, "role": "viewer"},
        {"username": "bob"},
        {"role": "viewer"},
    ],
)
def test_a_wrong_member_is_refused(alice_client, shared, bob, body):
    assert alice_client.post(f"/api/teams/{shared.pk}/members/", body, format="json").status_code == 400


def test_adding_a_member_twice_is_refused(alice_client, shared, bob):
    url = f"/api/teams/{shared.pk}/members/"
    assert alice_client.post(url, {"username": "bob", "role": "viewer"}, format="json").status_code == 201
    again = alice_client.post(url, {"username": "bob", "role": "admin"}, format="json")
    assert again.status_code == 400 and "already a member" in str(again.json())


@pytest.mark.parametrize("role", ["admin", "operator", "viewer", "auditor"])
def test_only_owners_manage_members(shared, bob, make_user, role):
    member_add(team=shared, username="bob", role=role)
    carol = make_user("carol")
    client = _client(bob)
    url = f"/api/teams/{shared.pk}/members/"
    assert client.get(url).status_code == 200  # every member sees who is in the team
    assert client.post(url, {"username": "carol", "role": "viewer"}, format="json").status_code == 403
    assert client.patch(f"{url}{bob.pk}/", {"role": "owner"}, format="json").status_code == 403
    assert client.delete(f"{url}{shared.memberships.get(role='owner').user_id}/").status_code == 403
    assert not Membership.objects.filter(user=carol, team=shared).exists()


def test_another_teams_members_are_a_404(bob_client, shared, alice):
    url = f"/api/teams/{shared.pk}/members/"
    assert bob_client.get(url).status_code == 404
    assert bob_client.delete(f"{url}{alice.pk}/").status_code == 404


def test_the_last_owner_can_be_neither_demoted_nor_removed(alice_client, shared, alice, bob):
    url = f"/api/teams/{shared.pk}/members/{alice.pk}/"
    demoted = alice_client.patch(url, {"role": "admin"}, format="json")
    assert demoted.status_code == 400 and "last owner" in str(demoted.json())
    removed = alice_client.delete(url)
    assert removed.status_code == 400 and "last owner" in str(removed.json())
    member_add(team=shared, username="bob", role="owner")
    assert alice_client.patch(url, {"role": "admin"}, format="json").status_code == 200
    assert _client(bob).delete(url).status_code == 204


def test_a_camera_goes_to_the_personal_team_unless_another_is_named(alice_client, alice, shared):
    body = {"name": "Dock", "rtsp_url": "rtsp://10.0.0.7/1"}
    assert (
        alice_client.post("/api/cameras/", body, format="json").json()["team"] == personal_team_of(alice).pk
    )
    named = alice_client.post("/api/cameras/", {**body, "name": "Dock 2", "team": shared.pk}, format="json")
    assert named.status_code == 201 and named.json()["team"] == shared.pk


def test_creating_into_a_team_the_role_does_not_allow_is_403_and_a_foreign_team_400(shared, bob, make_user):
    member_add(team=shared, username="bob", role="operator")
    client = _client(bob)
    body = {"name": "Dock", "rtsp_url": "rtsp://10.0.0.7/1", "team": shared.pk}
    refused = client.post("/api/cameras/", body, format="json")
    assert refused.status_code == 403
    assert "operator" in refused.json()["detail"] and "change" in refused.json()["detail"]
    stranger = _client(make_user("carol"))
    unknown = stranger.post("/api/cameras/", body, format="json")
    assert unknown.status_code == 400 and "not a member" in str(unknown.json()["team"])
    channel = {"kind": "email", "name": "m", "addresses": ["guard@example.com"], "team": shared.pk}
    assert client.post("/api/notifications/channels/", channel, format="json").status_code == 403


def test_a_removed_member_loses_the_teams_rows_at_their_next_request(alice, shared, bob, make_camera):
    camera = make_camera(alice, name="Shared", team=shared.pk)
    member_add(team=shared, username="bob", role="viewer")
    client = _client(bob)
    client.force_login(bob)  # token and session alike
    assert client.get(f"/api/cameras/{camera.pk}/").status_code == 200
    _client(alice).delete(f"/api/teams/{shared.pk}/members/{bob.pk}/")
    assert client.get(f"/api/cameras/{camera.pk}/").status_code == 404
    assert client.get("/api/cameras/").json()["results"] == []
    assert client.get(f"/dashboard/cameras/{camera.pk}/live/").status_code == 404


def test_viewer_ids_are_the_members_who_may_view(alice, shared, bob, make_user, make_camera):
    from surveillance.access import viewer_ids

    camera = make_camera(alice, name="Shared", team=shared.pk)
    member_add(team=shared, username="bob", role="auditor")
    make_user("carol")
    assert viewer_ids(camera) == sorted([alice.pk, bob.pk])


def test_a_teams_channels_hear_about_the_teams_cameras_only(alice, shared, bob, make_camera):
    from backend.images import jpeg_base64
    from notifications import services as notification_services
    from notifications.models import Delivery
    from surveillance.events import services

    member_add(team=shared, username="bob", role="admin")
    camera = make_camera(alice, name="Shared", team=shared.pk)
    mail = {"kind": "email", "addresses": ["guard@example.com"]}
    team_channel = notification_services.channel_create(user=bob, team=shared.pk, name="team", **mail)
    personal_channel = notification_services.channel_create(user=bob, name="mine", **mail)
    alert, _ = services.alert_ingest(
        camera=camera, alert_type="fire", confidence=0.9, image_base64=jpeg_base64()
    )
    assert list(Delivery.objects.filter(alert=alert).values_list("channel_id", flat=True)) == [
        team_channel.pk
    ]
    assert personal_channel.team_id == personal_team_of(bob).pk


def test_a_role_that_may_see_but_not_change_a_row_gets_403_naming_the_action(alice, shared, bob, make_camera):
    camera = make_camera(alice, name="Shared", team=shared.pk)
    member_add(team=shared, username="bob", role="viewer")
    client = _client(bob)
    assert client.get(f"/api/cameras/{camera.pk}/").status_code == 200
    refused = client.patch(f"/api/cameras/{camera.pk}/", {"name": "mine now"}, format="json")
    assert refused.status_code == 403 and "(change;" in refused.json()["detail"]
    assert client.post("/api/alerts/acknowledge/", {"ids": [1]}, format="json").json() == {"acknowledged": 0}
    camera.refresh_from_db()
    assert camera.name == "Shared"
