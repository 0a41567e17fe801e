"""Cameras: what users own and configure, what workers report, what the operator reads."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from cctv_common.camera_settings import LIVE_SETTINGS
from surveillance.validators import (
    DETECTOR_MAX_LENGTH,
    ZONE_DEFAULTS,
    validate_alert_types,
    validate_detector,
    validate_motion_masks,
    validate_object_filters,
    validate_rtsp_url,
    validate_zones,
)
from teams.models import OwnedByTeam


class AlertType(models.TextChoices):
    INTRUSION = "intrusion", "Intrusion"
    PERSON = "person", "Person"
    VEHICLE = "vehicle", "Vehicle"
    SUSPICIOUS = "suspicious", "Suspicious activity"
    VIOLENCE = "violence", "Violence"
    FIRE = "fire", "Fire"
    SMOKE = "smoke", "Smoke"


class StreamState(models.TextChoices):
    UNKNOWN = "unknown", "Unknown"
    CONNECTING = "connecting", "Connecting"
    UP = "up", "Up"
    DOWN = "down", "Down"


class RecordMode(models.TextChoices):
    """What a camera's worker records (issue 23); segments are indexed by the recordings app."""

    EVENTS = "events", "Event clips only"
    MOTION = "motion", "Segments while something moves"
    CONTINUOUS = "continuous", "Segments always"
    OFF = "off", "Nothing"


def default_alert_types() -> list[str]:
    return [AlertType.PERSON, AlertType.VEHICLE, AlertType.INTRUSION]


#: The camera's detection settings: the fields of the camera-config reference (the Camera CRD's
#: `spec.detection`, docs/contracts.md), handed to its worker through /api/active-cameras/.
DETECTION_FIELDS = (
    "alert_types",
    "confidence_threshold",
    "frame_skip",
    "detect_fps",
    "cooldown_seconds",
    "event_grace_seconds",
    "event_max_seconds",
    "pre_roll_seconds",
    "post_roll_seconds",
    "min_box_area",
    "zones",
    "motion_masks",
    "forced_detect_interval",
    "object_filters",
    "detector",
    # recording (issue 23)
    "record_mode",
    "retain_continuous_days",
    "retain_motion_days",
    "retain_events_days",
)


#: The DETECTION_FIELDS a running worker applies live (crds/camera.yaml's cctv.io/live-settings): its
#: settings answer (``surveillance.cameras.worker_settings``) carries these; a change of any other field,
#: or of a stream URL, restarts the worker. Checked against the CRD by tests/contract/test_camera_contract.py.
LIVE_DETECTION_FIELDS = LIVE_SETTINGS


#: The Camera fields outside DETECTION_FIELDS that restart its worker too: the streams it reads.
STREAM_FIELDS = ("rtsp_url", "detect_rtsp_url")


def setting_applies(name: str) -> str | None:
    """How a change of the camera field ``name`` reaches its running worker: ``"live"`` (between two
    frames), ``"restart"`` (the worker restarts), or None (the worker does not read it, e.g. the name)."""
    if name in LIVE_DETECTION_FIELDS:
        return "live"
    if name in DETECTION_FIELDS or name in STREAM_FIELDS:
        return "restart"
    return None


def new_token_nonce() -> str:
    return secrets.token_hex(16)


