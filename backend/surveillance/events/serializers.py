"""Explicit input and output serializers of the API (HackSoft style: one per direction and use).

Input serializers check types and shapes so a bad request gets a 400 naming the field; business rules
live in the model validators and run in the services' ``full_clean()``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from cctv_common.redact import mask_url
from surveillance import event_zones, quotas, reviews
from surveillance.ids import is_id
from surveillance.models import AlertType, Camera, EventStatus, RecordMode, StreamState
from surveillance.selectors import camera_ingest_token
from surveillance.validators import (
    DETECTOR_MAX_LENGTH,
    MAX_ZONE_POINTS,
    MAX_ZONES,
    ZONE_DEFAULTS,
    validate_detector,
    validate_event_objects,
)

StreamReport = [StreamState.UP, StreamState.DOWN, StreamState.CONNECTING]


# --- shared shapes -----------------------------------------------------------------------------------


class IdField(serializers.IntegerField):
    """An object id: ASCII digits only ("\u00b2" and "\u0661" are digits to Python, not ids), 1 .. 2**63-1."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, max_value=2**63 - 1, **kwargs)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, str) and not is_id(data.strip()):
            self.fail("invalid")
        return super().to_internal_value(data)


class _UnitFloat(serializers.FloatField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=0.0, max_value=1.0, **kwargs)


