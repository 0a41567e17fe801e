"""Input and output shapes of the recordings API (docs/contracts.md, "Recordings")."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from surveillance.validators import parse_aware


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with a time zone (a bare local time would mean another instant on every server)."""

    def to_internal_value(self, value):
        moment = parse_aware(value)
        if moment is None:
            raise serializers.ValidationError(
                "An ISO 8601 time with a time zone, such as 2026-12-01T10:00:00Z."
            )
        return moment


class RecordingsQuerySerializer(serializers.Serializer):
    start = AwareDateTimeField()
    end = AwareDateTimeField()

    def validate(self, data: dict) -> dict:
        longest = settings.RECORDINGS_QUERY_MAX_SECONDS
        span = (data["end"] - data["start"]).total_seconds()
        if span <= 0:
            raise serializers.ValidationError({"end": "end must be after start."})
        if span > longest:
            raise serializers.ValidationError(
                {"end": f"At most RECORDINGS_QUERY_MAX_SECONDS={longest} s between start and end."}
            )
        return data


class MotionRunSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class MotionOutputSerializer(serializers.Serializer):
    runs = MotionRunSerializer(many=True, help_text="Runs of motion-mode segments, in time order.")


class SegmentOutputSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    duration = serializers.FloatField(help_text="Seconds, from the file's own timestamps.")
    size = serializers.IntegerField(help_text="Bytes.")
    url = serializers.CharField(help_text="The MP4, for whoever may see the camera (range requests).")


class GapOutputSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    cause = serializers.ChoiceField(choices=["stream_down", "not_recorded", "unknown"])


class RecordingsOutputSerializer(serializers.Serializer):
    segments = SegmentOutputSerializer(many=True)
    gaps = GapOutputSerializer(many=True)


class StoredSegmentOutputSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    duration = serializers.FloatField()
    size = serializers.IntegerField()
    kind = serializers.CharField()


class CameraUsageOutputSerializer(serializers.Serializer):
    camera_id = serializers.IntegerField()
    name = serializers.CharField()
    record_mode = serializers.CharField()
    segments = serializers.IntegerField()
    bytes = serializers.IntegerField()
    oldest = serializers.DateTimeField(allow_null=True)
    newest = serializers.DateTimeField(allow_null=True)


class UsageOutputSerializer(serializers.Serializer):
    segments = serializers.IntegerField()
    bytes = serializers.IntegerField()
    cap_bytes = serializers.IntegerField(help_text="RECORDING_STORAGE_PER_USER_BYTES; 0: no cap.")
    cameras = CameraUsageOutputSerializer(many=True)


# The window of a recordings query and of a playlist, as the API schema shows it (checked by
# RecordingsQuerySerializer).
WINDOW_PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.DATETIME, required=True, description="ISO 8601 with a zone."),
    OpenApiParameter(
        "end",
        OpenApiTypes.DATETIME,
        required=True,
        description="After start, at most RECORDINGS_QUERY_MAX_SECONDS later.",
    ),
]