class Camera(OwnedByTeam, models.Model):
    """An RTSP camera of a team, with the detection config its worker runs and the status it reports."""

    # Who added it (quotas and storage caps count against this account); the team owns it (issue 25).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cameras")
    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="cameras")
    name = models.CharField(max_length=100)
    rtsp_url = models.CharField("RTSP URL", max_length=1024, validators=[validate_rtsp_url])
    # Optional low-resolution sub-stream: the worker detects on it and records rtsp_url into clips. It
    # carries credentials like rtsp_url: masked wherever it is shown, in the worker's Secret on Kubernetes.
    detect_rtsp_url = models.CharField(
        "detection sub-stream URL",
        max_length=1024,
        blank=True,
        default="",
        validators=[validate_rtsp_url],
        help_text="Optional: a low-resolution stream to detect on; the RTSP URL then only feeds clips.",
    )
    is_active = models.BooleanField(default=False, db_index=True)

    # Detection config, handed to the worker through /api/active-cameras/.
    alert_types = models.JSONField(
        default=default_alert_types,
        blank=True,
        validators=[validate_alert_types],
        help_text="Alert types this camera raises.",
    )
    confidence_threshold = models.FloatField(
        default=0.5,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Detections below this confidence (0 to 1) are ignored.",
    )
    frame_skip = models.PositiveIntegerField(
        # Upper bounds are the worker's and the operator's: a camera the backend accepts must run.
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(10_000)],
        help_text="Analyse every Nth frame.",
    )
    detect_fps = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0.01), MaxValueValidator(120.0)],
        help_text="Frames analysed per second; overrides frame skip when set.",
    )
    cooldown_seconds = models.PositiveIntegerField(
        default=60,
        validators=[MaxValueValidator(86_400)],
        help_text="Minimum seconds between two alerts of one type.",
    )
    event_grace_seconds = models.PositiveIntegerField(
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(600)],
        help_text="Seconds with none of an event's objects seen that close it.",
    )
    event_max_seconds = models.PositiveIntegerField(
        default=600,
        validators=[MinValueValidator(10), MaxValueValidator(3600)],
        help_text="A longer event is closed and continued by a new one (bounded clips).",
    )
    pre_roll_seconds = models.PositiveIntegerField(
        default=5,
        validators=[MinValueValidator(0), MaxValueValidator(60)],
        help_text="Seconds of video before an event in its clip.",
    )
    post_roll_seconds = models.PositiveIntegerField(
        default=5,
        validators=[MinValueValidator(0), MaxValueValidator(60)],
        help_text="Seconds of video after an event in its clip.",
    )
    min_box_area = models.FloatField(
        default=0.0,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Ignore objects smaller than this fraction of the frame.",
    )
    zones = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_zones],
        help_text=(
            'Polygons in 0..1 coordinates: [{"name": "door", "points": [[x, y], ...], "intrusion": true, '
            '"exclusive": true}]; both are true when left out. Objects outside every exclusive zone are '
            "ignored; a zone that is not exclusive mutes nothing."
        ),
    )
    object_filters = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_object_filters],
        help_text=(
            'Per alert type: {"person": {"min_area": 0.001, "max_area": 0.5, "min_ratio": 0.2, '
            '"max_ratio": 1.5, "min_score": 0.6}}. Area: fraction of the frame; ratio: width/height; '
            "min_score: what the object must score over its first frames before it alerts."
        ),
    )
    motion_masks = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_motion_masks],
        help_text='Polygons in 0..1 coordinates where motion does not wake the detector: [{"name": "tree", '
        '"points": [[x, y], ...]}]',
    )
    forced_detect_interval = models.FloatField(
        default=5.0,
        validators=[MinValueValidator(0.0), MaxValueValidator(3600.0)],
        help_text="Seconds between detections while an object is followed and all is still (0: motion only).",
    )

    detector = models.CharField(
        max_length=DETECTOR_MAX_LENGTH,
        default="",
        blank=True,
        validators=[validate_detector],
        help_text='Which detector analyses the frames: empty for the default, "local" for the worker itself, '
        "or the name of a shared detector pool.",
    )

    # --- recording (issue 23): what the worker records, how long the backend keeps it (recordings app) ---
    record_mode = models.CharField(
        max_length=16,
        choices=RecordMode.choices,
        default=RecordMode.EVENTS,
        help_text="events: event clips only; motion: 10 s segments while something moves (with pre- and "
        "post-roll); continuous: 10 s segments always; off: nothing, not even event clips.",
    )
    retain_continuous_days = models.PositiveIntegerField(
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="Days a continuous recording segment is kept.",
    )
    retain_motion_days = models.PositiveIntegerField(
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="Days a motion recording segment is kept.",
    )
    retain_events_days = models.PositiveIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="Days a recording segment that overlaps an event is kept (when longer than its kind's).",
    )
    # --- end of recording ---

    # The camera's ingest token is HMAC(SECRET_KEY, nonce): never stored, rotated by a new nonce.
    ingest_token_nonce = models.CharField(max_length=64, default=new_token_nonce, editable=False)

    # Reported by the camera's worker through heartbeats.
    stream_state = models.CharField(max_length=16, choices=StreamState.choices, default=StreamState.UNKNOWN)
    fps = models.FloatField(null=True, blank=True)
    last_heartbeat_at = models.DateTimeField(null=True, blank=True)
    # Why the worker's events do not arrive, as it last reported: its stream's error (connection refused,
    # 401, not found, timeout, unsupported codec) or a message the backend refused for good; "": none.
    problem = models.CharField(max_length=300, blank=True, default="")
    # The alert types its worker's model can raise at all (class map, intrusion zones); [] while unknown.
    producible_types = models.JSONField(default=list, blank=True)
    # Event updates in the current one-minute window (EVENT_UPDATE_RATE_PER_MINUTE), counted in the row
    # so that every server process sees the same count.
    event_updates_since = models.DateTimeField(null=True, blank=True, editable=False)
    event_updates_in_window = models.PositiveIntegerField(default=0, editable=False)
    # Where the worker serves the live view (its last heartbeat; empty while its stream is down), the
    # per-process key it asks for and the stream's codec string (surveillance.cameras.live).
    live_host = models.GenericIPAddressField(null=True, blank=True, editable=False)
    live_port = models.PositiveIntegerField(null=True, blank=True, editable=False)
    live_key = models.CharField(max_length=128, blank=True, default="", editable=False)
    live_codec = models.CharField(max_length=64, blank=True, default="", editable=False)
    # The detection sub-stream's codec where the worker serves it apart (the camera wall's); else empty.
    live_sub_codec = models.CharField(max_length=64, blank=True, default="", editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"],
                name="camera_name_unique_per_user",
                violation_error_message="You already have a camera with this name.",
            ),
            models.CheckConstraint(
                condition=Q(confidence_threshold__gte=0) & Q(confidence_threshold__lte=1),
                name="camera_confidence_threshold_0_1",
            ),
        ]
        permissions = [
            ("view_active_cameras", "Can read the active cameras of every user (the operator)"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # Zones are stored with every key, so that no reader has to know what a missing key means.
        if isinstance(self.zones, list):
            self.zones = [
                {**ZONE_DEFAULTS, **zone} if isinstance(zone, dict) else zone for zone in self.zones
            ]

    def is_online(self, now=None) -> bool:
        if self.last_heartbeat_at is None or self.stream_state != StreamState.UP:
            return False
        now = now or timezone.now()
        return (now - self.last_heartbeat_at).total_seconds() < settings.CAMERA_ONLINE_SECONDS
