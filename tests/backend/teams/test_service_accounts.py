"""Team service accounts over real HTTP (issue 25): made by a team's owner or admin with a role and a first
token; the token sees and changes only its team's rows (another team's camera is a 404), revoked or with
its account deleted it answers 401 at once; the account has no password, no personal team and cannot sign
in to the dashboard, create teams or join another one. Also the dashboard's team switcher refusing a
team the user is not in with a 400 that says why."""

from __future__ import annotations

import pytest
import requests
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from surveillance.cameras import services
from teams.models import Membership, ServiceAccount, Team
from teams.services import member_add, personal_team_of, team_create

pytestmark = pytest.mark.slow  # a live server per test


@pytest.fixture
def site(live_server, transactional_db):
    """Alice owns Warehouse (camera "Dock") and her personal team (camera "Home"); Bob owns his own team
    ("Bob cam") and is a viewer in Warehouse."""
    users = get_user_model().objects
    alice = users.create_user(username="alice", password="alice-password-1")
    bob = users.create_user(username="bob", password="bob-password-1")
    warehouse = team_create(user=alice, name="Warehouse")
    member_add(team=warehouse, username="bob", role="viewer")
    cameras = {
        "dock": services.camera_create(
            user=alice, team=warehouse.pk, name="Dock", rtsp_url="rtsp://10.0.0.6/d"
        ),
        "home": services.camera_create(user=alice, name="Home", rtsp_url="rtsp://10.0.0.5/h"),
        "bob": services.camera_create(user=bob, name="Bob cam", rtsp_url="rtsp://10.0.0.7/b"),
    }
    return live_server.url, alice, bob, warehouse, cameras


