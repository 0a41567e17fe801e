"""Explicit input and output serializers of the alerts' and events' API (HackSoft style:
one per direction and use).

Input serializers check types and shapes so a bad request gets a 400 naming the field; business rules
live in the model validators and run in the services' ``full_clean()``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from surveillance import quotas
from surveillance.events import event_zones, reviews
from surveillance.fields import IdField, UnitFloat
from surveillance.models import AlertType, EventStatus
from surveillance.validators import validate_event_objects


class DetectionSerializer(serializers.Serializer):
    # The metaclass moves declared fields off the class: it never shadows Field.label, whatever the stubs say.
    label = serializers.CharField(max_length=100)  # type: ignore[assignment]
    confidence = UnitFloat()
    box = serializers.ListField(child=UnitFloat(), min_length=4, max_length=4)


class AlertInputSerializer(serializers.Serializer):
    """The worker's /api/send-alert/ body (the seed's five fields plus optional key, time, detections)."""

    camera_id = IdField()
    alert_type = serializers.ChoiceField(choices=AlertType.choices)
    confidence = UnitFloat()
    image_base64 = serializers.CharField(
        trim_whitespace=False, help_text="JPEG, PNG or WebP, base64 (a data: URL prefix is accepted)."
    )
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    idempotency_key = serializers.CharField(required=False, max_length=255)
    timestamp = serializers.DateTimeField(required=False, help_text="When it happened (ISO 8601).")
    detections = DetectionSerializer(many=True, required=False, max_length=100)  # type: ignore[call-arg]  # DRF hands max_length to the ListSerializer of many=True; stubs lack it
    # The event (all optional: a seed client's alert is a closed event of one moment).
    status = serializers.ChoiceField(choices=EventStatus.choices, required=False)
    started_at = serializers.DateTimeField(required=False, allow_null=True)
    ended_at = serializers.DateTimeField(required=False, allow_null=True)
    peak_count = serializers.IntegerField(required=False, min_value=1, max_value=10_000)
    objects = serializers.JSONField(required=False, validators=[validate_event_objects])
    revision = serializers.IntegerField(required=False, min_value=0, max_value=2**31 - 1)

    def validate_detections(self, value: list) -> list:
        return [dict(item) for item in value]

    def validate_timestamp(self, value):
        return _in_window(value)

    def validate_started_at(self, value):
        return _in_window(value)

    def validate_ended_at(self, value):
        return _in_window(value)


class EventUpdateInputSerializer(serializers.Serializer):
    """PUT /api/cameras/<id>/events/<key>/: the event's whole state at one revision."""

    status = serializers.ChoiceField(choices=EventStatus.choices)
    ended_at = serializers.DateTimeField(required=False, allow_null=True)
    confidence = UnitFloat()
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    peak_count = serializers.IntegerField(min_value=1, max_value=10_000)
    objects = serializers.JSONField(validators=[validate_event_objects])
    revision = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    image_base64 = serializers.CharField(required=False, trim_whitespace=False)
    detections = DetectionSerializer(many=True, required=False, max_length=100)  # type: ignore[call-arg]  # DRF hands max_length to the ListSerializer of many=True; stubs lack it

    def validate_detections(self, value: list) -> list:
        return [dict(item) for item in value]

    def validate_ended_at(self, value):
        return _in_window(value)

    def validate(self, attrs: dict) -> dict:
        if attrs["status"] == EventStatus.CLOSED and not attrs.get("ended_at"):
            raise serializers.ValidationError({"ended_at": "A closed event needs its end."})
        return attrs


class SegmentPlaceSerializer(serializers.Serializer):
    segment = serializers.IntegerField(
        min_value=1, max_value=10**15 - 1, help_text="The segment's start, Unix ms."
    )
    offset = serializers.FloatField(min_value=0, max_value=86_400, help_text="Seconds from its first packet.")


class ClipSpanSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="Wall time of the clip's first packet (a keyframe).")
    end = serializers.DateTimeField(help_text="Wall time of its last packet.")
    first = SegmentPlaceSerializer(required=False, help_text="Where the first packet lies in the segments.")
    last = SegmentPlaceSerializer(required=False, help_text="Where the last packet lies in the segments.")

    def validate_start(self, value):
        return _in_window(_aware(value, "start"))

    def validate_end(self, value):
        return _in_window(_aware(value, "end"))

    def validate(self, attrs: dict) -> dict:
        length = (attrs["end"] - attrs["start"]).total_seconds()
        if not 0 < length <= settings.CLIP_MAX_SECONDS:
            raise serializers.ValidationError(
                {"end": f"After start, at most CLIP_MAX_SECONDS={settings.CLIP_MAX_SECONDS} later."}
            )
        return attrs


