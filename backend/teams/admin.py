"""The admin's view of camera groups (sites): a team's cameras in each (who belongs to them is the teams
API's: memberships narrowed to groups); and of teams' quotas, which staff set here."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet

from teams.models import CameraGroup, TeamQuota


class CameraGroupForm(forms.ModelForm):
    class Meta:
        model = CameraGroup
        fields = ["team", "name", "cameras"]

    def clean(self):
        cleaned = super().clean()
        team = cleaned.get("team", self.instance.team if self.instance.team_id else None)
        cameras = cleaned.get("cameras")
        if team is not None and cameras is not None:
            others = [camera for camera in cameras if camera.team_id != team.pk]
            if others:
                # As the API: a group holds its own team's cameras only.
                self.add_error(
                    "cameras",
                    f"Not cameras of team {team}: {', '.join(str(camera.pk) for camera in others)}.",
                )
        return cleaned


@admin.register(CameraGroup)
class CameraGroupAdmin(admin.ModelAdmin):
    form = CameraGroupForm
    list_display = ["name", "team", "camera_count", "created_at"]
    list_select_related = ["team"]
    search_fields = ["name", "team__name"]
    filter_horizontal = ["cameras"]

    def get_queryset(self, request) -> QuerySet[CameraGroup]:
        return super().get_queryset(request).annotate(camera_total=Count("cameras"))

    def get_readonly_fields(self, request, obj=None):
        # A group stays in its team: its members' narrowing and its cameras are that team's.
        return ["team", "created_at"] if obj is not None else ["created_at"]

    @admin.display(description="cameras", ordering="camera_total")
    def camera_count(self, group) -> int:
        return group.camera_total


@admin.register(TeamQuota)
class TeamQuotaAdmin(admin.ModelAdmin):
    """Staff raise (or lower) one team's camera and storage limits here."""

    list_display = ("team", "max_cameras", "max_active_cameras", "max_storage_bytes")
    search_fields = ("team__name", "team__personal_of__username")
    raw_id_fields = ("team",)
