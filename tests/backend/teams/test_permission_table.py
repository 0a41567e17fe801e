"""The role table in docs/contracts.md is the one in code (teams.permissions.ROLE_ACTIONS)."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

from teams.permissions import ROLE_ACTIONS, Action, Role, roles_allowing

CONTRACTS = Path(__file__).resolve().parents[3] / "docs" / "contracts.md"


def _documented_table() -> dict[str, dict[str, bool]]:
    text = CONTRACTS.read_text()
    section = text.split("## Teams and roles", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    roles = header[1:-1]
    table: dict[str, dict[str, bool]] = {}
    for line in lines[1:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if not re.fullmatch(r"`\w+`", cells[0]):
            continue
        table[cells[0].strip("`")] = {
            role: cell == "yes" for role, cell in zip(roles, cells[1:-1], strict=True)
        }
    return table


def test_the_documented_role_table_is_the_code():
    documented = _documented_table()
    assert set(documented) == {action.value for action in Action}
    for action in Action:
        for role in Role:
            assert documented[action.value][role.value] == (action in ROLE_ACTIONS[role]), (action, role)


def test_every_role_is_in_the_table_and_owner_may_do_everything():
    assert set(ROLE_ACTIONS) == set(Role)
    assert ROLE_ACTIONS[Role.OWNER] == frozenset(Action)
    assert roles_allowing(Action.MANAGE_MEMBERS) == ["owner"]


def test_each_role_holds_what_the_role_below_it_holds():
    ladder = [Role.VIEWER, Role.OPERATOR, Role.ADMIN, Role.OWNER]
    for lower, higher in pairwise(ladder):
        assert ROLE_ACTIONS[lower] < ROLE_ACTIONS[higher], (lower, higher)
    assert Action.VIEW_MEDIA not in ROLE_ACTIONS[Role.AUDITOR]  # no video