class ClipReferenceInputSerializer(serializers.Serializer):
    """A clip the camera's recording segments hold (issue 23): its span instead of its bytes."""

    recordings = ClipSpanSerializer()
    duration = serializers.FloatField(min_value=0, max_value=10**6, help_text="Seconds, the worker's cut.")
    size = serializers.IntegerField(min_value=0, max_value=2**62, help_text="Bytes, the worker's cut.")


def _aware(value, name: str):
    if value.tzinfo is None:
        raise serializers.ValidationError(f"{name}: an ISO 8601 time with a time zone.")
    return value


class ClipOutputSerializer(serializers.Serializer):
    url = serializers.SerializerMethodField()
    segment = serializers.IntegerField()
    duration = serializers.FloatField(help_text="Seconds.")
    size = serializers.IntegerField(help_text="Bytes.")
    started_at = serializers.DateTimeField(allow_null=True, help_text="Wall time of the first frame.")

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, clip) -> str:
        request = self.context.get("request")
        url = clip.file.url
        return request.build_absolute_uri(url) if request is not None else url


class AlertFilterSerializer(serializers.Serializer):
    """Query parameters of GET /api/alerts/."""

    camera = IdField(required=False)
    alert_type = serializers.ChoiceField(choices=AlertType.choices, required=False)
    acknowledged = serializers.BooleanField(required=False, allow_null=True, default=None)
    reviewed = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Reviewed by the caller (or not)."
    )
    since = serializers.DateTimeField(required=False, help_text="Alerts at or after this time.")
    until = serializers.DateTimeField(required=False, help_text="Alerts before this time.")
    zone = serializers.CharField(
        required=False,
        max_length=event_zones.ZONE_NAME_MAX,
        help_text="Alerts with an object seen in the zone of this name.",
    )

    def validate(self, attrs: dict) -> dict:
        since, until = attrs.get("since"), attrs.get("until")
        if since and until and since >= until:
            raise serializers.ValidationError({"until": "until must be later than since."})
        return attrs


class AlertOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    camera_id = serializers.IntegerField()
    camera_name = serializers.CharField(source="camera.name")
    alert_type = serializers.ChoiceField(choices=AlertType.choices)
    confidence = serializers.FloatField()
    description = serializers.CharField()
    detections = DetectionSerializer(many=True)
    occurred_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    snapshot_url = serializers.SerializerMethodField()
    acknowledged = serializers.BooleanField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    acknowledged_by = serializers.SerializerMethodField()
    reviewed = serializers.SerializerMethodField(help_text="Reviewed by the caller (per user).")
    idempotency_key = serializers.CharField(allow_null=True)
    # The event.
    status = serializers.ChoiceField(choices=EventStatus.choices)
    started_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    duration = serializers.FloatField(source="duration_seconds", allow_null=True, help_text="Seconds.")
    peak_count = serializers.IntegerField()
    objects = serializers.JSONField(source="seen_objects")
    clip = serializers.SerializerMethodField()
    clips = ClipOutputSerializer(many=True, source="clips.all")

    @extend_schema_field(ClipOutputSerializer(allow_null=True))
    def get_clip(self, alert) -> dict | None:
        clip = alert.clip
        return ClipOutputSerializer(clip, context=self.context).data if clip is not None else None

    @extend_schema_field(OpenApiTypes.URI)
    def get_snapshot_url(self, alert) -> str | None:
        if not alert.snapshot:
            return None
        url = alert.snapshot.url
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    def get_acknowledged_by(self, alert) -> str | None:
        return alert.acknowledged_by.get_username() if alert.acknowledged_by_id else None

    def get_reviewed(self, alert) -> bool:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        # A camera's ingest token (whose principal is not a user) has no review state.
        if not isinstance(user, get_user_model()) or not user.is_authenticated:
            return False
        return reviews.is_reviewed(alert=alert, user=user)


class AlertsAcknowledgeInputSerializer(serializers.Serializer):
    ids = serializers.ListField(child=IdField(), min_length=1, max_length=1000)


class AlertsReviewOutputSerializer(serializers.Serializer):
    reviewed = serializers.IntegerField(help_text="How many alerts changed to reviewed by the caller.")


class AlertsToReviewOutputSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="The caller's alerts since `since` they have not reviewed.")
    since = serializers.DateTimeField(help_text="The start of the last shift (REVIEW_SHIFT_STARTS).")


class AlertsAcknowledgeOutputSerializer(serializers.Serializer):
    acknowledged = serializers.IntegerField(help_text="How many alerts changed to acknowledged.")


def _in_window(value):
    """Every time a camera sends is inside the accepted window (quotas.check_timestamp): a year-9999
    event would top every feed for ever and never be purged."""
    if value is None:
        return value
    try:
        quotas.check_timestamp(value, now=timezone.now())
    except DjangoValidationError as error:
        raise serializers.ValidationError(error.messages) from None
    return value
