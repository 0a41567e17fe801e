"""Sign-ins, failed sign-ins and sign-outs, from Django's auth signals: every login form (dashboard,
admin) and ``/api-token-auth/`` (which sends ``user_logged_in`` itself) send them, so each leaves one
record without a call in any view."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from audit.actions import AuditAction
from audit.services import audit_record


def _where(request) -> str:
    path = getattr(request, "path", "") or ""
    return f"via {path}" if path else ""


def _signed_in(sender, request, user, **kwargs) -> None:
    if request is None:
        return  # no client: a management command or a test's force_login without a request
    audit_record(
        request=request, action=AuditAction.SIGN_IN, user=user, object_type="user", object_id=user.pk,
        summary=_where(request),
    )  # fmt: skip


def _failed(sender, credentials, request=None, **kwargs) -> None:
    if request is None:
        return
    tried = str(credentials.get("username", "") or "")
    audit_record(request=request, action=AuditAction.SIGN_IN_FAILED, username=tried, summary=_where(request))


def _signed_out(sender, request, user, **kwargs) -> None:
    if request is None or user is None:
        return
    audit_record(
        request=request, action=AuditAction.SIGN_OUT, user=user, object_type="user", object_id=user.pk,
        summary=_where(request),
    )  # fmt: skip


def connect() -> None:
    user_logged_in.connect(_signed_in, dispatch_uid="audit-sign-in")
    user_login_failed.connect(_failed, dispatch_uid="audit-sign-in-failed")
    user_logged_out.connect(_signed_out, dispatch_uid="audit-sign-out")
