"""Django admin: cameras (URLs masked), alerts (with the event's clip player and objects), clips, user
quotas, API tokens (prefix only)."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from rest_framework.authtoken.admin import TokenAdmin as DrfTokenAdmin
from rest_framework.authtoken.models import TokenProxy

from audit.admin import AuditedAdmin
from cctv_common.redact import mask_url
from surveillance.accounts.users import signed_in_user
from surveillance.cameras import services as camera_services
from surveillance.events import services as event_services
from surveillance.models import Alert, Camera, Clip


class CameraAdminForm(forms.ModelForm):
    """The change form shows the URL masked; a ``***`` left in place keeps the stored secret."""

    class Meta:
        model = Camera
        fields = "__all__"  # noqa: DJ007 (the admin's fieldsets choose; this form only masks the URLs)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["rtsp_url"] = mask_url(self.instance.rtsp_url)
            if self.instance.detect_rtsp_url:
                self.initial["detect_rtsp_url"] = mask_url(self.instance.detect_rtsp_url)

    def _kept(self, name: str) -> str:
        # The admin saves the model itself; the camera service decides what a kept *** means.
        submitted = self.cleaned_data[name]
        if not self.instance.pk:
            return submitted
        return camera_services.url_with_kept_secrets(submitted=submitted, stored=getattr(self.instance, name))

    def clean_rtsp_url(self) -> str:
        return self._kept("rtsp_url")

    def clean_detect_rtsp_url(self) -> str:
        return self._kept("detect_rtsp_url")


@admin.register(Camera)
class CameraAdmin(AuditedAdmin):
    form = CameraAdminForm
    list_display = (
        "name",
        "user",
        "team",
        "masked_rtsp_url",
        "is_active",
        "stream_state",
        "online",
        "last_heartbeat_at",
    )
    list_filter = ("is_active", "stream_state", "user")
    search_fields = ("name", "user__username")
    list_select_related = ("user",)
    # The team is shown, not edited: a camera added here goes to its user's personal team (Camera.save),
    # and a camera stays in the team it was added to (docs/contracts.md "Teams and roles").
    readonly_fields = ("team", "stream_state", "fps", "last_heartbeat_at", "created_at", "updated_at")
    actions = ("activate", "deactivate")

    @admin.display(description="RTSP URL")
    def masked_rtsp_url(self, camera: Camera) -> str:
        return mask_url(camera.rtsp_url)

    @admin.display(boolean=True)
    def online(self, camera: Camera) -> bool:
        return camera.is_online(timezone.now())

    @admin.action(description="Activate selected cameras")
    def activate(self, request, queryset) -> None:
        for camera in queryset:
            camera_services.camera_set_active(camera=camera, active=True)

    @admin.action(description="Deactivate selected cameras")
    def deactivate(self, request, queryset) -> None:
        for camera in queryset:
            camera_services.camera_set_active(camera=camera, active=False)


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = (
        "id", "thumbnail", "alert_type", "camera", "confidence", "occurred_at", "status", "duration",
        "object_count", "has_clip", "acknowledged",
    )  # fmt: skip
    list_filter = ("alert_type", "status", "acknowledged", "occurred_at", "camera")
    search_fields = ("description", "camera__name", "idempotency_key")
    list_select_related = ("camera",)
    date_hierarchy = "occurred_at"
    # COUNT(*) over 100k+ alerts on every page view is the slowest part of the changelist.
    show_full_result_count = False
    readonly_fields = (
        "thumbnail", "clip_player", "object_table", "created_at", "payload_digest", "acknowledged_at",
        "acknowledged_by", "revision",
    )  # fmt: skip
    raw_id_fields = ("camera",)
    actions = ("acknowledge",)

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        # Django's date hierarchy ends a year at the next one's first day: ?occurred_at__year=9999 asks for
        # year 10000, an unhandled ValueError (a 500). Past the last year is a bad parameter like any other
        # (the changelist answers it with its "?e=1" page).
        year = request.GET.get(f"{self.date_hierarchy}__year", "")
        try:
            too_late = int(year) >= datetime.MAXYEAR
        except ValueError:
            too_late = False  # not a number: Django refuses it itself
        if too_late:
            raise IncorrectLookupParameters(f"{self.date_hierarchy}__year must be before {datetime.MAXYEAR}")
        return super().get_changelist_instance(request)

    @admin.display(description="Snapshot")
    def thumbnail(self, alert: Alert) -> str:
        if not alert.snapshot:
            return "-"
        return format_html(
            '<a href="{0}"><img src="{0}" alt="snapshot" loading="lazy" style="max-height:64px"></a>',
            alert.snapshot.url,
        )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("clips")

    @admin.display(description="Duration (s)")
    def duration(self, alert: Alert) -> str:
        return "live" if alert.is_open else f"{alert.duration_seconds or 0:.0f}"

    @admin.display(description="Objects")
    def object_count(self, alert: Alert) -> int:
        return len(alert.seen_objects) or alert.peak_count

    @admin.display(boolean=True, description="Clip")
    def has_clip(self, alert: Alert) -> bool:
        return alert.clip is not None

    @admin.display(description="Clip")
    def clip_player(self, alert: Alert) -> str:
        clips = list(alert.clips.all())
        if not clips:
            return "-"
        poster = alert.snapshot.url if alert.snapshot else ""
        return format_html_join(
            "",
            '<div><video src="{}" poster="{}" controls preload="metadata" style="max-width:640px"></video>'
            "<div>segment {}: {} s, {} bytes</div></div>",
            ((c.file.url, poster, c.segment, f"{c.duration:.1f}", c.size) for c in clips),
        )

    @admin.display(description="Objects seen")
    def object_table(self, alert: Alert) -> str:
        if not alert.seen_objects:
            return "-"
        return format_html(
            "<table><tr><th>track</th><th>type</th><th>label</th><th>first seen</th><th>last seen</th>"
            "<th>confidence</th><th>zones</th></tr>{}</table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        o.get("track_id"),
                        o.get("alert_type"),
                        o.get("label"),
                        o.get("first_seen"),
                        o.get("last_seen"),
                        o.get("confidence"),
                        ", ".join(o.get("zones") or []),
                    )
                    for o in alert.seen_objects
                ),
            ),
        )

    @admin.action(description="Acknowledge selected alerts")
    def acknowledge(self, request, queryset) -> None:
        # Staff act across users here, so the user-scoped bulk service does not fit; one write per alert.
        pending = queryset.filter(acknowledged=False)
        count = 0
        for alert in pending:
            event_services.alert_acknowledge(alert=alert, user=signed_in_user(request))
            count += 1
        self.message_user(request, f"{count} alert(s) acknowledged.")


@admin.register(Clip)
class ClipAdmin(admin.ModelAdmin):
    list_display = ("id", "alert", "segment", "duration", "size", "created_at")
    list_select_related = ("alert",)
    raw_id_fields = ("alert",)
    readonly_fields = ("sha256", "created_at")


# API tokens are passwords: staff see which user has one and its first characters, never the whole key.
admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class TokenAdmin(DrfTokenAdmin):
    list_display = ("key_prefix", "user", "created")

    @admin.display(description="Key")
    def key_prefix(self, token: TokenProxy) -> str:
        return f"{token.key[:4]}…"
