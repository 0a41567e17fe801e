"""The team roles a provider grants at single sign-on become memberships (sso.team_roles)."""

from __future__ import annotations

from sso.team_roles import apply_sso_roles
from teams.models import Membership
from teams.services import member_add, team_create


def _roles(user) -> dict[str, str]:
    return {m.team.name: m.role for m in Membership.objects.filter(user=user).select_related("team")}


def test_granted_roles_are_set_changed_and_taken_away_at_the_next_sign_in(alice, bob):
    team_create(user=alice, name="Warehouse")
    gate = team_create(user=alice, name="Front gate")
    member_add(team=gate, username="bob", role="viewer")  # given by hand: not the provider's
    apply_sso_roles(bob, [("Warehouse", "viewer")])
    assert _roles(bob) == {"bob (personal)": "owner", "Warehouse": "viewer", "Front gate": "viewer"}
    apply_sso_roles(bob, [("Warehouse", "operator")], previous=[("Warehouse", "viewer")])
    assert _roles(bob)["Warehouse"] == "operator"
    apply_sso_roles(bob, [], previous=[("Warehouse", "operator")])
    assert _roles(bob) == {"bob (personal)": "owner", "Front gate": "viewer"}


def test_a_team_no_one_made_is_not_created_from_a_claim(bob):
    apply_sso_roles(bob, [("Nowhere", "admin"), ("bob (personal)", "viewer")])
    assert _roles(bob) == {"bob (personal)": "owner"}


def test_the_last_owner_is_neither_demoted_nor_removed_by_a_sign_in(alice):
    team_create(user=alice, name="Warehouse")
    apply_sso_roles(alice, [("Warehouse", "viewer")])
    apply_sso_roles(alice, [], previous=[("Warehouse", "owner")])
    assert _roles(alice)["Warehouse"] == "owner"
