"""What an audit record says happened: the one list of actions (the API's ``action`` filter, the CSV, the
admin and docs/contracts.md "Audit trail" all read it from here)."""

from django.db import models


class AuditAction(models.TextChoices):
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    SIGN_OUT = "sign_out", "Signed out"
    LIVE_STARTED = "live_started", "Live view started"
    LIVE_STOPPED = "live_stopped", "Live view stopped"
    FOOTAGE_PLAYED = "footage_played", "Footage played"
    EXPORT_CREATED = "export_created", "Export made"
    EXPORT_DOWNLOADED = "export_downloaded", "Export downloaded"
    CAMERA_CREATED = "camera_created", "Camera created"
    CAMERA_UPDATED = "camera_updated", "Camera changed"
    CAMERA_DELETED = "camera_deleted", "Camera deleted"
    CHANNEL_CREATED = "channel_created", "Channel created"
    CHANNEL_UPDATED = "channel_updated", "Channel changed"
    CHANNEL_DELETED = "channel_deleted", "Channel deleted"
    TOKEN_CREATED = "token_created", "API token created"
    TOKEN_REVOKED = "token_revoked", "API token revoked"
    MEMBER_ADDED = "member_added", "Member added"
    MEMBER_ROLE_CHANGED = "member_role_changed", "Member's role changed"
    MEMBER_REMOVED = "member_removed", "Member removed"
    MEMBER_GROUPS_CHANGED = "member_groups_changed", "Member's camera groups changed"
    GROUP_CREATED = "group_created", "Camera group created"
    GROUP_UPDATED = "group_updated", "Camera group changed"
    GROUP_DELETED = "group_deleted", "Camera group deleted"
    SERVICE_ACCOUNT_CREATED = "service_account_created", "Service account created"
    SERVICE_ACCOUNT_DELETED = "service_account_deleted", "Service account deleted"
