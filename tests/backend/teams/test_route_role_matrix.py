"""The route x role matrix over real HTTP (issue 25), generated from the permission table.

One real backend (gunicorn, on the suite's database kind) holds a team ``T`` with a member of every role,
a former member (removed through the API just before, their token and session kept), an outsider (owner
of another team), a camera ingest token of that other team's camera, and an admin of ``T`` narrowed to a
camera group that holds none of the marked rows. Every route the URL resolver
knows (a new one fails ``test_every_route_is_in_the_matrix`` until it is classified here), the dashboard
pages, a snapshot's media URL and the live stream URLs are asked by each of them with each method:

- a principal whose role in ``T`` allows the route's action gets past the access check (not 401, 403 or
  404; the object's own detail answers 200 with the row);
- any other principal gets 401, 403 or 404 on an object route, and never a body holding ``T``'s rows;
- on list routes ``T``'s rows appear exactly for the principals whose role allows the list's action;
- the narrowed admin reads ``T``'s settings (the team, its members and groups, its channels) as an admin
  and reaches none of the marked camera's rows, changes nothing team-wide, and gets past the access check
  on every camera route of the camera in their group.

Principals go from least to most allowed, so that a write by an allowed one (an acknowledgement) is not
what a denied one is measured against. An allowed DELETE is not sent (it would take the row away from the
principals after it); teams' API tests delete as owner.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from support.backend import server_database, start_backend
from teams.permissions import ROLE_ACTIONS, Action, Role

pytestmark = pytest.mark.database  # the backend process runs on the suite's database kind

SETUP = (Path(__file__).with_name("matrix_setup.py")).read_text()

# Least allowed first (see the module's docstring).
PRINCIPALS = ["ingest", "removed", "outsider", "narrowed", "auditor", "viewer", "operator", "admin", "owner"]
MEMBERS = {"auditor", "viewer", "operator", "admin", "owner"}
DENIED = {401, 403, 404}

# Routes that hold no team's rows: public probes, login pages, the API's description, the admin (staff
# only, its own permissions), pages to create rows in the caller's personal team.
NOT_TEAM_ROWS = {
    "healthz", "readyz", "metrics", "api-token-auth", "schema", "swagger-ui", "redoc",
    "login", "logout", "password_reset", "jsi18n", "camera-create", "channel-create",
    # A user's own API tokens (api_tokens scopes them by user, whatever the teams).
    "tokens", "token-revoke", "api-tokens", "api-token",
    # Single sign-on: anyone may start or finish a sign-in (404 while OIDC_ISSUER is empty).
    "oidc-login", "oidc-callback",
    # The dashboard's current team: the caller's own session; a team they are not in is a 400.
    "team-switch",
}  # fmt: skip
CAMERA_TOKEN_ONLY = object()  # a route only the camera's own ingest token may call


@dataclass(frozen=True)
class Rule:
    action: Action | object
    kind: str = ""  # the row kind in the path ("" for a list or a body-addressed route)
    listed: str = ""  # a list whose rows must show exactly for the allowed ("": not checked)
    body: str = ""  # which request body to send ("": none)
    detail: bool = False  # the row's own detail: allowed answers 200 with the row
    # Allowed principals skip it: it takes the row away (or switches the camera off) for those after them.
    destroys: bool = False
    # The path names a part of the row that the site does not hold (a recording segment): allowed
    # principals may get 404 from it after the access check; denied ones are checked all the same.
    part_missing: bool = False


R = Rule
A = Action
# route name -> method -> rule. Dashboard routes and REST routes alike; methods are the ones the route serves.
RULES: dict[str, dict[str, Rule]] = {
    # REST
    "camera-list": {"get": R(A.VIEW, listed="cameras"), "post": R(A.CHANGE, body="camera")},
    "camera-detail": {
        "get": R(A.VIEW, "cameras", detail=True), "put": R(A.CHANGE, "cameras", body="empty"),
        "patch": R(A.CHANGE, "cameras", body="empty"), "delete": R(A.CHANGE, "cameras"),
    },
    "camera-activate": {"post": R(A.CHANGE, "cameras")},
    "camera-deactivate": {"post": R(A.CHANGE, "cameras", destroys=True)},
    "camera-rotate-token": {"post": R(A.CHANGE, "cameras")},
    "camera-live": {"get": R(A.VIEW_MEDIA, "cameras")},
    "camera-live-stream": {"get": R(A.VIEW_MEDIA, "cameras")},
    "camera-live-hls": {"get": R(A.VIEW_MEDIA, "cameras")},
    "camera-live-sub-hls": {"get": R(A.VIEW_MEDIA, "cameras")},
    "camera-live-detections": {"get": R(A.VIEW_MEDIA, "cameras")},
    "camera-live-sub": {"get": R(A.VIEW_MEDIA, "cameras")},
    "camera-heartbeat": {"post": R(A.CHANGE, "cameras", body="empty")},
    "camera-worker-settings": {"get": R(CAMERA_TOKEN_ONLY, "cameras")},
    "camera-event-update": {"put": R(A.CHANGE, "cameras", body="empty")},
    "camera-event-clip": {"put": R(A.CHANGE, "cameras")},
    "camera-recordings": {"get": R(A.VIEW_MEDIA, "cameras")},
    "recordings-motion": {"get": R(A.VIEW_MEDIA, "cameras")},
    "recording-segment": {
        "get": R(A.VIEW_MEDIA, "cameras", part_missing=True), "put": R(A.CHANGE, "cameras"),
    },
    "recordings-playlist": {"get": R(A.VIEW_MEDIA, "cameras")},
    "recording-segment-hls-init": {"get": R(A.VIEW_MEDIA, "cameras", part_missing=True)},
    "recording-segment-hls-media": {"get": R(A.VIEW_MEDIA, "cameras", part_missing=True)},
    "recordings-usage": {"get": R(A.VIEW, listed="cameras")},
    "active-cameras": {"get": R(A.RUN, listed="cameras")},
    "send-alert": {"post": R(A.CHANGE, body="alert")},
    "alert-list": {"get": R(A.VIEW, listed="alerts")},
    "alerts-to-review": {"get": R(A.VIEW)},
    "alerts-acknowledge": {"post": R(A.ACKNOWLEDGE, body="ids")},
    "alert-detail": {"get": R(A.VIEW, "alerts", detail=True)},
    "alert-acknowledge": {"post": R(A.ACKNOWLEDGE, "alerts")},
    "alerts-review": {"post": R(A.REVIEW, body="ids")},
    "alert-review": {"post": R(A.REVIEW, "alerts"), "delete": R(A.REVIEW, "alerts")},
    "exports": {"get": R(A.VIEW_MEDIA, listed="exports"), "post": R(A.EXPORT, body="export")},
    "export": {"get": R(A.VIEW_MEDIA, "exports", detail=True), "delete": R(A.EXPORT, "exports")},
    "export-download": {"get": R(A.VIEW_MEDIA, "exports")},
    "notification-channel-list": {"get": R(A.VIEW, listed="channels"), "post": R(A.CHANGE, body="channel")},
    "notification-channel-detail": {
        "get": R(A.VIEW, "channels", detail=True), "put": R(A.CHANGE, "channels", body="empty"),
        "patch": R(A.CHANGE, "channels", body="empty"), "delete": R(A.CHANGE, "channels"),
    },
    "notification-channel-test": {"post": R(A.CHANGE, "channels")},
    "notification-delivery-list": {"get": R(A.VIEW, listed="deliveries")},
    "notification-delivery-detail": {"get": R(A.VIEW, "deliveries", detail=True)},
    "team-list": {"get": R(A.VIEW, listed="teams"), "post": R(A.VIEW, body="team")},
    "team-members": {"get": R(A.VIEW, "teams"), "post": R(A.MANAGE_MEMBERS, "teams", body="member")},
    "team-member-detail": {
        "patch": R(A.MANAGE_MEMBERS, "teams", body="role"), "delete": R(A.MANAGE_MEMBERS, "teams"),
    },
    "team-groups": {"get": R(A.VIEW, "teams", detail=True), "post": R(A.CHANGE, "teams", body="group")},
    "team-group-detail": {
        "get": R(A.VIEW, "teams", detail=True), "patch": R(A.CHANGE, "teams", body="empty"),
        "delete": R(A.CHANGE, "teams"),
    },
    # T's service account is named after the mark: its list shows it to those who manage it.
    "team-service-accounts": {
        "get": R(A.MANAGE_SERVICE_ACCOUNTS, "teams", detail=True),
        "post": R(A.MANAGE_SERVICE_ACCOUNTS, "teams", body="empty"),
    },
    "team-service-account": {"delete": R(A.MANAGE_SERVICE_ACCOUNTS, "teams")},
    "team-service-account-tokens": {"post": R(A.MANAGE_SERVICE_ACCOUNTS, "teams", body="empty")},
    "team-service-account-token": {"delete": R(A.MANAGE_SERVICE_ACCOUNTS, "teams")},
    # The audit trail: T's records (its member changes name T) for its owners and auditors only.
    "audit-list": {"get": R(A.VIEW_AUDIT, listed="audit")},
    "audit-csv": {"get": R(A.VIEW_AUDIT, listed="audit")},
    # Dashboard (the session cookie)
    "index": {"get": R(A.VIEW, listed="alerts")},
    "alert-poll": {"get": R(A.VIEW)},
    "alerts-acknowledge@dashboard": {"post": R(A.ACKNOWLEDGE, body="form-ids")},
    "alert": {"get": R(A.VIEW, "alerts", detail=True)},
    "alert-acknowledge@dashboard": {"post": R(A.ACKNOWLEDGE, "alerts")},
    "alert-review@dashboard": {"post": R(A.REVIEW, "alerts")},
    "cameras": {"get": R(A.VIEW, listed="cameras")},
    "camera-edit": {"get": R(A.CHANGE, "cameras")},
    "camera-activate@dashboard": {"post": R(A.CHANGE, "cameras")},
    "camera-deactivate@dashboard": {"post": R(A.CHANGE, "cameras", destroys=True)},
    "zones": {"get": R(A.CHANGE, "cameras")},
    "live": {"get": R(A.VIEW_MEDIA, "cameras")},
    "timeline": {"get": R(A.VIEW_MEDIA, "cameras")},
    "wall": {"get": R(A.VIEW)},
    "statistics": {"get": R(A.VIEW)},
    "notifications": {"get": R(A.VIEW, listed="channels")},
    "channel-edit": {"get": R(A.CHANGE, "channels")},
    "channel-test": {"post": R(A.CHANGE, "channels")},
    "channel-delete": {"post": R(A.CHANGE, "channels", destroys=True)},
    "deliveries": {"get": R(A.VIEW)},
    "teams": {"get": R(A.VIEW, listed="teams")},
    "team": {"get": R(A.VIEW, "teams", detail=True)},
    "team-member-add": {"post": R(A.MANAGE_MEMBERS, "teams", body="member")},
    "team-member-role": {"post": R(A.MANAGE_MEMBERS, "teams", body="role")},
    "team-member-remove": {"post": R(A.MANAGE_MEMBERS, "teams", destroys=True)},
    # The owner's own groups set to none (the whole team, as they are): past the check, nothing changes.
    "team-member-groups": {"post": R(A.MANAGE_MEMBERS, "teams", body="empty")},
    "team-group-create": {"post": R(A.CHANGE, "teams", body="group")},
    # An empty form: the allowed get past the check to the form's 400, and T's group keeps its name.
    "team-group-edit": {"post": R(A.CHANGE, "teams", body="empty")},
    "team-group-delete": {"post": R(A.CHANGE, "teams", destroys=True)},
    "team-service-account-create": {"post": R(A.MANAGE_SERVICE_ACCOUNTS, "teams", body="empty")},
    "team-service-account-delete": {"post": R(A.MANAGE_SERVICE_ACCOUNTS, "teams", destroys=True)},
    "team-service-account-token-revoke": {"post": R(A.MANAGE_SERVICE_ACCOUNTS, "teams", destroys=True)},
    # Media (a regex route: not enumerable; the snapshot of T's alert)
    "snapshot-file": {"get": R(A.VIEW_MEDIA, "snapshot")},
}  # fmt: skip


@dataclass(frozen=True)
class Route:
    key: str  # RULES' key: the name, with "@dashboard" where the API has a route of the same name
    template: str


def _walk(patterns, prefix: str = "") -> list[Route]:
    routes: list[Route] = []
    for entry in patterns:
        if not isinstance(entry.pattern, RoutePattern):
            continue
        template = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            routes += _walk(entry.url_patterns, template)
        elif isinstance(entry, URLPattern) and not template.startswith("admin/"):
            name = entry.name or template
            dashboard_twin = template.startswith("dashboard/") and f"{name}@dashboard" in RULES
            routes.append(Route(f"{name}@dashboard" if dashboard_twin else name, template))
    return routes


ROUTES = _walk(get_resolver().url_patterns)


def test_every_route_is_in_the_matrix():
    unclassified = [
        route.template for route in ROUTES if route.key not in RULES and route.key not in NOT_TEAM_ROWS
    ]
    assert unclassified == [], "classify these routes in RULES (or NOT_TEAM_ROWS)"
    assert {route.key for route in ROUTES} | {"snapshot-file"} >= set(RULES), (
        "RULES names a route that is gone"
    )


# Rows of the team's settings, not of a camera: a narrowed member reads them as their role allows.
TEAM_SETTINGS = {"teams", "channels"}
NARROWED_ROLE = Role.ADMIN


def allowed(principal: str, rule: Rule) -> bool:
    action = rule.action
    if principal == "narrowed":
        # Every marked row hangs off the camera outside their group; of the settings they only read.
        settings_row = rule.kind in TEAM_SETTINGS or rule.listed in TEAM_SETTINGS
        return settings_row and action is A.VIEW and action in ROLE_ACTIONS[NARROWED_ROLE]
    if action is CAMERA_TOKEN_ONLY or principal not in MEMBERS:
        return False
    return action in ROLE_ACTIONS[Role(principal)]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with (
        server_database("cctv_matrix") as database_url,
        start_backend(tmp_path_factory.mktemp("matrix"), database_url=database_url, threads=4) as backend,
    ):
        printed = backend.manage("shell", "-c", SETUP).stdout.strip().splitlines()[-1]
        data = json.loads(printed)
        sessions = {}
        for name, who in data["principals"].items():
            session = requests.Session()
            session.headers["Authorization"] = f"Token {who['token']}"
            # The session cookie (the dashboard), and Django's double-submit CSRF pair for its forms.
            session.headers["Cookie"] = f"sessionid={who['session']}; csrftoken={'c' * 32}"
            session.headers["X-CSRFToken"] = "c" * 32
            sessions[name] = session
        camera_session = requests.Session()
        camera_session.headers["Authorization"] = f"Token {data['ingest_token']}"
        sessions["ingest"] = camera_session
        yield backend, data, sessions
        for session in sessions.values():
            session.close()


def _url(route: Route, data: dict, kind: str) -> str:
    if kind == "snapshot":
        return f"/media/{data['snapshot']}"
    row = data["rows"].get(kind or "cameras", 1)
    path = route.template.replace("<int:group_id>", str(data["rows"]["groups"]))
    path = re.sub(r"<int:pk>|<int:\w+_id>", str(row), path, count=1)
    path = re.sub(r"<int:user_id>", str(data["principals"]["owner"]["id"]), path)
    path = re.sub(r"<int:account_id>", str(data["rows"]["service_accounts"]), path)
    path = re.sub(r"<int:token_id>", str(data["rows"]["service_account_tokens"]), path)
    path = re.sub(r"<int:\w+>", "1", path)
    path = re.sub(r"<str:name>", "index.m3u8", path)
    path = re.sub(r"<(?:str|path|slug):\w+>", "k1", path)
    return "/" + path


def _body(kind: str, data: dict, principal: str) -> dict:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    camera, alert = data["rows"]["cameras"], data["rows"]["alerts"]
    bodies = {
        "": {},
        "empty": {},
        "camera": {"name": f"new {principal}", "rtsp_url": "rtsp://10.0.0.4/n", "team": data["team"]},
        "channel": {
            "kind": "email", "name": f"new {principal}", "addresses": ["a@example.com"], "team": data["team"],
        },
        "alert": {"camera_id": camera, "alert_type": "person", "confidence": 0.9, "description": "m"},
        "ids": {"ids": [alert]},
        "form-ids": {"ids": [alert]},
        "export": {
            "camera": camera, "name": f"x {principal}",
            "start": (now - dt.timedelta(hours=2)).isoformat(),
            "end": (now - dt.timedelta(hours=1)).isoformat(),
        },
        "team": {"name": f"team of {principal}"},
        "member": {"username": "nobody-such", "role": "viewer"},
        "role": {"role": "owner"},
        "group": {"name": f"group of {principal}", "cameras": [camera]},
    }  # fmt: skip
    return bodies[kind]


def _cases(routes: list[Route]) -> list[tuple[Route, str, Rule]]:
    cases = []
    for route in [*routes, Route("snapshot-file", "media/<snapshot>")]:
        for method, rule in RULES.get(route.key, {}).items():
            cases.append((route, method, rule))
    return cases


def test_no_principal_reaches_rows_their_role_does_not_allow(site):
    backend, data, sessions = site
    mark = data["mark"]
    # The removed member saw T's camera a moment ago; their owner removes them through the API.
    camera_url = f"{backend.url}/api/cameras/{data['rows']['cameras']}/"
    assert sessions["removed"].get(camera_url, timeout=30).status_code == 200
    removed_id = data["principals"]["removed"]["id"]
    gone = sessions["owner"].delete(
        f"{backend.url}/api/teams/{data['team']}/members/{removed_id}/", timeout=30
    )
    assert gone.status_code == 204

    leaks: list[str] = []
    cases = _cases(ROUTES)
    assert len(cases) >= 75  # the routes of today; more as routes are added
    for principal in PRINCIPALS:
        session = sessions[principal]
        for route, method, rule in cases:
            may = allowed(principal, rule)
            if may and (rule.destroys or (method == "delete" and rule.action is not A.REVIEW)):
                continue  # see the module's docstring
            url = backend.url + _url(route, data, rule.kind)
            body = _body(rule.body, data, principal)
            form = rule.body.startswith("form") or route.template.startswith("dashboard/")
            send = {"data": body} if form else {"json": body} if method != "get" else {}
            response = session.request(method, url, timeout=30, allow_redirects=False, **send)
            status, text = response.status_code, response.text
            if principal == "narrowed" and not may:
                # The team's name is a team setting every member reads (the dashboard's team switcher
                # names the teams one is in): not a row of the cameras outside their groups.
                text = text.replace(f"{mark} team", "")
            where = f"{principal} {method.upper()} {route.template} -> {status}"
            if rule.kind and rule.body != "role":  # an object route
                if may and (status in (DENIED - {404} if rule.part_missing else DENIED)):
                    leaks.append(f"{where}: refused although the role allows {rule.action}")
                if not may and (status not in DENIED | {302} or mark in text):
                    leaks.append(f"{where}: reached although the role does not allow it")
                if may and rule.detail and (status != 200 or mark not in text):
                    leaks.append(f"{where}: the allowed detail did not show the row")
            elif rule.listed and method == "get":
                if not may and mark in text:
                    leaks.append(f"{where}: the list shows T's rows")
                if may and (status != 200 or mark not in text):
                    leaks.append(f"{where}: the list hides T's rows from an allowed role")
            else:
                if not may and mark in text:
                    leaks.append(f"{where}: the answer shows T's rows")
                if not may and status in (200, 201) and rule.body in ("camera", "channel", "alert", "export"):
                    leaks.append(f"{where}: created a row in T although the role does not allow it")
                if may and status in (401, 403):
                    leaks.append(f"{where}: refused although the role allows {rule.action}")
    # A body-addressed write that answered 200 must have changed nothing for a denied principal.
    assert leaks == [], "\n".join(leaks)


def test_the_member_patch_route_follows_the_table(site):
    # PATCH .../members/<owner>/ {"role": "owner"}: owners get past the check (a no-op), others 403/404.
    backend, data, sessions = site
    url = f"{backend.url}/api/teams/{data['team']}/members/{data['principals']['owner']['id']}/"
    for principal in PRINCIPALS:
        status = sessions[principal].patch(url, json={"role": "owner"}, timeout=30).status_code
        assert (status == 200) == (principal == "owner"), (principal, status)


def test_the_narrowed_member_reaches_the_camera_in_their_group(site):
    # Every camera route their role (admin) allows, on the camera in their group: past the access check.
    backend, data, sessions = site
    inside = {**data, "rows": {**data["rows"], "cameras": data["rows"]["inside"]}}
    refused = []
    for route, method, rule in _cases(ROUTES):
        if rule.kind != "cameras" or method != "get" or rule.action not in ROLE_ACTIONS[NARROWED_ROLE]:
            continue
        response = sessions["narrowed"].get(
            backend.url + _url(route, inside, "cameras"), timeout=30, allow_redirects=False
        )
        if response.status_code in (DENIED - {404} if rule.part_missing else DENIED):
            refused.append(f"GET {route.template} -> {response.status_code}")
    assert refused == []
    listed = sessions["narrowed"].get(f"{backend.url}/api/cameras/", timeout=30).json()["results"]
    assert [camera["id"] for camera in listed] == [data["rows"]["inside"]]
