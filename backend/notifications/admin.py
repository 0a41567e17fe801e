"""Django admin for channels (secrets masked) and the delivery log (read-only, with a retry action)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils import timezone

from audit.admin import AuditedAdmin
from notifications.models import Channel, Delivery, DeliveryStatus
from notifications.serializers import MASK, mask_url
from surveillance.cameras.services import url_with_kept_secrets


class ChannelForm(forms.ModelForm):
    """Secret and password are write-only here: the field shows the mask and keeps the value if untouched.
    The URL shows masked (query and path secrets too); a ``***`` left in place keeps the stored secret."""

    class Meta:
        model = Channel
        fields = (
            "user", "kind", "name", "enabled", "url", "secret", "topic_prefix", "username", "password",
            "addresses", "cameras", "alert_types", "zones", "min_confidence", "quiet_hours_start",
            "quiet_hours_end", "time_zone", "notify_on_open", "notify_on_close",
        )  # fmt: skip
        widgets = {"secret": forms.PasswordInput(render_value=False), "password": forms.PasswordInput()}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.url:
            self.initial["url"] = mask_url(self.instance.url)

    def clean_url(self) -> str:
        submitted = self.cleaned_data["url"]
        if not self.instance.pk:
            return submitted
        return url_with_kept_secrets(submitted=submitted, stored=self.instance.url)

    def clean_secret(self) -> str:
        return self.cleaned_data.get("secret") or (self.instance.secret if self.instance.pk else "")

    def clean_password(self) -> str:
        return self.cleaned_data.get("password") or (self.instance.password if self.instance.pk else "")


@admin.register(Channel)
class ChannelAdmin(AuditedAdmin):
    form = ChannelForm
    list_display = ("name", "kind", "user", "masked_url", "enabled", "notify_on_open", "notify_on_close")
    list_filter = ("kind", "enabled", "user")
    search_fields = ("name", "user__username")
    list_select_related = ("user",)

    @admin.display(description="URL")
    def masked_url(self, channel: Channel) -> str:
        return mask_url(channel.url) if channel.url else ", ".join(channel.addresses)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "delivery_id",
        "channel",
        "event",
        "alert",
        "status",
        "attempts",
        "latency_seconds",
        "created_at",
    )
    list_filter = ("status", "event", "channel__kind")
    search_fields = ("delivery_id", "channel__name", "last_error")
    list_select_related = ("channel", "alert")
    readonly_fields = [field.name for field in Delivery._meta.fields]
    actions = ("retry_now",)

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Retry selected failed deliveries now")
    def retry_now(self, request, queryset) -> None:
        # The same delivery id: a receiver that already has it ignores it.
        count = queryset.filter(status=DeliveryStatus.FAILED).update(
            status=DeliveryStatus.PENDING, next_attempt_at=timezone.now(), first_attempt_at=None
        )
        self.message_user(request, f"{count} deliveries queued again.")


__all__ = ["MASK"]
