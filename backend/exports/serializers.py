"""Input and output shapes of the exports API (docs/contracts.md, "Exports")."""

from __future__ import annotations

import re

from django.urls import reverse
from recordings.serializers import AwareDateTimeField
from rest_framework import serializers

from exports.models import NAME_MAX_LENGTH, Export, ExportStatus

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# The most cameras one request may name whatever EXPORT_ACTIVE_PER_USER says (its own maximum): a bound on
# what is parsed before the service checks the setting.
CAMERAS_MAX = 100


def _camera_id() -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class ExportInputSerializer(serializers.Serializer):
    """``camera`` (one export) or ``cameras`` (one export each, answered as ``{"exports": [...]}``)."""

    camera = _camera_id()
    cameras = serializers.ListField(
        child=_camera_id(),
        min_length=1,
        max_length=CAMERAS_MAX,
        required=False,
        help_text="Instead of camera: several, one export (file) each, at most EXPORT_ACTIVE_PER_USER.",
    )
    start = AwareDateTimeField()
    end = AwareDateTimeField(help_text="After start, at most EXPORT_MAX_SECONDS later, not in the future.")
    name = serializers.CharField(max_length=NAME_MAX_LENGTH)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # ``camera`` is required only when ``cameras`` is not given (checked in ``validate``).
        self.fields["camera"].required = False

    def validate_name(self, value: str) -> str:
        if _CONTROL.search(value):
            raise serializers.ValidationError("No control characters (line breaks, tabs) in a name.")
        return value

    def validate_cameras(self, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError("Name each camera once.")
        return value

    def validate(self, attrs: dict) -> dict:
        if ("camera" in attrs) == ("cameras" in attrs):
            raise serializers.ValidationError(
                {"camera": "Give camera (one id) or cameras (a list), not both."}
            )
        return attrs


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


class ExportBatchOutputSerializer(serializers.Serializer):
    exports = ExportOutputSerializer(many=True, help_text="One export per camera, in the order asked.")
