"""OIDC_ROLE_MAP: the parser the settings run at start-up, and the groups -> team roles function (pure)."""

from __future__ import annotations

import pytest

from cctv_backend.role_map import RoleGrant, RoleMapError, parse_role_map, roles_from_claims

MAP = parse_role_map(
    "cctv-admins=Warehouse:admin, cctv-guards=Warehouse:operator; cctv-guards=Front gate:viewer\n"
    "/cctv/auditors=Warehouse:auditor"
)


def test_entries_read_as_group_team_role_with_any_separator_and_spaces_in_team_names():
    grants = MAP
    assert grants == (
        RoleGrant("cctv-admins", "Warehouse", "admin"),
        RoleGrant("cctv-guards", "Warehouse", "operator"),
        RoleGrant("cctv-guards", "Front gate", "viewer"),
        RoleGrant("/cctv/auditors", "Warehouse", "auditor"),
    )


def test_an_empty_map_grants_nothing():
    assert parse_role_map("") == ()
    assert roles_from_claims({"groups": ["cctv-admins"]}, ()) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cctv-admins", "is not group=Team:role"),
        ("cctv-admins=Warehouse", "is not group=Team:role"),
        ("=Warehouse:admin", "the group must be"),
        ("cctv-admins=:admin", "the team must be"),
        (
            "cctv-admins=Warehouse:boss",
            "the role 'boss' is not one of owner, admin, operator, viewer, auditor",
        ),
        ("g=Warehouse:admin,g=Warehouse:viewer", "group 'g' is given two roles in team 'Warehouse'"),
        ("g=" + "T" * 151 + ":admin", "the team must be 1 to 150"),
    ],
)
def test_a_bad_entry_is_refused_with_a_message_naming_it(text, message):
    with pytest.raises(RoleMapError, match=message):
        parse_role_map(text)


def test_the_same_entry_twice_is_one_grant():
    assert parse_role_map("g=T:admin,g=T:admin") == (RoleGrant("g", "T", "admin"),)


def test_groups_grant_one_role_per_team_the_strongest_winning():
    claims = {"groups": ["cctv-guards", "cctv-admins", "unrelated"]}
    assert roles_from_claims(claims, MAP) == [("Front gate", "viewer"), ("Warehouse", "admin")]


def test_a_viewer_who_is_also_an_auditor_stays_a_viewer():
    grants = parse_role_map("v=T:viewer,a=T:auditor")
    assert roles_from_claims({"groups": ["a", "v"]}, grants) == [("T", "viewer")]
    assert roles_from_claims({"groups": ["a"]}, grants) == [("T", "auditor")]


def test_the_groups_claim_is_named_by_the_caller_and_may_be_one_string():
    assert roles_from_claims({"roles": "cctv-admins"}, MAP, groups_claim="roles") == [("Warehouse", "admin")]
    assert roles_from_claims({"groups": "cctv-admins"}, MAP, groups_claim="roles") == []


@pytest.mark.parametrize("value", [None, 42, {"cctv-admins": True}, [1, None, {"a": 1}], ["CCTV-ADMINS"]])
def test_a_missing_malformed_or_differently_cased_claim_grants_nothing(value):
    assert roles_from_claims({"groups": value}, MAP) == []