@extend_schema_field(
    {
        "type": "string",
        "maxLength": 1024,
        "pattern": r"^rtsps?://([^\s:@/]+(:[^\s@/]*)?@)?[A-Za-z0-9.-]+(:[0-9]{1,5})?(/\S*)?$",
        "example": "rtsp://user:pass@192.168.1.100:554/stream1",
    }
)
class RtspUrlField(serializers.CharField):
    """An RTSP URL; the full rule is ``validate_rtsp_url``, run by the service's ``full_clean()``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=1024, **kwargs)


class ZoneSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    points = serializers.ListField(
        child=serializers.ListField(child=_UnitFloat(), min_length=2, max_length=2),
        min_length=3,
        max_length=MAX_ZONE_POINTS,
    )
    intrusion = serializers.BooleanField(required=False, default=ZONE_DEFAULTS["intrusion"])
    exclusive = serializers.BooleanField(
        required=False,
        default=ZONE_DEFAULTS["exclusive"],
        help_text="Objects outside every exclusive zone are ignored; false: the zone only adds information "
        "(its name, intrusion alerts inside it) and mutes nothing elsewhere.",
    )


class MotionMaskSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    points = serializers.ListField(
        child=serializers.ListField(child=_UnitFloat(), min_length=2, max_length=2),
        min_length=3,
        max_length=64,
    )


class ObjectFilterSerializer(serializers.Serializer):
    """One alert type's object filter; every bound optional (the model's validator checks the order)."""

    min_area = _UnitFloat(required=False)
    max_area = _UnitFloat(required=False)
    min_ratio = serializers.FloatField(required=False, min_value=0.0, max_value=100.0)
    max_ratio = serializers.FloatField(required=False, min_value=0.0, max_value=100.0)
    min_score = _UnitFloat(required=False)


class DetectionSerializer(serializers.Serializer):
    # The metaclass moves declared fields off the class: it never shadows Field.label, whatever the stubs say.
    label = serializers.CharField(max_length=100)  # type: ignore[assignment]
    confidence = _UnitFloat()
    box = serializers.ListField(child=_UnitFloat(), min_length=4, max_length=4)


# --- auth --------------------------------------------------------------------------------------------


class TokenInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField()


# --- cameras -----------------------------------------------------------------------------------------


class CameraInputSerializer(serializers.Serializer):
    """Create (name and rtsp_url required) and update (PATCH: every field optional)."""

    name = serializers.CharField(max_length=100)
    rtsp_url = RtspUrlField(help_text="rtsp://user:pass@host:554/path")
    team = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The owning team's id, on create only (default: your personal team); your role there must "
        "allow changing cameras (admin or owner).",
    )
    detect_rtsp_url = RtspUrlField(
        required=False,
        allow_blank=True,
        help_text="Optional low-resolution sub-stream to detect on (empty: none). Shown masked; a *** "
        "sent back keeps the stored password.",
    )
    is_active = serializers.BooleanField(required=False)
    alert_types = serializers.ListField(
        child=serializers.ChoiceField(choices=AlertType.choices), required=False, max_length=len(AlertType)
    )
    confidence_threshold = _UnitFloat(required=False)
    frame_skip = serializers.IntegerField(required=False, min_value=1, max_value=10_000)
    detect_fps = serializers.FloatField(required=False, allow_null=True, min_value=0.01, max_value=120.0)
    cooldown_seconds = serializers.IntegerField(required=False, min_value=0, max_value=86_400)
    event_grace_seconds = serializers.IntegerField(required=False, min_value=1, max_value=600)
    event_max_seconds = serializers.IntegerField(required=False, min_value=10, max_value=3600)
    pre_roll_seconds = serializers.IntegerField(required=False, min_value=0, max_value=60)
    post_roll_seconds = serializers.IntegerField(required=False, min_value=0, max_value=60)
    min_box_area = _UnitFloat(required=False)
    zones = ZoneSerializer(many=True, required=False, max_length=MAX_ZONES)  # type: ignore[call-arg]  # DRF hands max_length to the ListSerializer of many=True; stubs lack it
    motion_masks = MotionMaskSerializer(many=True, required=False, max_length=MAX_ZONES)  # type: ignore[call-arg]  # DRF hands max_length to the ListSerializer of many=True; stubs lack it
    forced_detect_interval = serializers.FloatField(required=False, min_value=0.0, max_value=3600.0)
    object_filters = serializers.DictField(
        child=ObjectFilterSerializer(), required=False, help_text="Per alert type."
    )
    detector = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=DETECTOR_MAX_LENGTH,
        validators=[validate_detector],
        help_text='Empty: the default detector; "local": in the worker; else a shared detector pool\'s name.',
    )

    # recording (issue 23)
    record_mode = serializers.ChoiceField(choices=RecordMode.choices, required=False)
    retain_continuous_days = serializers.IntegerField(required=False, min_value=1, max_value=3650)
    retain_motion_days = serializers.IntegerField(required=False, min_value=1, max_value=3650)
    retain_events_days = serializers.IntegerField(required=False, min_value=1, max_value=3650)

    def validate_zones(self, value: list) -> list:
        return [dict(zone) for zone in value]

    def validate_motion_masks(self, value: list) -> list:
        return [dict(mask) for mask in value]

    def validate_object_filters(self, value: dict) -> dict:
        unknown = sorted(set(value) - set(AlertType.values))
        if unknown:
            raise serializers.ValidationError(f"unknown alert types: {', '.join(unknown)}")
        # Only the bounds the user gave: an absent bound means "no limit" in the worker.
        return {kind: {k: v for k, v in bounds.items() if v is not None} for kind, bounds in value.items()}


class _DetectionConfigOutput(serializers.Serializer):
    """The detection config of a camera, as its owner and the operator read it."""

    confidence_threshold = serializers.FloatField()
    frame_skip = serializers.IntegerField()
    detect_fps = serializers.FloatField(allow_null=True)
    cooldown_seconds = serializers.IntegerField()
    event_grace_seconds = serializers.IntegerField()
    event_max_seconds = serializers.IntegerField()
    pre_roll_seconds = serializers.IntegerField()
    post_roll_seconds = serializers.IntegerField()
    min_box_area = serializers.FloatField()
    zones = ZoneSerializer(many=True)
    motion_masks = MotionMaskSerializer(many=True)
    forced_detect_interval = serializers.FloatField()
    object_filters = serializers.DictField(child=ObjectFilterSerializer())
    detector = serializers.CharField()
    # recording (issue 23)
    record_mode = serializers.ChoiceField(choices=RecordMode.choices)
    retain_continuous_days = serializers.IntegerField()
    retain_motion_days = serializers.IntegerField()
    retain_events_days = serializers.IntegerField()


class CameraOutputSerializer(_DetectionConfigOutput):
    """A camera as its owner's lists show it: the RTSP password masked."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    rtsp_url = serializers.SerializerMethodField(help_text="The password is masked as ***.")
    detect_rtsp_url = serializers.SerializerMethodField(
        help_text="The detection sub-stream, its password masked as *** (empty: none)."
    )
    is_active = serializers.BooleanField()
    alert_types = serializers.ListField(child=serializers.ChoiceField(choices=AlertType.choices))
    stream_state = serializers.ChoiceField(choices=StreamState.choices)
    fps = serializers.FloatField(allow_null=True)
    last_heartbeat_at = serializers.DateTimeField(allow_null=True)
    producible_types = serializers.ListField(
        child=serializers.ChoiceField(choices=AlertType.choices),
        help_text="The alert types its worker's model can raise at all, as its worker last reported; "
        "empty: not known yet.",
    )
    problem = serializers.CharField(
        help_text="Why its events do not arrive, as its worker last reported: the stream's error (connection "
        "refused, 401, not found, timeout, unsupported codec) or a message the backend refused; empty: none."
    )
    online = serializers.SerializerMethodField()
    team = serializers.IntegerField(source="team_id", help_text="The owning team's id.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_rtsp_url(self, camera: Camera) -> str:
        return mask_url(camera.rtsp_url)

    def get_detect_rtsp_url(self, camera: Camera) -> str:
        # Masked in the owner's detail view too: the worker gets it from active-cameras alone.
        return mask_url(camera.detect_rtsp_url) if camera.detect_rtsp_url else ""

    def get_online(self, camera: Camera) -> bool:
        return camera.is_online(self.context.get("now") or timezone.now())


class CameraDetailOutputSerializer(CameraOutputSerializer):
    """The owner's view of one camera: the full RTSP URL."""

    # A declared field replaces the parent's (masked) one; mypy sees class attributes of two types.
    rtsp_url = serializers.CharField()  # type: ignore[assignment]


class CameraCreatedOutputSerializer(CameraDetailOutputSerializer):
    ingest_token = serializers.SerializerMethodField(
        help_text="The camera's ingest token for its worker (also from rotate-token and active-cameras)."
    )

    def get_ingest_token(self, camera: Camera) -> str:
        return camera_ingest_token(camera=camera)


class IngestTokenOutputSerializer(serializers.Serializer):
    camera_id = serializers.IntegerField()
    ingest_token = serializers.CharField()


class ActiveCameraOutputSerializer(_DetectionConfigOutput):
    """One entry of /api/active-cameras/ (docs/contracts.md): the full URL and the ingest token."""

    id = serializers.IntegerField()
    rtsp_url = serializers.CharField()
    detect_rtsp_url = serializers.CharField(help_text="Empty: no detection sub-stream.")
    name = serializers.CharField()
    ingest_token = serializers.SerializerMethodField()
    alert_types = serializers.ListField(child=serializers.CharField())
    updated_at = serializers.DateTimeField()

    def get_ingest_token(self, camera: Camera) -> str:
        return camera_ingest_token(camera=camera)


class LiveReportSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=300, help_text="http://<ip>:<port>/live: where the worker serves.")
    key = serializers.CharField(min_length=16, max_length=128, help_text="What the worker asks the backend.")
    codec = serializers.RegexField(r"^[A-Za-z0-9._-]{1,64}$", help_text='The codec string ("avc1.64001f").')
    sub_codec = serializers.RegexField(
        r"^[A-Za-z0-9._-]{1,64}$",
        required=False,
        help_text="The detection sub-stream's codec, where the worker serves it apart (at /live/sub).",
    )


