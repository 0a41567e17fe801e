"""Reading the audit trail: who may read which records (one rule), and the filtered list."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from audit.models import AuditRecord

VIEW_PERMISSION = "audit.view_auditrecord"


def audit_visible_to(user: Any) -> QuerySet[AuditRecord] | None:
    """The records ``user`` may read, or None when they may not read the trail at all (the API answers
    403). The single rule: every view, the CSV and the admin's list go through it.

    Today: staff, superusers and holders of ``audit.view_auditrecord`` read every record. Teams (issue
    25) narrow this to the records of the teams where the user is an owner or an auditor."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if user.is_staff or user.is_superuser or user.has_perm(VIEW_PERMISSION):
        return AuditRecord.objects.all()
    return None


def audit_records(
    records: QuerySet[AuditRecord],
    *,
    user_id: int | None = None,
    action: str | None = None,
    camera_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditRecord]:
    """``records`` (from ``audit_visible_to``) filtered, newest first; ``since`` inclusive, ``until`` not."""
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
