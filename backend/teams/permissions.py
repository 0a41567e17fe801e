"""What each team role may do: the one permission table (issue 25), documented in docs/contracts.md.

Every route asks ``surveillance.access.rule`` for an ``Action``; the rule lets a user act on a team's rows
when their role in that team holds the action here. Tests check this table against the docs and generate
the route x role matrix from it, so a change here is a change of contract.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"  # members and roles, and everything an admin does
    ADMIN = "admin"  # cameras, channels, retention, and everything an operator does
    OPERATOR = "operator"  # watch, review, acknowledge, export
    VIEWER = "viewer"  # watch and review only
    AUDITOR = "auditor"  # reads settings (and the audit trail), no video


class Action(StrEnum):
    VIEW = "view"  # list and read cameras, alerts, channels, deliveries (settings, no footage)
    VIEW_MEDIA = "view_media"  # watch: snapshots, clips, recordings, live streams, exports' files
    REVIEW = "review"  # mark alerts reviewed (the reviewer's own state)
    ACKNOWLEDGE = "acknowledge"  # acknowledge alerts (everyone in the team sees it)
    EXPORT = "export"  # make and delete exports of footage
    CHANGE = "change"  # add, edit, delete, (de)activate cameras and channels; send as a camera
    MANAGE_MEMBERS = "manage_members"  # add, re-role and remove the team's members
    # the team's service accounts (automation: Home Assistant, scripts) and their API tokens
    MANAGE_SERVICE_ACCOUNTS = "manage_service_accounts"
    VIEW_AUDIT = "view_audit"  # the team's audit trail (the audit issue's routes)
    RUN = "run"  # the cameras whose workers are run for the caller (the operator's service user: all)


_WATCHER = frozenset({Action.VIEW, Action.VIEW_MEDIA, Action.REVIEW})
_OPERATOR = _WATCHER | {Action.ACKNOWLEDGE, Action.EXPORT}
_ADMIN = _OPERATOR | {Action.CHANGE, Action.RUN, Action.MANAGE_SERVICE_ACCOUNTS}

#: role -> the actions it allows on its team's rows. A user with several teams holds each role only in
#: its team. A membership narrowed to camera groups holds its role for those groups' cameras only: that
#: filters the rows (surveillance.access.rule), not this table.
ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.OWNER: _ADMIN | {Action.MANAGE_MEMBERS, Action.VIEW_AUDIT},
    Role.ADMIN: _ADMIN,
    Role.OPERATOR: _OPERATOR,
    Role.VIEWER: _WATCHER,
    Role.AUDITOR: frozenset({Action.VIEW, Action.VIEW_AUDIT}),
}


def roles_allowing(action: Action) -> list[str]:
    """The roles whose members may ``action`` their team's rows, in the table's order."""
    return [role.value for role, actions in ROLE_ACTIONS.items() if action in actions]


def role_allows(role: str, action: Action) -> bool:
    return action in ROLE_ACTIONS.get(Role(role), frozenset())
