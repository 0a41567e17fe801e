"""The audit trail (issue 25): each audited action leaves exactly one record, over the real API, login
forms and admin; records cannot be changed or deleted through the model, a queryset, the API or the admin;
the list filters, refuses bad filters, streams CSV; old records go with the retention job."""

from __future__ import annotations

import asyncio
import csv
import time
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone
from recordings import services as recording_services

from audit.actions import AuditAction
from audit.models import AppendOnlyError, AuditRecord
from audit.services import audit_record
from backend.conftest import client_for
from backend.test_live import OneAnswer, heartbeat
from exports.models import Export, ExportStatus
from notifications import services as notification_services
from support.clips import make_mp4
from support.clock import iso, recent
from support.django_fixtures import PASSWORD
from teams.services import member_add, personal_team_of, team_create

pytestmark = pytest.mark.django_db


def read_all(response) -> bytes:
    """The body of a streaming response whose content is an async iterator (as the ASGI server reads it)."""

    async def collect() -> bytes:
        return b"".join([bytes(chunk) async for chunk in response.streaming_content])

    return async_to_sync(collect)()


def records(**filters) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(**filters))


def only_record(**filters) -> AuditRecord:
    found = records(**filters)
    assert len(found) == 1, [str(record) for record in found]
    return found[0]


@pytest.fixture
def staff(make_user):
    user = make_user("auditor-staff")
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def staff_client(staff):
    from rest_framework.authtoken.models import Token

    return client_for(Token.objects.create(user=staff).key)


@pytest.fixture
def admin_client(client, db):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "x" * 20))
    AuditRecord.objects.all()._raw_delete("default")  # the force_login's own sign-in record
    return client


# --- sign-ins ----------------------------------------------------------------------------------------