class HeartbeatInputSerializer(serializers.Serializer):
    stream_state = serializers.ChoiceField(choices=[(s.value, s.label) for s in StreamReport])
    fps = serializers.FloatField(required=False, allow_null=True, min_value=0.0, max_value=1000.0)
    producible_types = serializers.ListField(
        child=serializers.ChoiceField(choices=AlertType.choices),
        required=False,
        max_length=len(AlertType.choices),
        help_text="The alert types the worker's model can raise at all. Left out: unchanged.",
    )
    problem = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=300,
        help_text="Why the worker's events do not arrive (its stream's error, or a message the backend "
        "refused for good); empty: nothing is wrong. Left out: unchanged (a worker from before this field).",
    )
    open_events = serializers.ListField(
        child=serializers.CharField(max_length=255),
        required=False,
        max_length=100,
        help_text="Keys of the events the worker has open. Given: the camera's other open events that "
        "the backend has had for CAMERA_ONLINE_SECONDS are closed (their worker was killed). Left out: "
        "nothing is closed (a worker from before events).",
    )
    live = LiveReportSerializer(
        required=False,
        allow_null=True,
        help_text="Where the worker serves the live view. Left out or null: no live view now (the stream is "
        "down). An address outside LIVE_WORKER_NETWORKS is ignored.",
    )


class LiveStreamOutputSerializer(serializers.Serializer):
    codec = serializers.CharField(allow_null=True, help_text="RFC 6381 codec string; null while down.")
    mse = serializers.CharField(
        help_text="ws(s) URL: the stream as fragmented MP4 in binary WebSocket messages (your own "
        "credentials)."
    )
    http = serializers.URLField(help_text="GET: the same stream as one streaming HTTP response.")
    hls = serializers.URLField(allow_null=True, help_text="Not served yet: null.")


class LiveOutputSerializer(LiveStreamOutputSerializer):
    state = serializers.ChoiceField(choices=["live", "down", "inactive"])
    sub = LiveStreamOutputSerializer(
        allow_null=True,
        help_text="The detection sub-stream (the camera wall's), where the camera has one; null: none.",
    )


# --- alerts ------------------------------------------------------------------------------------------


class AlertInputSerializer(serializers.Serializer):
    """The worker's /api/send-alert/ body (the seed's five fields plus optional key, time, detections)."""

    camera_id = IdField()
    alert_type = serializers.ChoiceField(choices=AlertType.choices)
    confidence = _UnitFloat()
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
    confidence = _UnitFloat()
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


def paginated(serializer_class: type[serializers.Serializer], *, name: str) -> serializers.Serializer:
    """The OpenAPI shape of a page of ``serializer_class`` (``count`` only in page-number pages)."""
    return inline_serializer(
        name=name,
        fields={
            "count": serializers.IntegerField(
                required=False, help_text="Total matches (page pagination only)."
            ),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )


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
