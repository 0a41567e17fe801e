"""Explicit input and output serializers of the cameras' API (HackSoft style: one per direction and use).

Input serializers check types and shapes so a bad request gets a 400 naming the field; business rules
live in the model validators and run in the services' ``full_clean()``.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cctv_common.redact import mask_url
from surveillance.cameras.selectors import camera_ingest_token
from surveillance.fields import UnitFloat
from surveillance.models import AlertType, Camera, RecordMode, StreamState
from surveillance.validators import (
    DETECTOR_MAX_LENGTH,
    MAX_ZONE_POINTS,
    MAX_ZONES,
    ZONE_DEFAULTS,
    validate_detector,
)

StreamReport = [StreamState.UP, StreamState.DOWN, StreamState.CONNECTING]


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
        child=serializers.ListField(child=UnitFloat(), min_length=2, max_length=2),
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
        child=serializers.ListField(child=UnitFloat(), min_length=2, max_length=2),
        min_length=3,
        max_length=64,
    )


class ObjectFilterSerializer(serializers.Serializer):
    """One alert type's object filter; every bound optional (the model's validator checks the order)."""

    min_area = UnitFloat(required=False)
    max_area = UnitFloat(required=False)
    min_ratio = serializers.FloatField(required=False, min_value=0.0, max_value=100.0)
    max_ratio = serializers.FloatField(required=False, min_value=0.0, max_value=100.0)
    min_score = UnitFloat(required=False)


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
    confidence_threshold = UnitFloat(required=False)
    frame_skip = serializers.IntegerField(required=False, min_value=1, max_value=10_000)
    detect_fps = serializers.FloatField(required=False, allow_null=True, min_value=0.01, max_value=120.0)
    cooldown_seconds = serializers.IntegerField(required=False, min_value=0, max_value=86_400)
    event_grace_seconds = serializers.IntegerField(required=False, min_value=1, max_value=600)
    event_max_seconds = serializers.IntegerField(required=False, min_value=10, max_value=3600)
    pre_roll_seconds = serializers.IntegerField(required=False, min_value=0, max_value=60)
    post_roll_seconds = serializers.IntegerField(required=False, min_value=0, max_value=60)
    min_box_area = UnitFloat(required=False)
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
