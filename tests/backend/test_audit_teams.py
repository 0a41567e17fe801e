"""The audit trail per team (issue 25) over real HTTP: one backend (gunicorn, on the suite's database kind)
with two teams, A and B, each with an owner, their cameras, and in A an auditor and a viewer, all made
through the API. A user reads the records of the teams where their role holds ``view_audit`` (owner,
auditor) and their own records of no team (sign-ins); ``?team=`` narrows that, never widens it; member
changes leave one record each; nobody changes or deletes a record through the API or the admin."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass

import pytest
import requests

from support.backend import DEMO_PASSWORD, RunningBackend, server_database, start_backend

# The backend process runs on the suite's database kind; it is started once for the module.
pytestmark = [pytest.mark.database, pytest.mark.slow]

USERS = ("owner-a", "auditor-a", "viewer-a", "owner-b", "guard", "auditor-2", "guard-2")


@dataclass
class Site:
    backend: RunningBackend
    tokens: dict[str, str]
    ids: dict[str, int]  # user name -> id
    team_a: int
    team_b: int
    camera_a: int
    camera_b: int

    def call(self, who: str, method: str, path: str, **kwargs) -> requests.Response:
        return self.backend.request(method, path, token=self.tokens[who], **kwargs)

    def rows(self, who: str, **query) -> list[dict]:
        """Every record ``who`` reads through ``GET /api/audit/`` with ``query`` (all pages)."""
        response = self.call(who, "GET", "/api/audit/", params={"page_size": 500, **query})
        found: list[dict] = []
        while True:
            assert response.status_code == 200, response.text
            page = response.json()
            found += page["results"]
            if not page["next"]:
                return found
            response = requests.get(page["next"], headers=self.backend.headers(self.tokens[who]), timeout=30)


def _add_users(backend: RunningBackend, names: tuple[str, ...]) -> dict[str, str]:
    """Users with ``DEMO_PASSWORD`` and API tokens, made in one ``manage.py shell`` (one process start
    rather than one per user)."""
    script = (
        "import json\n"
        "from django.contrib.auth.models import User\n"
        "from rest_framework.authtoken.models import Token\n"
        f"names, password = {list(names)!r}, {DEMO_PASSWORD!r}\n"
        "users = [User.objects.create_user(name, password=password) for name in names]\n"
        "print(json.dumps({u.username: Token.objects.create(user=u).key for u in users}))\n"
    )
    return json.loads(backend.manage("shell", "-c", script).stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with (
        server_database("cctv_audit_teams") as database_url,
        start_backend(tmp_path_factory.mktemp("audit"), database_url=database_url, threads=4) as backend,
    ):
        tokens = _add_users(backend, USERS)

        def call(who: str, method: str, path: str, **kwargs) -> dict:
            response = backend.request(method, path, token=tokens[who], **kwargs)
            assert response.status_code in (200, 201), (method, path, response.status_code, response.text)
            return response.json()

        team_a = call("owner-a", "POST", "/api/teams/", json={"name": "Team A"})["id"]
        team_b = call("owner-b", "POST", "/api/teams/", json={"name": "Team B"})["id"]
        for name, role in (("auditor-a", "auditor"), ("viewer-a", "viewer")):
            call("owner-a", "POST", f"/api/teams/{team_a}/members/", json={"username": name, "role": role})
        cameras = {
            who: call(
                who, "POST", "/api/cameras/",
                json={"name": f"{team} gate", "rtsp_url": "rtsp://10.0.0.7/live", "team": team},
            )["id"]
            for who, team in (("owner-a", team_a), ("owner-b", team_b))
        }  # fmt: skip
        for name in ("auditor-a", "owner-b"):  # a sign-in each: a record of no team
            signed_in = requests.post(
                f"{backend.url}/api-token-auth/",
                data={"username": name, "password": DEMO_PASSWORD},
                timeout=30,
            )
            assert signed_in.status_code == 200, signed_in.text
        members = call("owner-a", "GET", f"/api/teams/{team_a}/members/")["results"]
        ids = {row["username"]: row["user_id"] for row in members}
        ids["owner-b"] = call("owner-b", "GET", f"/api/teams/{team_b}/members/")["results"][0]["user_id"]
        yield Site(backend, tokens, ids, team_a, team_b, cameras["owner-a"], cameras["owner-b"])


def test_an_auditor_reads_their_teams_records_and_not_another_teams(site):
    rows = site.rows("auditor-a")
    cameras = {row["camera"] for row in rows if row["action"] == "camera_created"}
    assert site.camera_a in cameras and site.camera_b not in cameras
    assert {row["team"] for row in rows} <= {site.team_a, None}
    added = {row["summary"] for row in rows if row["action"] == "member_added"}
    assert "auditor-a added to Team A as auditor" in added and "viewer-a added to Team A as viewer" in added
    # Of no team: their own sign-in only (owner-b's is not theirs).
    own = [row for row in rows if row["team"] is None]
    assert [(row["action"], row["user"]) for row in own] == [("sign_in", site.ids["auditor-a"])]
    # B's owner reads B's records and none of A's.
    b_rows = site.rows("owner-b")
    assert site.camera_b in {row["camera"] for row in b_rows}
    assert {row["team"] for row in b_rows} <= {site.team_b, None}


def test_the_csv_holds_the_same_records_as_the_list(site):
    response = site.call("auditor-a", "GET", "/api/audit.csv")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert {int(row["id"]) for row in table} == {row["id"] for row in site.rows("auditor-a")}
    assert {row["team"] for row in table} <= {str(site.team_a), ""}


def test_a_viewer_reads_none_of_the_teams_records(site):
    # The role table gives view_audit to owners and auditors only. A viewer is still the owner of their
    # personal team, so the list answers (200) with what they may read: nothing of team A.
    rows = site.rows("viewer-a")
    assert all(row["team"] != site.team_a for row in rows), rows
    assert site.rows("viewer-a", team=site.team_a) == []


def test_a_team_filter_narrows_and_never_widens(site):
    in_a = site.rows("auditor-a", team=site.team_a)
    assert in_a and {row["team"] for row in in_a} == {site.team_a}
    assert site.rows("auditor-a", team=site.team_b) == []  # a team they are not in: no rows
    assert site.rows("auditor-a", team=2**62) == []  # no such team
    csv_b = site.call("auditor-a", "GET", "/api/audit.csv", params={"team": site.team_b})
    assert csv_b.status_code == 200 and len(csv_b.text.strip().splitlines()) == 1  # the header only
    for value in ("abc", "0", "-1", "1.5", "9" * 30):
        refused = site.call("auditor-a", "GET", "/api/audit/", params={"team": value})
        assert refused.status_code == 400 and "team" in refused.json(), (value, refused.text)


def test_an_owners_member_changes_leave_exactly_one_record_each(site):
    members = f"/api/teams/{site.team_a}/members/"
    added = site.call("owner-a", "POST", members, json={"username": "guard", "role": "viewer"})
    assert added.status_code == 201, added.text
    guard = added.json()["user_id"]

    def changes() -> list[tuple[str, str]]:
        """The member records of the guard made by A's owner, oldest first, as A's auditor reads them."""
        rows = site.rows("auditor-a", team=site.team_a, user=site.ids["owner-a"])
        return [
            (row["action"], row["summary"])
            for row in reversed(rows)
            if row["action"].startswith("member_") and row["object_id"] == str(guard)
        ]

    assert changes() == [("member_added", "guard added to Team A as viewer")]
    assert site.call("owner-a", "PATCH", f"{members}{guard}/", json={"role": "operator"}).status_code == 200
    assert changes()[1:] == [("member_role_changed", "guard in Team A: viewer -> operator")]
    # The same role again changes nothing: no record. The last owner's demotion is refused: none either.
    assert site.call("owner-a", "PATCH", f"{members}{guard}/", json={"role": "operator"}).status_code == 200
    owner = site.ids["owner-a"]
    assert site.call("owner-a", "PATCH", f"{members}{owner}/", json={"role": "viewer"}).status_code == 400
    assert site.call("owner-a", "DELETE", f"{members}{guard}/").status_code == 204
    assert changes() == [
        ("member_added", "guard added to Team A as viewer"),
        ("member_role_changed", "guard in Team A: viewer -> operator"),
        ("member_removed", "guard removed from Team A (was operator)"),
    ]
    record = site.rows("auditor-a", team=site.team_a, action="member_removed")[0]
    assert (record["user"], record["username"], record["client_address"]) == (owner, "owner-a", "127.0.0.1")
    assert not [
        row
        for row in site.rows("owner-a")
        if row["object_id"] == str(owner) and "-> viewer" in row["summary"]
    ]


def test_camera_groups_narrowing_and_service_accounts_leave_one_record_each(site):
    groups = f"/api/teams/{site.team_a}/groups/"
    made = site.call("owner-a", "POST", groups, json={"name": "Dock", "cameras": [site.camera_a]})
    assert made.status_code == 201, made.text
    group = made.json()["id"]
    renamed = site.call("owner-a", "PATCH", f"{groups}{group}/", json={"name": "Dock 2", "cameras": []})
    assert renamed.status_code == 200, renamed.text
    # The same again changes nothing: no record.
    assert site.call("owner-a", "PATCH", f"{groups}{group}/", json={"name": "Dock 2"}).status_code == 200
    assert (
        site.call("owner-a", "PATCH", f"{groups}{group}/", json={"cameras": [site.camera_a]}).status_code
        == 200
    )

    members = f"/api/teams/{site.team_a}/members/"
    added = site.call(
        "owner-a", "POST", members, json={"username": "guard-2", "role": "viewer", "groups": [group]}
    )
    assert added.status_code == 201, added.text
    guard = added.json()["user_id"]
    assert site.call("owner-a", "PATCH", f"{members}{guard}/", json={"groups": []}).status_code == 200
    assert (
        site.call("owner-a", "PATCH", f"{members}{guard}/", json={"groups": []}).status_code == 200
    )  # no change
    assert site.call("owner-a", "DELETE", f"{members}{guard}/").status_code == 204
    assert site.call("owner-a", "DELETE", f"{groups}{group}/").status_code == 204

    accounts = f"/api/teams/{site.team_a}/service-accounts/"
    account = site.call(
        "owner-a",
        "POST",
        accounts,
        json={"name": "Home Assistant", "role": "viewer", "scope": "read", "expires_in_days": 30},
    )
    assert account.status_code == 201, account.text
    assert site.call("owner-a", "DELETE", f"{accounts}{account.json()['id']}/").status_code == 204

    kinds = {"camera_group", "service_account"}
    rows = [
        (row["action"], row["summary"])
        for row in reversed(site.rows("auditor-a", team=site.team_a, user=site.ids["owner-a"]))
        if row["object_type"] in kinds
        or (row["object_id"] == str(guard) and row["action"].startswith("member_"))
    ]
    account_name = f"Home Assistant ({account.json()['username']}) in Team A"
    assert rows == [
        ("group_created", "Dock in Team A: 1 cameras"),
        ("group_updated", f"Dock 2 in Team A: renamed from Dock; cameras {site.camera_a} -> none"),
        ("group_updated", f"Dock 2 in Team A: cameras none -> {site.camera_a}"),
        ("member_added", "guard-2 added to Team A as viewer (camera groups: Dock 2)"),
        ("member_groups_changed", "guard-2 in Team A: camera groups Dock 2 -> the whole team"),
        ("member_removed", "guard-2 removed from Team A (was viewer)"),
        ("group_deleted", "Dock 2 in Team A"),
        ("service_account_created", f"{account_name} as viewer"),
        ("service_account_deleted", account_name),
    ]


def test_a_removed_auditor_stops_reading_the_teams_records_at_once(site):
    members = f"/api/teams/{site.team_a}/members/"
    added = site.call("owner-a", "POST", members, json={"username": "auditor-2", "role": "auditor"})
    assert added.status_code == 201
    assert site.camera_a in {row["camera"] for row in site.rows("auditor-2")}
    assert site.call("owner-a", "DELETE", f"{members}{added.json()['user_id']}/").status_code == 204
    assert all(row["team"] != site.team_a for row in site.rows("auditor-2"))


def _admin_session(site: Site) -> requests.Session:
    """A superuser signed in through the dashboard's login form (the admin takes the same session)."""
    site.backend.manage("create_demo", "--username", "root", "--password", DEMO_PASSWORD, "--superuser")
    session = requests.Session()
    login = f"{site.backend.url}/dashboard/login/"
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', session.get(login, timeout=30).text)[1]
    signed_in = session.post(
        login,
        data={"csrfmiddlewaretoken": csrf, "username": "root", "password": DEMO_PASSWORD},
        headers={"Referer": login},
        timeout=30,
        allow_redirects=False,
    )
    assert signed_in.status_code == 302, signed_in.text
    return session