def client(token: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    return session


def seed_client(user) -> requests.Session:
    return client(Token.objects.get_or_create(user=user)[0].key)


def make_account(url: str, owner, team: Team, **body) -> requests.Response:
    body = {"name": "Home Assistant", "role": "operator", "scope": "full", "expires_in_days": 30, **body}
    return seed_client(owner).post(f"{url}/api/teams/{team.pk}/service-accounts/", json=body, timeout=30)


def test_a_service_accounts_token_acts_within_its_team_only(site):
    url, alice, _bob, warehouse, cameras = site
    made = make_account(url, alice, warehouse)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["role"] == "operator" and body["name"] == "Home Assistant"
    assert body["username"].startswith(f"svc-{warehouse.pk}-")
    account = client(body["token"]["token"])
    listed = account.get(f"{url}/api/cameras/", timeout=30)
    assert [row["name"] for row in listed.json()["results"]] == ["Dock"]
    assert account.get(f"{url}/api/cameras/{cameras['dock'].pk}/", timeout=30).status_code == 200
    # Another team's camera, its creator's own personal one included, is a 404 like a missing one.
    assert account.get(f"{url}/api/cameras/{cameras['home'].pk}/", timeout=30).status_code == 404
    assert account.get(f"{url}/api/cameras/{cameras['bob'].pk}/", timeout=30).status_code == 404
    assert account.post(f"{url}/api/cameras/{cameras['bob'].pk}/activate/", timeout=30).status_code == 404
    # An operator may not add cameras: without a team it is its own team, not a personal one, and refused.
    new = {"name": "Side", "rtsp_url": "rtsp://10.0.0.8/s"}
    assert account.post(f"{url}/api/cameras/", json=new, timeout=30).status_code == 403
    refused = account.post(
        f"{url}/api/cameras/", json={**new, "team": personal_team_of(alice).pk}, timeout=30
    )
    assert refused.status_code == 400 and "not a member" in refused.text
    # It stays in its one team.
    assert account.post(f"{url}/api/teams/", json={"name": "Mine"}, timeout=30).status_code == 403
    user = ServiceAccount.objects.get().user
    assert list(Membership.objects.filter(user=user).values_list("team_id", "role")) == [
        (warehouse.pk, "operator")
    ]
    assert not Team.objects.filter(personal_of=user).exists()
    assert not user.has_usable_password()


def test_an_admin_service_account_adds_cameras_to_its_team(site):
    url, alice, _bob, warehouse, _cameras = site
    token = make_account(url, alice, warehouse, role="admin").json()["token"]["token"]
    added = client(token).post(
        f"{url}/api/cameras/", json={"name": "Side", "rtsp_url": "rtsp://10.0.0.8/s"}, timeout=30
    )
    assert added.status_code == 201, added.text
    assert added.json()["team"] == warehouse.pk


def test_a_revoked_token_answers_401_at_once_and_a_deleted_account_stops_all_of_its_tokens(site):
    url, alice, _bob, warehouse, _cameras = site
    owner = seed_client(alice)
    made = make_account(url, alice, warehouse).json()
    base = f"{url}/api/teams/{warehouse.pk}/service-accounts/{made['id']}/"
    first = client(made["token"]["token"])
    second_body = {"name": "script", "scope": "read", "expires_in_days": 7}
    second_made = owner.post(f"{base}tokens/", json=second_body, timeout=30)
    assert second_made.status_code == 201, second_made.text
    second = client(second_made.json()["token"])
    assert first.get(f"{url}/api/cameras/", timeout=30).status_code == 200
    listed = owner.get(f"{url}/api/teams/{warehouse.pk}/service-accounts/", timeout=30).json()["results"]
    assert [len(row["tokens"]) for row in listed] == [2]
    assert made["token"]["token"] not in str(listed)
    assert owner.delete(f"{base}tokens/{made['token']['id']}/", timeout=30).status_code == 204
    assert first.get(f"{url}/api/cameras/", timeout=30).status_code == 401
    assert second.get(f"{url}/api/cameras/", timeout=30).status_code == 200
    assert owner.delete(base, timeout=30).status_code == 204
    assert second.get(f"{url}/api/cameras/", timeout=30).status_code == 401
    assert not get_user_model().objects.filter(username=made["username"]).exists()


def test_a_service_account_cannot_sign_in_to_the_dashboard(site):
    url, alice, _bob, warehouse, _cameras = site
    username = make_account(url, alice, warehouse).json()["username"]
    browser = requests.Session()
    login = f"{url}/dashboard/login/"
    browser.get(login, timeout=30)
    for password in ("", "!", "anything"):
        answer = browser.post(
            login,
            data={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": browser.cookies["csrftoken"],
            },
            headers={"Referer": login},
            timeout=30,
            allow_redirects=False,
        )
        assert answer.status_code == 200 and "sessionid" not in browser.cookies  # the form again
    assert browser.get(f"{url}/dashboard/", timeout=30, allow_redirects=False).status_code == 302
    seed = requests.post(f"{url}/api-token-auth/", json={"username": username, "password": "x"}, timeout=30)
    assert seed.status_code == 400


def test_only_the_teams_owners_and_admins_manage_its_service_accounts(site):
    url, _alice, bob, warehouse, _cameras = site
    route = f"{url}/api/teams/{warehouse.pk}/service-accounts/"
    body = {"name": "x", "role": "viewer", "scope": "read", "expires_in_days": 1}
    viewer = seed_client(bob)
    assert viewer.get(route, timeout=30).status_code == 403
    assert viewer.post(route, json=body, timeout=30).status_code == 403
    stranger = seed_client(get_user_model().objects.create_user(username="carol", password="carol-pw-1"))
    assert stranger.get(route, timeout=30).status_code == 404
    assert requests.get(route, timeout=30).status_code == 401
    Membership.objects.filter(team=warehouse, user=bob).update(role="admin")
    assert viewer.post(route, json=body, timeout=30).status_code == 201


def test_an_api_token_cannot_make_a_service_account_or_its_tokens(site):
    url, alice, _bob, warehouse, _cameras = site
    owner = seed_client(alice)
    pat = owner.post(
        f"{url}/api/tokens/", json={"name": "mine", "scope": "full", "expires_in_days": 1}, timeout=30
    ).json()["token"]
    assert make_account(url, alice, warehouse).status_code == 201  # a session or the seed token may
    by_pat = client(pat).post(
        f"{url}/api/teams/{warehouse.pk}/service-accounts/",
        json={"name": "x", "role": "viewer", "scope": "read", "expires_in_days": 1},
        timeout=30,
    )
    assert by_pat.status_code == 403 and "cannot create API tokens" in by_pat.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "owner"}, "role"),
        ({"role": "superuser"}, "role"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"expires_in_days": None}, "expires"),
        ({"expires_in_days": 0}, "expires_in_days"),
        ({"scope": "root"}, "scope"),
    ],
)
def test_a_malformed_service_account_is_a_400_naming_the_field(site, body, field):
    url, alice, _bob, warehouse, _cameras = site
    full = {"name": "Home Assistant", "role": "operator", "scope": "full", "expires_in_days": 30, **body}
    full = {key: value for key, value in full.items() if value is not None}
    answer = seed_client(alice).post(
        f"{url}/api/teams/{warehouse.pk}/service-accounts/", json=full, timeout=30
    )
    assert answer.status_code == 400 and field in answer.json(), answer.text
    assert not ServiceAccount.objects.exists()


