"""Camera groups on the dashboard's team page (issue 25): every member reads them; admins and owners of
the whole team make, change and delete them, owners set the groups a member is narrowed to, each through
the API's services (their errors, limits and audit records); everyone else is refused (403) and nothing
changes; another team's ids are 404; bad input is shown with the service's reason and changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from audit.actions import AuditAction
from audit.models import AuditRecord
from teams.models import CameraGroup, Membership
from teams.services import camera_group_create, member_add, team_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(make_user, make_camera):
    """Team "Site" (owner alice) with cameras Dock, Gate and Yard, a group "Warehouse" (Dock), a member of
    every role and "nina", an admin narrowed to Warehouse; team "Other" (owner zed) with its own camera
    and group."""
    alice = make_user("alice")
    team = team_create(user=alice, name="Site")
    cameras = {
        name: make_camera(alice, f"{name} cam", f"rtsp://10.0.0.{i}/s", team=team.pk)
        for i, name in enumerate(("Dock", "Gate", "Yard"), start=2)
    }
    warehouse = camera_group_create(team=team, name="Warehouse", cameras=[cameras["Dock"].pk])
    for role in ("admin", "operator", "viewer", "auditor"):
        make_user(role)
        member_add(team=team, username=role, role=role)
    make_user("nina")
    member_add(team=team, username="nina", role="admin", groups=[warehouse.pk])
    zed = make_user("zed")
    other = team_create(user=zed, name="Other")
    theirs = make_camera(zed, "Their cam", "rtsp://10.0.1.2/o", team=other.pk)
    their_group = camera_group_create(team=other, name="Theirs", cameras=[theirs.pk])
    return {
        "team": team, "cameras": cameras, "warehouse": warehouse, "other": other, "theirs": theirs,
        "their_group": their_group,
    }  # fmt: skip


def client_of(username: str) -> Client:
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def post(client: Client, url: str, body: dict | None = None) -> tuple[int, str, list[str]]:
    """POSTs as the page's form does: the answer's status and redirect, and the messages the page then
    shows (read there, so each call sees only its own)."""
    response = client.post(url, body or {}, follow=True)
    status, location = (
        response.redirect_chain[0][::-1] if response.redirect_chain else (response.status_code, "")
    )
    return status, location, [str(message) for message in response.context["messages"]]


def groups_now() -> list[tuple[int, str, list[int]]]:
    """Every group in the database with its cameras: what a refused change must leave as it was."""
    return [
        (group.team_id, group.name, sorted(group.cameras.values_list("pk", flat=True)))
        for group in CameraGroup.objects.order_by("id")
    ]


def group_audit() -> list[str]:
    actions = (AuditAction.GROUP_CREATED, AuditAction.GROUP_UPDATED, AuditAction.GROUP_DELETED)
    return list(
        AuditRecord.objects.filter(action__in=actions).order_by("id").values_list("action", flat=True)
    )


def page_url(site) -> str:
    return f"/dashboard/teams/{site['team'].pk}/"


# Listing


@pytest.mark.parametrize("who", ["alice", "admin", "operator", "viewer", "auditor"])
def test_every_member_of_the_whole_team_sees_the_groups_with_their_cameras(site, who):
    camera_group_create(team=site["team"], name="Front gate", cameras=[site["cameras"]["Gate"].pk])
    response = client_of(who).get(page_url(site))
    assert response.status_code == 200
    rows = {row.group.name: row for row in response.context["groups"]}
    assert rows["Warehouse"].cameras == ["Dock cam"] and rows["Front gate"].cameras == ["Gate cam"]
    assert rows["Warehouse"].narrows == ["nina"]
    page = response.content.decode()
    assert 'id="group-table"' in page and "Front gate" in page and "Gate cam" in page
    may_change = who in ("alice", "admin")
    assert ('id="group-form"' in page) is may_change
    assert ("/groups/" in page and "/delete/" in page) is may_change


def test_a_narrowed_member_sees_no_camera_name_outside_their_groups_and_no_forms(site):
    camera_group_create(team=site["team"], name="Front gate", cameras=[site["cameras"]["Gate"].pk])
    response = client_of("nina").get(page_url(site))
    assert response.status_code == 200
    rows = {row.group.name: row for row in response.context["groups"]}
    assert (rows["Warehouse"].cameras, rows["Warehouse"].hidden) == (["Dock cam"], 0)
    assert (rows["Front gate"].cameras, rows["Front gate"].hidden) == ([], 1)
    page = response.content.decode()
    assert "Gate cam" not in page and "1 camera outside your groups" in page
    # Her role is admin, but narrowed: nothing team-wide, as the API refuses it.
    assert 'id="group-form"' not in page and 'id="account-form"' not in page
    assert not response.context["manages_groups"] and not response.context["manages_accounts"]


def test_a_member_row_says_which_groups_narrow_them(site):
    page = client_of("viewer").get(page_url(site)).content.decode()
    assert "whole team" in page
    nina = Membership.objects.get(team=site["team"], user__username="nina")
    row = page.split(f'id="member-{nina.user_id}"')[1].split("</tr>")[0]
    assert "Warehouse" in row


# Changes by an admin


def test_an_admin_creates_edits_and_deletes_a_group(site):
    client, cameras = client_of("admin"), site["cameras"]
    made = post(
        client,
        f"{page_url(site)}groups/",
        {"name": "Front gate", "cameras": [cameras["Gate"].pk, cameras["Yard"].pk]},
    )
    assert made == (302, page_url(site), ["Camera group “Front gate” made."])
    group = CameraGroup.objects.get(team=site["team"], name="Front gate")
    assert sorted(group.cameras.values_list("pk", flat=True)) == sorted(
        [cameras["Gate"].pk, cameras["Yard"].pk]
    )

    edited = post(
        client, f"{page_url(site)}groups/{group.pk}/", {"name": "Gate", "cameras": [cameras["Yard"].pk]}
    )
    assert edited == (302, page_url(site), ["Camera group “Gate” saved."])
    group.refresh_from_db()
    assert group.name == "Gate" and list(group.cameras.values_list("pk", flat=True)) == [cameras["Yard"].pk]
    # No camera ticked: the group keeps its name and holds none.
    assert post(client, f"{page_url(site)}groups/{group.pk}/", {"name": "Gate"})[0] == 302
    assert not group.cameras.exists()

    deleted = post(client, f"{page_url(site)}groups/{group.pk}/delete/")
    assert deleted == (302, page_url(site), ["Camera group “Gate” deleted."])
    assert not CameraGroup.objects.filter(pk=group.pk).exists()
    assert group_audit()[-4:] == ["group_created", "group_updated", "group_updated", "group_deleted"]
    record = AuditRecord.objects.filter(action=AuditAction.GROUP_CREATED).latest("id")
    assert record.username == "admin" and record.team_id == site["team"].pk


def test_a_group_made_on_the_page_is_the_apis_group(site):
    client_of("alice").post(
        f"{page_url(site)}groups/", {"name": "Yard", "cameras": [site["cameras"]["Yard"].pk]}
    )
    api = APIClient()
    api.force_authenticate(Membership.objects.get(team=site["team"], user__username="viewer").user)
    listed = api.get(f"/api/teams/{site['team'].pk}/groups/").json()["results"]
    assert [(g["name"], g["cameras"]) for g in listed] == [
        ("Warehouse", [site["cameras"]["Dock"].pk]), ("Yard", [site["cameras"]["Yard"].pk]),
    ]  # fmt: skip


# Refusals: roles, narrowed members, other teams' ids


def _writes(site) -> list[tuple[str, dict]]:
    team, warehouse = site["team"], site["warehouse"]
    viewer = Membership.objects.get(team=team, user__username="viewer")
    return [
        (f"/dashboard/teams/{team.pk}/groups/", {"name": "Sneaky", "cameras": [site["cameras"]["Gate"].pk]}),
        (f"/dashboard/teams/{team.pk}/groups/{warehouse.pk}/", {"name": "Renamed", "cameras": []}),
        (f"/dashboard/teams/{team.pk}/groups/{warehouse.pk}/delete/", {}),
        (f"/dashboard/teams/{team.pk}/members/{viewer.user_id}/groups/", {"groups": [warehouse.pk]}),
    ]


def _memberships_now() -> list[tuple[int, str, list[int]]]:
    return [
        (m.user_id, m.role, sorted(m.groups.values_list("pk", flat=True)))
        for m in Membership.objects.order_by("id")
    ]


@pytest.mark.parametrize("who", ["viewer", "operator", "auditor", "nina"])
def test_roles_without_change_and_a_narrowed_admin_are_refused_and_nothing_changes(site, who):
    before, members, audit = groups_now(), _memberships_now(), group_audit()
    client = client_of(who)
    for url, body in _writes(site):
        assert client.post(url, body).status_code == 403, url
        assert client.get(url).status_code == 405, url  # changes are POSTs only
    assert (groups_now(), _memberships_now(), group_audit()) == (before, members, audit)


def test_an_admin_may_not_narrow_members_which_takes_an_owner_as_in_the_api(site):
    before = _memberships_now()
    url, body = _writes(site)[3]
    assert client_of("admin").post(url, body).status_code == 403
    assert _memberships_now() == before


def test_another_teams_group_and_team_ids_are_404_and_change_nothing(site):
    before, members = groups_now(), _memberships_now()
    team, other, theirs = site["team"], site["other"], site["their_group"]
    client = client_of("alice")
    viewer = Membership.objects.get(team=team, user__username="viewer")
    for url, body in [
        (f"/dashboard/teams/{team.pk}/groups/{theirs.pk}/", {"name": "Mine now"}),
        (f"/dashboard/teams/{team.pk}/groups/{theirs.pk}/delete/", {}),
        (f"/dashboard/teams/{team.pk}/groups/999999/delete/", {}),
        (f"/dashboard/teams/{other.pk}/groups/", {"name": "Into theirs"}),
        (f"/dashboard/teams/{other.pk}/groups/{theirs.pk}/delete/", {}),
        (f"/dashboard/teams/{team.pk}/members/999999/groups/", {"groups": [site["warehouse"].pk]}),
        (f"/dashboard/teams/{other.pk}/members/{viewer.user_id}/groups/", {}),
    ]:
        assert client.post(url, body).status_code == 404, url
    assert (groups_now(), _memberships_now()) == (before, members)


def test_changes_need_a_login_and_the_forms_csrf_token(site):
    before = groups_now()
    url, body = _writes(site)[0]
    anonymous = Client().post(url, body)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/dashboard/login/")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(Membership.objects.get(team=site["team"], user__username="admin").user)
    assert strict.post(url, body).status_code == 403
    assert groups_now() == before


# Malformed input: the service's (or the API's id list's) reason, and nothing changes


def _bad_inputs(site) -> list[tuple[str, dict, str]]:
    theirs, dock = site["theirs"].pk, site["cameras"]["Dock"].pk
    return [
        ("unknown camera", {"name": "G", "cameras": ["999999"]}, "Not cameras of this team: 999999."),
        ("their camera", {"name": "G", "cameras": [dock, theirs]}, f"Not cameras of this team: {theirs}."),
        ("not an id", {"name": "G", "cameras": ["abc"]}, "Item 1: A valid integer is required."),
        ("arabic digit", {"name": "G", "cameras": ["\u0661"]}, "Item 1: A valid integer is required."),
        ("empty name", {"name": "  ", "cameras": [dock]}, "This field is required."),
        ("long name", {"name": "x" * 101}, "Ensure this value has at most 100 characters (it has 101)."),
        ("taken name", {"name": "Warehouse"}, "The team has a camera group named 'Warehouse' already."),
    ]


@pytest.mark.parametrize("case", range(7))
@pytest.mark.parametrize("route", ["create", "edit"])
def test_bad_input_shows_the_reason_and_changes_nothing(site, case, route):
    label, body, reason = _bad_inputs(site)[case]
    if route == "edit":
        if label == "taken name":
            camera_group_create(team=site["team"], name="Gate")
            body = {"name": "Gate"}
            reason = "The team has a camera group named 'Gate' already."
        url = f"{page_url(site)}groups/{site['warehouse'].pk}/"
    else:
        url = f"{page_url(site)}groups/"
    before, audit = groups_now(), group_audit()
    response = client_of("admin").post(url, body)
    assert response.status_code == 400, label
    form = response.context["group_form"] if route == "create" else _edited_form(response, site)
    assert reason in [error for errors in form.errors.values() for error in errors], (label, form.errors)
    assert (groups_now(), group_audit()) == (before, audit)


def _edited_form(response, site):
    row = next(row for row in response.context["groups"] if row.group.pk == site["warehouse"].pk)
    assert row.form.is_bound  # the refused form, shown open with its errors
    return row.form


def test_ten_thousand_camera_ids_are_refused_before_the_view(site):
    # Over Django's DATA_UPLOAD_MAX_NUMBER_FIELDS (1000): a 400 before the form is read.
    before = groups_now()
    body = {"name": "Huge", "cameras": [str(i) for i in range(1, 10_001)]}
    assert client_of("admin").post(f"{page_url(site)}groups/", body).status_code == 400
    assert groups_now() == before


def test_more_cameras_than_the_setting_allows_are_refused_as_the_api_refuses_them(site, settings):
    settings.CAMERA_GROUP_CAMERAS_MAX = 2
    before = groups_now()
    body = {"name": "Many", "cameras": [str(i) for i in range(1, 4)]}
    response = client_of("admin").post(f"{page_url(site)}groups/", body)
    assert response.status_code == 400
    assert response.context["group_form"].errors["cameras"] == [
        "At most 2 ids (CAMERA_GROUP_CAMERAS_MAX); 3 given."
    ]
    assert groups_now() == before


def test_the_teams_group_limit_is_the_services(site, settings):
    settings.CAMERA_GROUPS_PER_TEAM_MAX = 1
    before = groups_now()
    response = client_of("admin").post(f"{page_url(site)}groups/", {"name": "One more"})
    assert response.status_code == 400
    assert response.context["group_form"].non_field_errors() == [
        "The team has 1 camera groups already (CAMERA_GROUPS_PER_TEAM_MAX)."
    ]
    assert groups_now() == before


# Deleting a group that narrows someone, and narrowing members


def test_a_group_that_narrows_a_member_is_not_deleted_with_the_apis_message(site):
    before, audit = groups_now(), group_audit()
    expected = "The group narrows the membership of nina: change their groups first."
    refused_here = post(client_of("alice"), f"{page_url(site)}groups/{site['warehouse'].pk}/delete/")
    assert refused_here == (302, page_url(site), [expected])
    assert (groups_now(), group_audit()) == (before, audit)
    api = APIClient()
    api.force_authenticate(site["team"].memberships.get(role="owner").user)
    refused = api.delete(f"/api/teams/{site['team'].pk}/groups/{site['warehouse'].pk}/")
    assert refused.status_code == 400 and expected in str(refused.json())


def test_an_owner_narrows_a_member_and_the_page_and_the_api_show_it(site):
    team, warehouse = site["team"], site["warehouse"]
    viewer = Membership.objects.get(team=team, user__username="viewer")
    client = client_of("alice")
    narrowed = post(client, f"{page_url(site)}members/{viewer.user_id}/groups/", {"groups": [warehouse.pk]})
    assert narrowed == (302, page_url(site), ["viewer now reaches the camera groups Warehouse."])
    assert list(viewer.groups.values_list("pk", flat=True)) == [warehouse.pk]
    row = (
        client.get(page_url(site))
        .content.decode()
        .split(f'id="member-{viewer.user_id}"')[1]
        .split("</tr>")[0]
    )
    assert '<span class="reach">Warehouse</span>' in row
    api = APIClient()
    api.force_authenticate(viewer.user)
    members = api.get(f"/api/teams/{team.pk}/members/").json()["results"]
    assert next(m["groups"] for m in members if m["user_id"] == viewer.user_id) == [warehouse.pk]
    assert [c["name"] for c in api.get("/api/cameras/").json()["results"]] == ["Dock cam"]
    record = AuditRecord.objects.filter(action=AuditAction.MEMBER_GROUPS_CHANGED).latest("id")
    assert record.username == "alice" and "Warehouse" in record.summary

    # "Whole team": no group sent.
    widened = post(client, f"{page_url(site)}members/{viewer.user_id}/groups/")
    assert widened == (302, page_url(site), ["viewer now reaches the whole team."])
    assert not viewer.groups.exists()
    assert len(api.get("/api/cameras/").json()["results"]) == 3


def test_narrowing_refusals_are_the_services(site):
    team, warehouse = site["team"], site["warehouse"]
    viewer = Membership.objects.get(team=team, user__username="viewer")
    alice = team.memberships.get(role="owner")
    before = _memberships_now()
    client = client_of("alice")
    cases = [
        (
            alice.user_id,
            [warehouse.pk],
            "An owner manages the whole team and cannot be narrowed to camera groups.",
        ),
        (
            viewer.user_id,
            [site["their_group"].pk],
            f"Not camera groups of this team: {site['their_group'].pk}.",
        ),
        (viewer.user_id, ["x"], "Item 1: A valid integer is required."),
    ]
    for user_id, groups, reason in cases:
        assert post(client, f"{page_url(site)}members/{user_id}/groups/", {"groups": groups})[::2] == (
            302,
            [reason],
        )
    assert _memberships_now() == before
