"""Input and output shapes of the exports API (docs/contracts.md, "Exports")."""

from __future__ import annotations

import re

from django.urls import reverse
from recordings.serializers import AwareDateTimeField
from rest_framework import serializers

from exports.models import NAME_MAX_LENGTH, Export, ExportStatus

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ExportInputSerializer(serializers.Serializer):
    camera = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    start = AwareDateTimeField()
    end = AwareDateTimeField(help_text="After start, at most EXPORT_MAX_SECONDS later, not in the future.")
    name = serializers.CharField(max_length=NAME_MAX_LENGTH)

    def validate_name(self, value: str) -> str:
        if _CONTROL.search(value):
            raise serializers.ValidationError("No control characters (line breaks, tabs) in a name.")
        return value


class ExportOutputSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=ExportStatus.choices)
    progress = serializers.FloatField(help_text="0..1")
    url = serializers.SerializerMethodField(help_text="The MP4 (range requests) once done, else null.")

    class Meta:
        model = Export
        fields = [
            "id", "camera", "team", "name", "start", "end", "status", "progress", "error", "size", "duration",
            "created_at", "finished_at", "url",
        ]  # fmt: skip
        read_only_fields = fields

    def get_url(self, export: Export) -> str | None:
        if export.status != ExportStatus.DONE:
            return None
        path = reverse("export-download", kwargs={"pk": export.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path