def test_a_service_account_joins_no_other_team_and_is_deleted_not_removed(site):
    url, alice, bob, warehouse, _cameras = site
    made = make_account(url, alice, warehouse).json()
    bobs_team = team_create(user=bob, name="Bob's")
    joined = seed_client(bob).post(
        f"{url}/api/teams/{bobs_team.pk}/members/",
        json={"username": made["username"], "role": "viewer"},
        timeout=30,
    )
    assert joined.status_code == 400 and "service account" in joined.text
    member = f"{url}/api/teams/{warehouse.pk}/members/{ServiceAccount.objects.get().user_id}/"
    owner = seed_client(alice)
    assert owner.patch(member, json={"role": "owner"}, timeout=30).status_code == 400
    assert owner.patch(member, json={"role": "viewer"}, timeout=30).status_code == 200
    removed = owner.delete(member, timeout=30)
    assert removed.status_code == 400 and "delete it" in removed.text


def test_the_team_switcher_refuses_a_team_the_user_is_not_in_with_the_reason(site):
    url, _alice, bob, warehouse, cameras = site
    bobs_team = team_create(user=bob, name="Bob's")
    browser = requests.Session()
    login = f"{url}/dashboard/login/"
    browser.get(login, timeout=30)
    browser.post(
        login,
        data={
            "username": "alice",
            "password": "alice-password-1",
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
        headers={"Referer": login},
        timeout=30,
    )
    assert "sessionid" in browser.cookies

    def switch(value: str) -> requests.Response:
        return browser.post(
            f"{url}/dashboard/team/",
            data={"team": value, "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
            headers={"Referer": f"{url}/dashboard/"},
            timeout=30,
            allow_redirects=False,
        )

    for value, reason in [
        (str(bobs_team.pk), f"not a member of a team with id {bobs_team.pk}"),
        ("999999999", "not a member of a team with id 999999999"),
        ("abc", "is not a team id"),
        ("9" * 40, "is not a team id"),
        ("-1", "is not a team id"),
    ]:
        answer = switch(value)
        assert answer.status_code == 400, (value, answer.status_code)
        assert reason in answer.text, value

    def rows() -> set[str]:
        page = browser.get(f"{url}/dashboard/cameras/", timeout=30).text
        return {name for name in ("dock", "home") if f'id="camera-{cameras[name].pk}"' in page}

    assert rows() == {"dock", "home"}  # still all of her teams: the refused choices changed nothing
    assert switch(str(warehouse.pk)).status_code == 302
    assert rows() == {"dock"}
    assert switch("").status_code == 302
    assert rows() == {"dock", "home"}