def test_an_api_token_login_leaves_one_sign_in_record_with_the_address(anonymous_client, alice):
    response = anonymous_client.post("/api-token-auth/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    record = only_record()
    assert (record.action, record.user_id, record.username) == (AuditAction.SIGN_IN, alice.pk, "alice")
    assert record.client_address == "127.0.0.1" and record.summary == "via /api-token-auth/"
    assert record.team_id is None  # a sign-in belongs to no team


def test_a_failed_login_leaves_one_record_with_the_name_tried_and_no_user(anonymous_client, alice):
    response = anonymous_client.post("/api-token-auth/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 400
    record = only_record()
    assert (record.action, record.user_id, record.username) == (AuditAction.SIGN_IN_FAILED, None, "alice")


def test_the_address_is_the_login_throttles_own_proxy_rule(anonymous_client, alice, settings):
    anonymous_client.post(
        "/api-token-auth/", {"username": "nobody", "password": "x"}, HTTP_X_FORWARDED_FOR="203.0.113.9"
    )
    assert only_record().client_address == "127.0.0.1"  # no proxy configured: the header is not trusted
    settings.NUM_PROXIES = 1
    anonymous_client.post(
        "/api-token-auth/", {"username": "nobody", "password": "x"}, HTTP_X_FORWARDED_FOR="203.0.113.9"
    )
    assert records()[0].client_address == "203.0.113.9"


def test_a_dashboard_login_and_logout_leave_one_record_each(client, alice):
    response = client.post("/dashboard/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    only_record(action=AuditAction.SIGN_IN, user_id=alice.pk)
    client.post("/dashboard/logout/")
    only_record(action=AuditAction.SIGN_OUT, user_id=alice.pk)
    client.post("/dashboard/login/", {"username": "alice", "password": "wrong"})
    only_record(action=AuditAction.SIGN_IN_FAILED, username="alice")
    assert len(records()) == 3


# --- cameras and channels ----------------------------------------------------------------------------


def test_each_camera_change_through_the_api_leaves_one_record(alice_client, alice):
    body = {"name": "Gate", "rtsp_url": "rtsp://10.0.0.7/live"}
    camera_id = alice_client.post("/api/cameras/", body, format="json").json()["id"]
    created = only_record(action=AuditAction.CAMERA_CREATED)
    assert (created.camera_id, created.object_type, created.object_id) == (
        camera_id,
        "camera",
        str(camera_id),
    )
    assert created.user_id == alice.pk and "Gate" in created.summary
    assert created.team_id == personal_team_of(alice).pk  # the camera's team
    assert (
        alice_client.patch(f"/api/cameras/{camera_id}/", {"name": "Back gate"}, format="json").status_code
        == 200
    )
    assert "Back gate" in only_record(action=AuditAction.CAMERA_UPDATED).summary
    alice_client.post(f"/api/cameras/{camera_id}/activate/")
    assert len(records(action=AuditAction.CAMERA_UPDATED)) == 2
    assert alice_client.delete(f"/api/cameras/{camera_id}/").status_code == 204
    deleted = only_record(action=AuditAction.CAMERA_DELETED)
    assert deleted.camera_id == camera_id  # the record outlives its camera
    assert deleted.team_id == created.team_id
    assert len(records()) == 4


def test_a_refused_camera_change_leaves_no_record(alice_client, bob_camera):
    assert (
        alice_client.post("/api/cameras/", {"name": "x", "rtsp_url": "http://x"}, format="json").status_code
        == 400
    )
    assert alice_client.delete(f"/api/cameras/{bob_camera.pk}/").status_code == 404
    assert records() == []


def test_each_channel_change_through_the_api_leaves_one_record(alice_client, alice):
    shared = team_create(user=alice, name="Guards' team")
    body = {"kind": "email", "name": "Guards", "addresses": ["guards@example.com"], "team": shared.pk}
    response = alice_client.post("/api/notifications/channels/", body, format="json")
    assert response.status_code == 201, response.content
    channel_id = response.json()["id"]
    only_record(action=AuditAction.CHANNEL_CREATED, object_id=str(channel_id), team_id=shared.pk)
    url = f"/api/notifications/channels/{channel_id}/"
    assert alice_client.patch(url, {"name": "Night guards"}, format="json").status_code == 200
    only_record(action=AuditAction.CHANNEL_UPDATED, team_id=shared.pk)
    assert alice_client.delete(url).status_code == 204
    only_record(action=AuditAction.CHANNEL_DELETED, object_id=str(channel_id), team_id=shared.pk)
    assert len(records(action__startswith="channel_")) == 3


def test_each_camera_and_channel_change_in_the_admin_leaves_one_record(admin_client, alice, alice_camera):
    form = {
        "user": alice.pk, "name": "Door 2", "rtsp_url": "rtsp://10.0.0.5/x", "alert_types": '["person"]',
        "confidence_threshold": 0.5, "frame_skip": 30, "cooldown_seconds": 60, "min_box_area": 0,
        "zones": "[]",
    }  # fmt: skip
    response = admin_client.get(f"/admin/surveillance/camera/{alice_camera.pk}/change/")
    initial = {
        field.name: field.value() for field in response.context["adminform"].form if field.value() is not None
    }
    response = admin_client.post(f"/admin/surveillance/camera/{alice_camera.pk}/change/", {**initial, **form})
    assert response.status_code == 302, response.context["adminform"].form.errors
    changed = only_record(action=AuditAction.CAMERA_UPDATED)
    assert changed.username == "root" and changed.camera_id == alice_camera.pk
    channel = notification_services.channel_create(
        user=alice, kind="email", name="Mail", addresses=["a@example.com"]
    )
    response = admin_client.post(f"/admin/notifications/channel/{channel.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    only_record(action=AuditAction.CHANNEL_DELETED, object_id=str(channel.pk))
    admin_client.post(
        "/admin/surveillance/camera/",
        {"action": "delete_selected", "_selected_action": [alice_camera.pk], "post": "yes"},
    )
    only_record(action=AuditAction.CAMERA_DELETED, camera_id=alice_camera.pk)
    assert len(records()) == 3


# --- footage and exports -----------------------------------------------------------------------------


def test_a_playlist_leaves_one_record_and_its_segments_none(alice_client, alice_camera, tmp_path, media_root):
    start = recent(minutes=5)
    upload = make_mp4(tmp_path / "segment.mp4", seconds=2)
    recording_services.segment_store(
        camera=alice_camera, start=start, end=start + timedelta(seconds=2), kind="continuous",
        upload=upload,
    )  # fmt: skip
    window = f"start={iso(start)}&end={iso(start + timedelta(minutes=1))}"
    url = f"/api/cameras/{alice_camera.pk}/recordings/playlist.m3u8?{window}"
    response = alice_client.get(url)
    assert response.status_code == 200
    segment_urls = [
        line for line in response.content.decode().splitlines() if line and not line.startswith("#")
    ]
    assert segment_urls
    start_ms = round(start.timestamp() * 1000)
    for part in ("init.mp4", "media.m4s"):
        path = f"/api/cameras/{alice_camera.pk}/recordings/segments/{start_ms}/hls/{part}"
        assert alice_client.get(path).status_code == 200
    record = only_record()
    assert (record.action, record.camera_id) == (AuditAction.FOOTAGE_PLAYED, alice_camera.pk)
    assert record.team_id == alice_camera.team_id
    assert iso(start) in record.summary


def test_an_export_made_and_downloaded_leaves_one_record_each(alice_client, alice, alice_camera, media_root):
    start = recent(minutes=10)
    body = {
        "camera": alice_camera.pk,
        "start": iso(start),
        "end": iso(start + timedelta(minutes=1)),
        "name": "Gate",
    }
    response = alice_client.post("/api/exports/", body, format="json")
    assert response.status_code == 201, response.content
    made = only_record(action=AuditAction.EXPORT_CREATED)
    assert (made.object_type, made.object_id, made.camera_id, made.team_id) == (
        "export",
        str(response.json()["id"]),
        alice_camera.pk,
        alice_camera.team_id,
    )
    export = Export.objects.get()
    export.file.save("gate.mp4", ContentFile(b"\0" * 1000), save=False)
    export.status = ExportStatus.DONE
    export.save()
    url = f"/api/exports/{export.pk}/download/"
    assert alice_client.get(url).status_code == 200
    # A player's ranges of the same file are the same download.
    assert alice_client.get(url, HTTP_RANGE="bytes=0-99").status_code == 206
    assert alice_client.get(url, HTTP_RANGE="bytes=100-199").status_code == 206
    assert len(records(action=AuditAction.EXPORT_DOWNLOADED, team_id=alice_camera.team_id)) == 2
    assert len(records()) == 3


# --- live views --------------------------------------------------------------------------------------


def wait_for(condition, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while not (found := condition()):
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.02)
    return found


@pytest.mark.django_db(transaction=True)  # the end may be written from a thread of its own
def test_a_live_view_leaves_one_start_and_one_stop(alice_client, camera_client, alice_camera):
    worker = OneAnswer(b"HTTP/1.0 200 OK\r\nX-Codec: avc1.64001f\r\n\r\n" + b"\0" * 5000)
    heartbeat(camera_client, alice_camera, url=f"http://127.0.0.1:{worker.port}/live")
    response = alice_client.get(f"/api/cameras/{alice_camera.pk}/live/stream/")
    assert response.status_code == 200
    started = only_record(action=AuditAction.LIVE_STARTED)
    assert (started.camera_id, started.summary, started.username) == (alice_camera.pk, "main stream", "alice")
    assert started.team_id == alice_camera.team_id
    assert records(action=AuditAction.LIVE_STOPPED) == []
    assert len(read_all(response)) == 5000  # the worker ends the session
    response.close()
    stopped = wait_for(lambda: records(action=AuditAction.LIVE_STOPPED))
    assert len(stopped) == 1 and stopped[0].username == "alice" and stopped[0].client_address == "127.0.0.1"
    assert stopped[0].team_id == alice_camera.team_id
    time.sleep(0.2)  # nothing more comes: the close and the end of the stream are one stop
    assert len(records(action=AuditAction.LIVE_STOPPED)) == 1


@pytest.mark.django_db(transaction=True)
def test_a_live_view_over_the_websocket_leaves_one_start_and_one_stop(
    alice, camera_client, alice_camera, monkeypatch
):
    from django.core.handlers.asgi import ASGIHandler
    from django.core.signals import request_finished
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from surveillance.cameras.live_ws import LiveWebSocket

    # The handler's threads close their connections when the request is done (the test database is dropped
    # after the test, which an idle kept connection would hold up).
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    worker = OneAnswer(b"HTTP/1.0 200 OK\r\nX-Codec: avc1.64001f\r\n\r\n" + b"\0" * 3000)
    heartbeat(camera_client, alice_camera, url=f"http://127.0.0.1:{worker.port}/live")
    token = Token.objects.create(user=alice).key
    scope = {
        "type": "websocket", "path": f"/api/cameras/{alice_camera.pk}/live/ws/", "query_string": b"",
        "headers": [(b"host", b"127.0.0.1"), (b"authorization", f"Token {token}".encode())],
        "scheme": "ws", "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80), "extensions": {},
    }  # fmt: skip
    sent: list[dict] = []

    async def watch() -> None:
        connected = False
        never = asyncio.Event()

        async def receive() -> dict:
            nonlocal connected
            if not connected:
                connected = True
                return {"type": "websocket.connect"}
            await never.wait()  # the viewer stays until the worker ends the session
            return {"type": "websocket.disconnect"}

        async def send(message: dict) -> None:
            sent.append(message)

        async def not_http(scope, receive, send) -> None:
            raise AssertionError("a live WebSocket path goes to the relay")

        await LiveWebSocket(not_http, ASGIHandler())(scope, receive, send)

    # Closing the response sends request_finished, whose receivers (close_old_connections) are sync
    # database code: they must run where no event loop runs (on the loop they raised
    # SynchronousOnlyOperation whenever the loop's thread held a connection).
    on_loop: list[bool] = []

    def finished(**_kwargs) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            on_loop.append(False)
        else:
            on_loop.append(True)

    request_finished.connect(finished)
    try:
        asyncio.run(watch())
    finally:
        request_finished.disconnect(finished)
    assert on_loop == [False]
    assert sent[0]["type"] == "websocket.accept"
    assert sum(len(m.get("bytes", b"")) for m in sent) == 3000
    only_record(action=AuditAction.LIVE_STARTED, camera_id=alice_camera.pk)
    stopped = wait_for(lambda: records(action=AuditAction.LIVE_STOPPED))
    assert len(stopped) == 1 and stopped[0].user_id == alice.pk


def test_a_refused_live_view_leaves_no_record(alice_client, alice_camera):
    assert alice_client.get(f"/api/cameras/{alice_camera.pk}/live/stream/").status_code == 503
    assert records() == []


# --- append-only -------------------------------------------------------------------------------------


def some_record() -> AuditRecord:
    return audit_record(request=None, action=AuditAction.SIGN_IN_FAILED, username="x")


def test_a_stored_record_cannot_be_changed_or_deleted_through_the_model():
    record = some_record()
    record.summary = "rewritten"
    with pytest.raises(AppendOnlyError):
        record.save()
    with pytest.raises(AppendOnlyError):
        record.delete()
    with pytest.raises(AppendOnlyError):
        AuditRecord.objects.filter(pk=record.pk).delete()
    with pytest.raises(AppendOnlyError):
        AuditRecord.objects.filter(pk=record.pk).update(summary="rewritten")
    assert AuditRecord.objects.get().summary == ""


def test_the_admin_shows_records_but_offers_no_add_change_or_delete(admin_client):
    record = some_record()
    assert admin_client.get("/admin/audit/auditrecord/").status_code == 200
    page = admin_client.get(f"/admin/audit/auditrecord/{record.pk}/change/")
    assert page.status_code == 200 and b"View audit record" in page.content
    assert not page.context["has_change_permission"] and not page.context["has_delete_permission"]
    assert b'name="_save"' not in page.content and b"/delete/" not in page.content
    assert admin_client.get("/admin/audit/auditrecord/add/").status_code == 403
    assert (
        admin_client.post(f"/admin/audit/auditrecord/{record.pk}/change/", {"summary": "x"}).status_code
        == 403
    )
    assert (
        admin_client.post(f"/admin/audit/auditrecord/{record.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    admin_client.post(
        "/admin/audit/auditrecord/",
        {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"},
    )
    assert AuditRecord.objects.filter(pk=record.pk).exists()


def test_the_admin_shows_the_trail_to_whom_the_api_does(client, make_user):
    some_record()
    staff = make_user("desk")
    staff.is_staff = True
    staff.save()
    client.force_login(staff)  # staff without any admin permission: audit_visible_to lets them read
    assert client.get("/admin/audit/auditrecord/").status_code == 200
    plain = make_user("plain")
    client.force_login(plain)
    assert client.get("/admin/audit/auditrecord/").status_code == 302  # not staff: to the admin's login


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_api_offers_no_way_to_change_or_delete_a_record(staff_client, method):
    record = some_record()
    for url in ("/api/audit/", f"/api/audit/{record.pk}/", "/api/audit.csv"):
        assert getattr(staff_client, method)(url, {"summary": "x"}, format="json").status_code in (404, 405)
    assert AuditRecord.objects.get().summary == ""


# --- the list ----------------------------------------------------------------------------------------


def test_staff_superusers_and_holders_of_the_permission_read_every_record(
    alice, alice_client, staff_client, bob
):
    some_record()  # a failed sign-in: no user, no team
    audit_record(request=None, action=AuditAction.CAMERA_CREATED, user=bob, team_id=personal_team_of(bob).pk)
    assert staff_client.get("/api/audit/").json()["count"] == 2
    assert alice_client.get("/api/audit/").json()["count"] == 0
    alice.user_permissions.add(Permission.objects.get(codename="view_auditrecord"))
    assert alice_client.get("/api/audit/").json()["count"] == 2


def test_a_user_reads_the_records_of_teams_where_they_own_or_audit_and_their_own_sign_ins(
    alice, bob, alice_client, bob_client
):
    warehouse, gate = team_create(user=alice, name="Warehouse"), team_create(user=alice, name="Gate")
    member_add(team=warehouse, username="bob", role="auditor")
    member_add(team=gate, username="bob", role="admin")  # admin: no view_audit

    def mark(summary: str, **fields) -> None:
        audit_record(request=None, action=AuditAction.CAMERA_UPDATED, summary=summary, **fields)

    mark("warehouse", user=alice, team_id=warehouse.pk)
    mark("gate", user=bob, team_id=gate.pk)  # bob's own, but in a team where he does not audit
    mark("alice's personal", user=alice, team_id=personal_team_of(alice).pk)
    audit_record(request=None, action=AuditAction.SIGN_IN, user=bob, summary="bob signs in")
    audit_record(request=None, action=AuditAction.SIGN_IN, user=alice, summary="alice signs in")

    def summaries(client, **query) -> set[str]:
        response = client.get("/api/audit/", {"page_size": 500, **query})
        assert response.status_code == 200, response.content
        return {row["summary"] for row in response.json()["results"] if row["action"] != "member_added"}

    assert summaries(bob_client) == {"warehouse", "bob signs in"}
    assert summaries(alice_client) == {"warehouse", "gate", "alice's personal", "alice signs in"}
    assert summaries(bob_client, team=warehouse.pk) == {"warehouse"}
    assert summaries(bob_client, team=gate.pk) == set()  # a team he is in, but not as owner or auditor
    assert summaries(bob_client, team=personal_team_of(alice).pk) == set()  # a team he is not in
    # The member changes themselves are the team's records: bob reads the warehouse's, not the gate's.
    rows = bob_client.get("/api/audit/", {"action": "member_added"}).json()["results"]
    assert {row["team"] for row in rows} == {warehouse.pk}


def test_a_team_filter_that_is_not_an_id_is_a_400(alice_client):
    for value in ("abc", "0", "-3", "1.5", "9" * 30):
        response = alice_client.get("/api/audit/", {"team": value})
        assert response.status_code == 400 and "team" in response.json(), (value, response.content)


def test_member_changes_leave_one_record_each_in_the_team(alice, alice_client, bob):
    team = team_create(user=alice, name="Warehouse")
    made = only_record(action=AuditAction.MEMBER_ADDED)
    assert (made.team_id, made.user_id, made.object_id) == (team.pk, alice.pk, str(alice.pk))
    url = f"/api/teams/{team.pk}/members/"
    assert alice_client.post(url, {"username": "bob", "role": "viewer"}, format="json").status_code == 201
    added = only_record(action=AuditAction.MEMBER_ADDED, object_id=str(bob.pk))
    assert (added.team_id, added.user_id, added.object_type) == (team.pk, alice.pk, "member")
    assert added.summary == "bob added to Warehouse as viewer" and added.client_address == "127.0.0.1"
    assert alice_client.patch(f"{url}{bob.pk}/", {"role": "admin"}, format="json").status_code == 200
    assert alice_client.patch(f"{url}{bob.pk}/", {"role": "admin"}, format="json").status_code == 200
    changed = only_record(action=AuditAction.MEMBER_ROLE_CHANGED)  # the same role again: no change
    assert (changed.summary, changed.team_id) == ("bob in Warehouse: viewer -> admin", team.pk)
    assert alice_client.patch(f"{url}{alice.pk}/", {"role": "viewer"}, format="json").status_code == 400
    assert alice_client.delete(f"{url}{alice.pk}/").status_code == 400  # the last owner stays
    assert alice_client.delete(f"{url}{bob.pk}/").status_code == 204
    removed = only_record(action=AuditAction.MEMBER_REMOVED)
    assert (removed.summary, removed.object_id) == ("bob removed from Warehouse (was admin)", str(bob.pk))
    assert len(records(team_id=team.pk)) == 4


def test_a_member_change_and_its_record_are_one_transaction(alice, bob, monkeypatch):
    from django.db import DatabaseError

    from teams import services as team_services
    from teams.models import Membership

    team = team_create(user=alice, name="Warehouse")

    def refused(*args, **kwargs):
        raise DatabaseError("the audit table is not writable")

    monkeypatch.setattr(team_services, "audit_record", refused)
    with pytest.raises(DatabaseError):
        member_add(team=team, username="bob", role="viewer")
    assert not Membership.objects.filter(team=team, user=bob).exists()  # no change went unrecorded


def test_roles_a_sign_in_grants_leave_records_naming_single_sign_on(alice, bob):
    from sso.team_roles import apply_sso_roles

    team = team_create(user=alice, name="Warehouse")
    apply_sso_roles(bob, [("Warehouse", "viewer")])
    apply_sso_roles(bob, [("Warehouse", "viewer")], previous=[("Warehouse", "viewer")])  # unchanged: none
    apply_sso_roles(bob, [("Warehouse", "operator")], previous=[("Warehouse", "viewer")])
    apply_sso_roles(bob, [], previous=[("Warehouse", "operator")])
    rows = list(AuditRecord.objects.filter(team_id=team.pk, object_id=str(bob.pk)).order_by("id"))
    assert [(row.action, row.summary, row.user_id) for row in rows] == [
        ("member_added", "bob added to Warehouse as viewer (single sign-on)", bob.pk),
        ("member_role_changed", "bob in Warehouse: viewer -> operator (single sign-on)", bob.pk),
        ("member_removed", "bob removed from Warehouse (was operator) (single sign-on)", bob.pk),
    ]


def test_the_list_filters_by_user_action_camera_and_time(staff_client, alice, bob):
    now = timezone.now()
    for user, action, camera, age in [
        (alice, AuditAction.SIGN_IN, None, 1), (alice, AuditAction.LIVE_STARTED, 7, 2),
        (bob, AuditAction.LIVE_STARTED, 8, 3), (bob, AuditAction.SIGN_IN, None, 30),
    ]:  # fmt: skip
        AuditRecord.objects.create(
            at=now - timedelta(hours=age),
            action=action,
            user_id=user.pk,
            username=user.username,
            camera_id=camera,
        )

    def ids(**query) -> list[tuple[str, str]]:
        response = staff_client.get("/api/audit/", query)
        assert response.status_code == 200, response.content
        return [(row["username"], row["action"]) for row in response.json()["results"]]

    assert ids(user=alice.pk) == [("alice", "sign_in"), ("alice", "live_started")]
    assert ids(action="live_started") == [("alice", "live_started"), ("bob", "live_started")]
    assert ids(camera=8) == [("bob", "live_started")]
    assert ids(since=iso(now - timedelta(hours=24))) == [
        ("alice", "sign_in"), ("alice", "live_started"), ("bob", "live_started"),
    ]  # fmt: skip
    assert ids(until=iso(now - timedelta(hours=24))) == [("bob", "sign_in")]
    page = staff_client.get("/api/audit/", {"page_size": 1}).json()
    assert page["count"] == 4 and len(page["results"]) == 1 and page["next"]
    # Cursor pages: no count, every record once, newest first, filters kept.
    seen, url = [], "/api/audit/?pagination=cursor&page_size=1&since=" + iso(now - timedelta(hours=24))
    while url:
        body = staff_client.get(url).json()
        assert "count" not in body
        seen += [(row["username"], row["action"]) for row in body["results"]]
        url = body["next"]
    assert seen == [("alice", "sign_in"), ("alice", "live_started"), ("bob", "live_started")]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"user": "alice"}, "user"),
        ({"user": "-1"}, "user"),
        ({"user": "9" * 30}, "user"),
        ({"action": "drop_table"}, "action"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "until"),
        ({"usr": "1"}, "usr"),
        ({"format": "xml"}, "format"),
        ({"pagination": "offset"}, "pagination"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(staff_client, query, field):
    response = staff_client.get("/api/audit/", query)
    assert response.status_code == 400 and field in response.json(), response.content


def test_the_csv_streams_every_match_and_defuses_formulas(staff_client, alice):
    for index in range(2500):  # past one chunk
        audit_record(request=None, action=AuditAction.SIGN_IN, user=alice, summary=f"n{index}")
    audit_record(request=None, action=AuditAction.SIGN_IN_FAILED, username='=HYPERLINK("http://x")')
    for url in ("/api/audit/?format=csv", "/api/audit.csv"):
        response = staff_client.get(url)
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        assert response.streaming and "attachment" in response["Content-Disposition"]
        lines = read_all(response).decode().splitlines()
        assert lines[0] == (
            "id,at,user,username,action,object_type,object_id,summary,client_address,camera,team"
        )
        assert len(lines) == 1 + 2501
        assert next(csv.reader(lines[1:2]))[3] == '\'=HYPERLINK("http://x")'  # text, not a formula
        assert len({line.split(",")[0] for line in lines[1:]}) == 2501  # no row twice across chunks
    filtered = staff_client.get("/api/audit.csv", {"action": "sign_in_failed"})
    assert len(read_all(filtered).decode().splitlines()) == 2
    assert staff_client.get("/api/audit.csv", {"action": "nope"}).status_code == 400


# --- retention ---------------------------------------------------------------------------------------


def test_the_retention_job_deletes_records_past_the_setting_and_keeps_the_rest(settings):
    settings.AUDIT_RETENTION_DAYS = 30
    AuditRecord.objects.create(at=timezone.now() - timedelta(days=31), action=AuditAction.SIGN_IN)
    fresh = AuditRecord.objects.create(at=timezone.now() - timedelta(days=29), action=AuditAction.SIGN_IN)
    call_command("purge_alerts")
    assert list(AuditRecord.objects.values_list("pk", flat=True)) == [fresh.pk]
