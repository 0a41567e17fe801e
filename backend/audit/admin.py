"""The audit trail in the admin: readable by whoever may read it, never added to, changed or deleted; and
``AuditedAdmin``, the base of the admin pages whose changes go into the trail (cameras, channels)."""

from __future__ import annotations

from django.contrib import admin

from audit.actions import AuditAction
from audit.models import AuditRecord
from audit.selectors import audit_visible_to
from audit.services import audit_object

# The actions an admin change of these models records (by the model's label).
_CHANGE_ACTIONS = {
    "surveillance.camera": (
        AuditAction.CAMERA_CREATED, AuditAction.CAMERA_UPDATED, AuditAction.CAMERA_DELETED,
    ),
    "notifications.channel": (
        AuditAction.CHANNEL_CREATED, AuditAction.CHANNEL_UPDATED, AuditAction.CHANNEL_DELETED,
    ),
}  # fmt: skip


@admin.register(AuditRecord)
class AuditRecordAdmin(admin.ModelAdmin):
    list_display = (
        "at", "username", "action", "object_type", "object_id", "summary", "client_address", "team_id",
    )  # fmt: skip
    list_filter = ("action",)
    search_fields = ("username", "summary", "object_id")
    date_hierarchy = "at"
    show_full_result_count = False  # a count of a million rows on every page

    # Who may read records here is the API's rule (audit.selectors.audit_visible_to), not the admin's own.
    def has_view_permission(self, request, obj=None) -> bool:
        return audit_visible_to(request.user) is not None

    def has_module_permission(self, request) -> bool:
        return self.has_view_permission(request)

    def get_queryset(self, request):
        visible = audit_visible_to(request.user)
        return AuditRecord.objects.none() if visible is None else visible

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AuditedAdmin(admin.ModelAdmin):
    """An admin page whose additions, changes and deletions each leave one audit record, from the hooks
    the admin calls once per change to write its own log (LogEntry)."""

    def _actions(self):
        return _CHANGE_ACTIONS[self.model._meta.label_lower]

    def log_addition(self, request, obj, message):
        audit_object(request, self._actions()[0], obj)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        audit_object(request, self._actions()[1], obj)
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            audit_object(request, self._actions()[2], obj)
        return super().log_deletions(request, queryset)
