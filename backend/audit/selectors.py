"""Reading the audit trail: who may read which records (one rule), and the filtered list."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from audit.models import AuditRecord

VIEW_PERMISSION = "audit.view_auditrecord"

#: user -> the ids of the teams whose records they may read. The teams app says which (the roles holding
#: ``view_audit``); it sits above this app in the layers, so it hands its answer in at start-up
#: (``TeamsConfig.ready``) rather than being imported from here.
TeamScope = Callable[[Any], Iterable[int]]
_team_scope: TeamScope | None = None


def read_teams_through(scope: TeamScope | None) -> None:
    """Sets (or, with None, clears) where ``audit_visible_to`` learns a user's readable teams. Until one
    is set, a user who is not staff reads only their own records that belong to no team."""
    global _team_scope
    _team_scope = scope


def audit_visible_to(user: Any, *, team_id: int | None = None) -> QuerySet[AuditRecord] | None:
    """The records ``user`` may read (of team ``team_id`` only, where given), or None when they may not
    read the trail at all (the API answers 403: no signed-in user). The single rule: every view, the CSV
    and the admin's list go through it.

    Staff, superusers and holders of ``audit.view_auditrecord`` read every record. Anyone else reads the
    records of the teams where their role holds ``view_audit`` (owner, auditor) and their own records
    that belong to no team (their sign-ins and sign-outs, their API tokens). The teams are read at every
    call (a removed auditor stops reading the team's records at once), from the memberships' index, and
    go into the records' one query as values, not as a subquery: with the ids in hand the planner knows
    how many records they hold, and reads a few teams' records through ``audit_team_at_id`` rather than
    the whole trail newest first (a user of one small team: 0.02 ms rather than 0.8 s at 1 M records;
    bench/bench_audit.py). ``team_id`` narrows, never widens: a team the user may not read gives none.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if user.is_staff or user.is_superuser or user.has_perm(VIEW_PERMISSION):
        records = AuditRecord.objects.all()
        return records if team_id is None else records.filter(team_id=team_id)
    team_ids = sorted(_team_scope(user)) if _team_scope is not None else []
    if team_id is not None:  # one team's records: no other condition left for the query to weigh
        records = AuditRecord.objects.filter(team_id=team_id)
        return records if team_id in team_ids else records.none()
    return AuditRecord.objects.filter(Q(team_id__in=team_ids) | Q(user_id=user.pk, team_id__isnull=True))


def audit_records(
    records: QuerySet[AuditRecord],
    *,
    user_id: int | None = None,
    action: str | None = None,
    camera_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditRecord]:
    """``records`` (from ``audit_visible_to``, which takes the team filter) filtered, newest first;
    ``since`` inclusive, ``until`` not."""
    if user_id is not None:
        records = records.filter(user_id=user_id)
    if action is not None:
        records = records.filter(action=action)
    if camera_id is not None:
        records = records.filter(camera_id=camera_id)
    if since is not None:
        records = records.filter(at__gte=since)
    if until is not None:
        records = records.filter(at__lt=until)
    return records.order_by("-at", "-id")