def test_records_cannot_be_changed_or_deleted_through_the_api_or_the_admin(site):
    record = site.rows("owner-a", team=site.team_a, action="camera_created")[0]
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        for path in ("/api/audit/", f"/api/audit/{record['id']}/", "/api/audit.csv"):
            answer = site.call("owner-a", method, path, json={"summary": "rewritten"})
            assert answer.status_code in (404, 405), (method, path, answer.status_code)

    admin = _admin_session(site)
    base = f"{site.backend.url}/admin/audit/auditrecord/"
    page = admin.get(f"{base}{record['id']}/change/", timeout=30)
    assert page.status_code == 200 and "View audit record" in page.text  # read-only
    csrf = admin.cookies["csrftoken"]
    form = {"csrfmiddlewaretoken": csrf}
    headers = {"Referer": base}
    changed = admin.post(
        f"{base}{record['id']}/change/", data={**form, "summary": "x"}, headers=headers, timeout=30
    )
    assert changed.status_code == 403
    deleted = admin.post(
        f"{base}{record['id']}/delete/", data={**form, "post": "yes"}, headers=headers, timeout=30
    )
    assert deleted.status_code == 403
    admin.post(
        base,
        data={**form, "action": "delete_selected", "_selected_action": [record["id"]], "post": "yes"},
        headers=headers,
        timeout=30,
    )
    assert admin.get(f"{base}add/", timeout=30).status_code == 403
    after = [row for row in site.rows("owner-a", team=site.team_a) if row["id"] == record["id"]]
    assert after == [record]  # still there, unchanged
