"""Camera groups (sites) and memberships narrowed to them, over real HTTP (issue 25).

One real backend (gunicorn, on the suite's database kind) holds a team with two cameras, "Warehouse cam"
in the group "Warehouse" and "Gate cam" in none, each with an alert (snapshot and clip), and an export each;
a guard (operator narrowed to "Warehouse"), a lead (operator of the whole team), a site admin (admin
narrowed to "Warehouse") and an outsider with a camera of their own team. Everything is made through the
API, as users make it; only the users come from ``manage.py create_demo``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import requests

from backend.event_objects import at, seen_object
from backend.images import jpeg_base64
from support.backend import add_user, server_database, start_backend
from support.clips import make_mp4
from support.clock import iso, recent

pytestmark = pytest.mark.database  # the backend process runs on the suite's database kind

DENIED = {401, 403, 404}


class Client:
    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {token}"

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.session.request(method, self.url + path, timeout=30, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def ok(self, method: str, path: str, expected: int = 200, **kwargs) -> dict:
        response = self.request(method, path, **kwargs)
        assert response.status_code == expected, (method, path, response.status_code, response.text[:500])
        return response.json() if response.content else {}


def _camera(owner: Client, team: int, name: str, host: str) -> dict:
    camera = owner.ok(
        "POST", "/api/cameras/", 201, json={"name": name, "rtsp_url": f"rtsp://{host}/s", "team": team}
    )
    owner.ok("POST", f"/api/cameras/{camera['id']}/activate/")
    return camera


def _alert_with_clip(url: str, camera: dict, key: str, tmp: Path) -> None:
    worker = Client(url, camera["ingest_token"])
    body = {
        "camera_id": camera["id"], "alert_type": "person", "confidence": 0.9, "image_base64": jpeg_base64(),
        "description": f"seen by {camera['name']}", "idempotency_key": key, "status": "open",
        "started_at": at(0), "objects": [seen_object()], "revision": 1,
    }  # fmt: skip
    worker.ok("POST", "/api/send-alert/", 201, json=body)
    clip = make_mp4(tmp / f"{key}.mp4", seconds=1)
    worker.ok(
        "PUT",
        f"/api/cameras/{camera['id']}/events/{key}/clips/0/",
        201,
        data=clip.read_bytes(),
        headers={"Content-Type": "video/mp4", "X-Clip-Started-At": at(-5)},
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("groups")
    with (
        server_database("cctv_groups") as database_url,
        start_backend(tmp, database_url=database_url, threads=4) as backend,
    ):
        url = backend.url
        owner = Client(url, backend.user_token)
        people = {
            name: Client(url, add_user(backend, name)) for name in ("guard", "lead", "siteadmin", "outsider")
        }
        team = owner.ok("POST", "/api/teams/", 201, json={"name": "Site"})["id"]
        warehouse_cam = _camera(owner, team, "Warehouse cam", "10.0.0.21")
        gate_cam = _camera(owner, team, "Gate cam", "10.0.0.22")
        _alert_with_clip(url, warehouse_cam, "ev-warehouse", tmp)
        _alert_with_clip(url, gate_cam, "ev-gate", tmp)
        warehouse = owner.ok(
            "POST",
            f"/api/teams/{team}/groups/",
            201,
            json={"name": "Warehouse", "cameras": [warehouse_cam["id"]]},
        )
        members = f"/api/teams/{team}/members/"
        owner.ok(
            "POST", members, 201, json={"username": "guard", "role": "operator", "groups": [warehouse["id"]]}
        )
        owner.ok("POST", members, 201, json={"username": "lead", "role": "operator"})
        owner.ok(
            "POST", members, 201, json={"username": "siteadmin", "role": "admin", "groups": [warehouse["id"]]}
        )
        channel = owner.ok(
            "POST", "/api/notifications/channels/", 201,
            json={"kind": "email", "name": "Site mail", "addresses": ["desk@example.com"], "team": team},
        )  # fmt: skip
        end = recent(hours=2)
        for camera in (warehouse_cam, gate_cam):
            start = iso(end - timedelta(minutes=1))
            export = {
                "camera": camera["id"],
                "name": f"export of {camera['name']}",
                "start": start,
                "end": iso(end),
            }
            owner.ok("POST", "/api/exports/", 201, json=export)
        outsider_team = people["outsider"].ok("POST", "/api/teams/", 201, json={"name": "Elsewhere"})["id"]
        foreign_cam = _camera(people["outsider"], outsider_team, "Foreign cam", "10.0.0.23")
        yield {
            "url": url, "owner": owner, **people, "team": team, "warehouse": warehouse["id"],
            "warehouse_cam": warehouse_cam["id"], "gate_cam": gate_cam["id"],
            "foreign_cam": foreign_cam["id"], "channel": channel["id"],
        }  # fmt: skip


def _alerts(client: Client) -> list[dict]:
    return client.ok("GET", "/api/alerts/")["results"]


def _media(client: Client, absolute: str) -> int:
    """GET a media URL the API handed out (snapshot or clip), as this client; the status."""
    response = client.session.get(absolute, timeout=30, allow_redirects=False)
    return response.status_code


def test_a_narrowed_operator_sees_only_their_groups_cameras_and_alerts(site):
    guard = site["guard"]
    assert [camera["name"] for camera in guard.ok("GET", "/api/cameras/")["results"]] == ["Warehouse cam"]
    assert {alert["camera_id"] for alert in _alerts(guard)} == {site["warehouse_cam"]}
    assert guard.get(f"/api/cameras/{site['gate_cam']}/").status_code == 404
    assert guard.get(f"/api/alerts/?camera={site['gate_cam']}").json()["results"] == []
    exports = guard.ok("GET", "/api/exports/")["results"]
    assert [export["camera"] for export in exports] == [site["warehouse_cam"]]


def test_a_member_of_the_whole_team_sees_every_camera(site):
    lead = site["lead"]
    names = sorted(camera["name"] for camera in lead.ok("GET", "/api/cameras/")["results"])
    assert names == ["Gate cam", "Warehouse cam"]
    assert {alert["camera_id"] for alert in _alerts(lead)} == {site["warehouse_cam"], site["gate_cam"]}
    assert len(lead.ok("GET", "/api/exports/")["results"]) == 2


def test_media_and_live_of_a_camera_outside_the_group_answer_404(site):
    guard, lead = site["guard"], site["lead"]
    by_camera = {alert["camera_id"]: alert for alert in _alerts(lead)}
    for camera_id, expected in ((site["warehouse_cam"], 200), (site["gate_cam"], 404)):
        alert = by_camera[camera_id]
        assert alert["snapshot_url"] and alert["clip"], alert
        assert _media(guard, alert["snapshot_url"]) == expected, ("snapshot", camera_id)
        assert _media(guard, alert["clip"]["url"]) == expected, ("clip", camera_id)
        assert _media(lead, alert["snapshot_url"]) == 200 and _media(lead, alert["clip"]["url"]) == 200
        assert (guard.get(f"/api/alerts/{alert['id']}/").status_code == 200) == (expected == 200)
    assert guard.get(f"/api/cameras/{site['warehouse_cam']}/live/").status_code not in DENIED
    assert guard.get(f"/api/cameras/{site['gate_cam']}/live/").status_code == 404
    assert guard.get(f"/api/cameras/{site['gate_cam']}/recordings/").status_code == 404
    gate_alert = by_camera[site["gate_cam"]]["id"]
    assert guard.request("POST", f"/api/alerts/{gate_alert}/acknowledge/").status_code == 404


def test_a_narrowed_admin_changes_their_groups_cameras_and_nothing_team_wide(site):
    admin, team = site["siteadmin"], site["team"]
    assert (
        admin.request(
            "PATCH", f"/api/cameras/{site['warehouse_cam']}/", json={"name": "Warehouse cam"}
        ).status_code
        == 200
    )
    assert (
        admin.request("PATCH", f"/api/cameras/{site['gate_cam']}/", json={"name": "taken"}).status_code == 404
    )
    new_camera = {"name": "sneaked in", "rtsp_url": "rtsp://10.0.0.30/s", "team": team}
    assert admin.request("POST", "/api/cameras/", json=new_camera).status_code == 403
    # The team's settings: read as an admin reads them, changed only by members of the whole team.
    channels = admin.ok("GET", "/api/notifications/channels/")["results"]
    assert [channel["id"] for channel in channels] == [site["channel"]]
    assert (
        admin.request(
            "PATCH", f"/api/notifications/channels/{site['channel']}/", json={"name": "x"}
        ).status_code
        == 403
    )
    groups = admin.ok("GET", f"/api/teams/{team}/groups/")["results"]
    assert [group["name"] for group in groups] == ["Warehouse"]
    # Else they would put the gate camera in their own group.
    widen = {"cameras": [site["warehouse_cam"], site["gate_cam"]]}
    assert (
        admin.request("PATCH", f"/api/teams/{team}/groups/{site['warehouse']}/", json=widen).status_code
        == 403
    )
    assert admin.request("POST", f"/api/teams/{team}/groups/", json={"name": "Mine"}).status_code == 403


def test_a_camera_of_another_team_is_refused_in_a_group(site):
    owner, team = site["owner"], site["team"]
    refused = owner.request(
        "POST", f"/api/teams/{team}/groups/", json={"name": "Spy", "cameras": [site["foreign_cam"]]}
    )
    assert refused.status_code == 400
    assert refused.json() == {"cameras": [f"Not cameras of this team: {site['foreign_cam']}."]}
    url = f"/api/teams/{team}/groups/{site['warehouse']}/"
    mixed = owner.request("PATCH", url, json={"cameras": [site["warehouse_cam"], site["foreign_cam"]]})
    assert mixed.status_code == 400
    assert owner.ok("GET", url)["cameras"] == [site["warehouse_cam"]]
    assert [group["name"] for group in owner.ok("GET", f"/api/teams/{team}/groups/")["results"]] == [
        "Warehouse"
    ]


def test_a_camera_taken_out_of_the_group_is_out_of_reach_at_the_next_request(site):
    owner, guard = site["owner"], site["guard"]
    url = f"/api/teams/{site['team']}/groups/{site['warehouse']}/"
    camera = f"/api/cameras/{site['warehouse_cam']}/"
    assert guard.get(camera).status_code == 200
    try:
        assert owner.ok("PATCH", url, json={"cameras": []})["cameras"] == []
        assert guard.get(camera).status_code == 404
        assert guard.ok("GET", "/api/cameras/")["results"] == []
        assert _alerts(guard) == []
        # Still narrowed (to a group with no camera): not widened to the whole team.
        assert guard.get(f"/api/cameras/{site['gate_cam']}/").status_code == 404
    finally:
        owner.ok("PATCH", url, json={"cameras": [site["warehouse_cam"]]})
    assert guard.get(camera).status_code == 200


def test_members_show_their_groups_and_are_widened_and_narrowed_by_patch(site):
    owner, team = site["owner"], site["team"]
    rows = {row["username"]: row for row in owner.ok("GET", f"/api/teams/{team}/members/")["results"]}
    assert rows["guard"]["groups"] == [site["warehouse"]] and rows["lead"]["groups"] == []
    lead_id = rows["lead"]["user_id"]
    member = f"/api/teams/{team}/members/{lead_id}/"
    try:
        assert owner.ok("PATCH", member, json={"groups": [site["warehouse"]]})["groups"] == [
            site["warehouse"]
        ]
        assert [c["name"] for c in site["lead"].ok("GET", "/api/cameras/")["results"]] == ["Warehouse cam"]
    finally:
        assert owner.ok("PATCH", member, json={"groups": []})["groups"] == []
    assert len(site["lead"].ok("GET", "/api/cameras/")["results"]) == 2
    # The owner cannot be narrowed; a group that narrows someone cannot be deleted.
    owner_id = rows["demo"]["user_id"]
    narrowed_owner = owner.request(
        "PATCH", f"/api/teams/{team}/members/{owner_id}/", json={"groups": [site["warehouse"]]}
    )
    assert narrowed_owner.status_code == 400 and "owner" in narrowed_owner.text
    deleted = owner.request("DELETE", f"/api/teams/{team}/groups/{site['warehouse']}/")
    assert deleted.status_code == 400 and "guard" in deleted.text
    assert owner.get(f"/api/teams/{team}/groups/{site['warehouse']}/").status_code == 200


def test_a_group_that_narrows_nobody_is_deleted(site):
    owner, team = site["owner"], site["team"]
    made = owner.ok(
        "POST", f"/api/teams/{team}/groups/", 201, json={"name": "Front gate", "cameras": [site["gate_cam"]]}
    )
    assert made["cameras"] == [site["gate_cam"]] and made["team"] == team
    duplicate = owner.request("POST", f"/api/teams/{team}/groups/", json={"name": "Front gate"})
    assert duplicate.status_code == 400 and "name" in duplicate.json()
    renamed = owner.ok("PATCH", f"/api/teams/{team}/groups/{made['id']}/", json={"name": "Gate"})
    assert renamed["name"] == "Gate" and renamed["cameras"] == [site["gate_cam"]]
    owner.ok("DELETE", f"/api/teams/{team}/groups/{made['id']}/", 204)
    assert owner.get(f"/api/teams/{team}/groups/{made['id']}/").status_code == 404
    assert owner.get(f"/api/cameras/{site['gate_cam']}/").status_code == 200  # the camera stays


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Big", "cameras": list(range(1, 10_001))},
        {"name": "Bad", "cameras": ["a"]},
        {"name": "Bad", "cameras": [1.5]},
        {"name": "Bad", "cameras": [True]},
        {"name": "Bad", "cameras": [None]},
        {"name": "Bad", "cameras": ["\u0661"]},
        {"name": "Bad", "cameras": [0]},
        {"name": "Bad", "cameras": [2**63]},
        {"name": "Bad", "cameras": "1,2"},
        {"name": "Bad", "cameras": {"1": 1}},
        {"name": "x" * 101},
        {"name": ""},
        {"cameras": []},
    ],
    ids=["10000-ids", "letter", "float", "bool", "null", "arabic-digit", "zero", "too-big", "string",
         "object", "long-name", "empty-name", "no-name"],
)  # fmt: skip
def test_oversized_or_malformed_groups_are_refused_with_a_short_400(site, body):
    owner, team = site["owner"], site["team"]
    response = owner.request("POST", f"/api/teams/{team}/groups/", json=body)
    assert response.status_code == 400, response.text[:300]
    assert len(response.content) < 500  # one message, not one per item
    if len(body.get("cameras", [])) == 10_000:
        assert response.json() == {"cameras": ["At most 1000 ids (CAMERA_GROUP_CAMERAS_MAX); 10000 given."]}
    if body.get("cameras"):  # the same list in a PATCH: refused, the group as it was
        url = f"/api/teams/{team}/groups/{site['warehouse']}/"
        assert owner.request("PATCH", url, json={"cameras": body["cameras"]}).status_code == 400
        assert owner.ok("GET", url)["cameras"] == [site["warehouse_cam"]]


@pytest.mark.parametrize(
    "groups",
    [list(range(1, 10_001)), ["a"], [None], "1", [999_999]],
    ids=["10000-ids", "letter", "null", "string", "unknown"],
)
def test_malformed_member_groups_are_refused_with_a_short_400(site, groups):
    owner, team = site["owner"], site["team"]
    lead_id = next(
        row["user_id"]
        for row in owner.ok("GET", f"/api/teams/{team}/members/")["results"]
        if row["username"] == "lead"
    )
    response = owner.request("PATCH", f"/api/teams/{team}/members/{lead_id}/", json={"groups": groups})
    assert response.status_code == 400 and len(response.content) < 500, response.text[:300]
    assert "groups" in response.json()
    assert len(site["lead"].ok("GET", "/api/cameras/")["results"]) == 2  # nothing changed


def test_a_group_of_another_team_does_not_narrow_a_member(site):
    outsider, owner, team = site["outsider"], site["owner"], site["team"]
    outsider_team = next(
        t["id"] for t in outsider.ok("GET", "/api/teams/")["results"] if t["name"] == "Elsewhere"
    )
    theirs = outsider.ok(
        "POST", f"/api/teams/{outsider_team}/groups/", 201, json={"name": "Theirs", "cameras": []}
    )
    refused = owner.request(
        "POST",
        f"/api/teams/{team}/members/",
        json={"username": "outsider", "role": "viewer", "groups": [theirs["id"]]},
    )
    assert refused.status_code == 400 and refused.json() == {
        "groups": [f"Not camera groups of this team: {theirs['id']}."]
    }
    # Nor does anyone reach a group of a team they are not in.
    assert owner.get(f"/api/teams/{outsider_team}/groups/{theirs['id']}/").status_code == 404
    assert owner.get(f"/api/teams/{team}/groups/{theirs['id']}/").status_code == 404
