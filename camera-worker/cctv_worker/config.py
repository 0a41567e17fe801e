"""The worker's one configuration model, read from the environment and validated at start-up.

Every setting is an environment variable (the operator, the local runtime and the Helm chart start
workers with an environment only). A bad value stops start-up with one message that names the
variable; nothing is read from the environment anywhere else. The model is a pydantic-settings
``BaseSettings``: each field's alias is its variable's exact name, and the values stay strings until the
field's own validator parses them (``enable_decoding=False``: ZONES, OBJECT_FILTERS and the maps have
their own syntax and error messages).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from cctv_common.env_source import settings_values
from cctv_common.network_policy import NetworkPolicy, parse_networks
from cctv_worker.decisions.alert_types import ALERT_TYPES
from cctv_worker.decisions.object_filters import ObjectFilter
from cctv_worker.detect.protocol import DEFAULT_MODEL_NAME as DEFAULT_DETECTOR_MODEL
from cctv_worker.detect.protocol import service_address

DEFAULT_MODEL_PATH = "yolov8n.pt"


class ConfigError(ValueError):
    """A setting is missing or invalid; the message names the variable(s)."""


def _inside_frame(points: tuple[tuple[float, float], ...], what: str) -> tuple[tuple[float, float], ...]:
    for x, y in points:
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise ValueError(f"{what} point {[x, y]} is outside the frame (coordinates are 0..1)")
    return points


class Zone(BaseModel):
    """A polygon in normalised (0..1) frame coordinates, as in the backend's active-cameras list."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=100)
    points: tuple[tuple[float, float], ...] = Field(min_length=3, max_length=64)
    intrusion: bool = True
    # Objects outside every exclusive zone are ignored. A zone that is not exclusive only adds
    # information (its name, intrusion alerts inside it) and mutes nothing elsewhere.
    exclusive: bool = True

    @field_validator("points")
    @classmethod
    def _points_inside_frame(cls, points: tuple[tuple[float, float], ...]) -> tuple[tuple[float, float], ...]:
        return _inside_frame(points, "zone")


class MotionMask(BaseModel):
    """A polygon (normalised 0..1, like a zone) where motion does not open the motion gate."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field("mask", min_length=1, max_length=100)
    points: tuple[tuple[float, float], ...] = Field(min_length=3, max_length=100)

    @field_validator("points")
    @classmethod
    def _points_inside_frame(cls, points: tuple[tuple[float, float], ...]) -> tuple[tuple[float, float], ...]:
        return _inside_frame(points, "mask")


def _json_list(value: Any, what: str) -> Any:
    if isinstance(value, str):
        if not value.strip():
            return ()
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON ({exc.msg} at character {exc.pos})") from None
        if not isinstance(value, list):
            raise ValueError(f"must be a JSON list of {what} objects")
    return value


def _pairs(raw: str, what: str) -> dict[str, str]:
    """Parses ``a=b,c=d`` (the seed's style for maps in one variable)."""
    result: dict[str, str] = {}
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(f"expected comma-separated {what} pairs like 'person=person', got {item!r}")
        result[key.strip()] = value.strip()
    return result


class WorkerConfig(BaseSettings):
    """All settings of one worker. Field aliases are the environment variable names."""

    model_config = SettingsConfigDict(
        extra="forbid",
        frozen=True,
        case_sensitive=True,  # CAMERA_ID only: no populate_by_name, which would also read camera_id
        enable_decoding=False,  # the validators below parse each variable's own syntax
        validate_default=False,  # defaults are already values, not variables to parse
    )

    # What to watch and whom to tell.
    camera_id: int = Field(alias="CAMERA_ID", ge=1)
    rtsp_url: SecretStr = Field(alias="RTSP_URL", min_length=1)
    # Optional low-resolution sub-stream for detection; RTSP_URL (the main stream) then feeds clips only.
    detect_rtsp_url: SecretStr | None = Field(None, alias="DETECT_RTSP_URL")
    django_api_url: str = Field("http://localhost:8000", alias="DJANGO_API_URL")
    django_api_token: SecretStr = Field(alias="DJANGO_API_TOKEN", min_length=1)

    # Detection.
    model_path: str = Field(DEFAULT_MODEL_PATH, alias="MODEL_PATH", min_length=1)
    detector_backend: Literal["auto", "ultralytics", "onnxruntime", "openvino"] = Field(
        "auto", alias="DETECTOR_BACKEND"
    )
    inference_size: int = Field(640, alias="INFERENCE_SIZE", ge=32, le=1920, multiple_of=32)
    # One thread by default: a node runs one worker per camera, and threads of many workers fighting over
    # the same cores were slower than one each (bench/bench_worker.py). 0: the runtime's default (all cores).
    inference_threads: int = Field(1, alias="INFERENCE_THREADS", ge=0, le=64)
    confidence_threshold: float = Field(0.5, alias="CONFIDENCE_THRESHOLD", ge=0.0, le=1.0)
    # The shared detector (cctv-detector or any Triton serving its tensors): its gRPC address. Unset: the
    # model runs in this process. Set: this process loads a model only as a fallback, and only when
    # MODEL_PATH is set explicitly (then only on the first outage).
    detector_url: str | None = Field(None, alias="DETECTOR_URL")
    detector_model: str = Field(
        DEFAULT_DETECTOR_MODEL, alias="DETECTOR_MODEL", pattern=r"^[A-Za-z0-9_.-]{1,64}$"
    )
    # The camera's detector choice (the camera setting `detector`): "" follows DETECTOR_URL, "local" keeps
    # inference in this process even where DETECTOR_URL is set (e.g. by `scripts/run --shared-detector`),
    # a pool's name is what the operator turned into DETECTOR_URL (shown by /readyz).
    detector: str = Field("", alias="DETECTOR", max_length=63, pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$")
    detector_timeout: float = Field(5.0, alias="DETECTOR_TIMEOUT", gt=0.0, le=60.0)
    detector_retry_interval: float = Field(5.0, alias="DETECTOR_RETRY_INTERVAL", gt=0.0, le=600.0)
    class_confidence: dict[str, float] = Field(default_factory=dict, alias="CLASS_CONFIDENCE")
    alert_class_map: dict[str, str] | None = Field(None, alias="ALERT_CLASS_MAP")

    # Sampling: every FRAME_SKIP-th frame, or DETECT_FPS frames per second when set.
    frame_skip: int = Field(30, alias="FRAME_SKIP", ge=1, le=10_000)
    detect_fps: float | None = Field(None, alias="DETECT_FPS", ge=0.01, le=120.0)

    # Stream health.
    stream_timeout: float = Field(10.0, alias="STREAM_TIMEOUT", gt=0.0, le=600.0)
    stall_timeout: float | None = Field(None, alias="STALL_TIMEOUT", gt=0.0, le=600.0)
    reconnect_delay: float = Field(2.0, alias="RECONNECT_DELAY", ge=0.0, le=3600.0)
    reconnect_max_delay: float = Field(10.0, alias="RECONNECT_MAX_DELAY", gt=0.0, le=3600.0)

    # From detections to alerts.
    # Unset or empty: every type the class map yields (the seed pipeline's way); "none": no alerts.
    alert_types: frozenset[str] | None = Field(None, alias="ALERT_TYPES", max_length=len(ALERT_TYPES))
    alert_cooldown: float = Field(60.0, alias="ALERT_COOLDOWN", ge=0.0, le=86_400.0)
    min_box_area: float = Field(0.0, alias="MIN_BOX_AREA", ge=0.0, le=1.0)
    zones: tuple[Zone, ...] = Field((), alias="ZONES", max_length=32)
    track_max_age: float = Field(10.0, alias="TRACK_MAX_AGE", gt=0.0, le=3600.0)
    object_filters: dict[str, ObjectFilter] = Field(default_factory=dict, alias="OBJECT_FILTERS")

    # The motion gate (motion.py): the detector runs on frames with motion, plus a forced one every
    # FORCED_DETECT_INTERVAL seconds (0: never) so that what stands still is still seen, while an event
    # is open or an object was seen recently; while nothing is followed (an empty scene), a forced one
    # only every FORCED_DETECT_IDLE_INTERVAL seconds (0: never; never more often than the other).
    motion_gate: bool = Field(True, alias="MOTION_GATE")
    motion_threshold: int = Field(25, alias="MOTION_THRESHOLD", ge=1, le=255)
    motion_min_area: float = Field(0.002, alias="MOTION_MIN_AREA", ge=0.0, le=1.0)
    motion_masks: tuple[MotionMask, ...] = Field((), alias="MOTION_MASKS", max_length=32)
    forced_detect_interval: float = Field(5.0, alias="FORCED_DETECT_INTERVAL", ge=0.0, le=3600.0)
    forced_detect_idle_interval: float = Field(60.0, alias="FORCED_DETECT_IDLE_INTERVAL", ge=0.0, le=3600.0)
    # While nothing moves and no event is open, decode only the keyframes (what the gate needs);
    # "all" decodes every frame always (first sight of motion is then not bound to the keyframe rate).
    motion_idle_decode: Literal["keyframes", "all"] = Field("keyframes", alias="MOTION_IDLE_DECODE")

    # Events: closed when nobody was seen for EVENT_GRACE s; split past EVENT_MAX_LENGTH s.
    event_grace: float = Field(10.0, alias="EVENT_GRACE", ge=1.0, le=600.0)
    event_max_length: float = Field(600.0, alias="EVENT_MAX_LENGTH", ge=10.0, le=3600.0)
    # Clips: from PRE_ROLL s before an event to POST_ROLL s after it, the stream's own packets.
    clips_enabled: bool = Field(True, alias="CLIPS_ENABLED")
    pre_roll: float = Field(5.0, alias="PRE_ROLL", ge=0.0, le=60.0)
    post_roll: float = Field(5.0, alias="POST_ROLL", ge=0.0, le=60.0)
    # --- recording (issue 23; cctv_worker.capture.segments, cctv_worker.delivery.segments) ---
    # A camera setting: "off" records nothing, not even event clips; motion/continuous add 10 s segments.
    record_mode: Literal["events", "motion", "continuous", "off"] = Field("events", alias="RECORD_MODE")
    # Camera settings too: the backend deletes segments past these; the worker's spool drops a segment
    # it could not upload in that time (the backend would refuse or delete it anyway).
    retain_continuous_days: int = Field(7, alias="RETAIN_CONTINUOUS_DAYS", ge=1, le=3650)
    retain_motion_days: int = Field(14, alias="RETAIN_MOTION_DAYS", ge=1, le=3650)
    retain_events_days: int = Field(30, alias="RETAIN_EVENTS_DAYS", ge=1, le=3650)
    # Worker settings: the segments' target length (cut at the first keyframe past it) and the bound
    # of the local spool of segments not yet uploaded (past it the oldest are dropped and counted).
    segment_seconds: float = Field(10.0, alias="SEGMENT_SECONDS", ge=1.0, le=300.0)
    segment_spool_max_bytes: int = Field(
        2 * 1024**3, alias="SEGMENT_SPOOL_MAX_BYTES", ge=16 * 1024 * 1024, le=1024**4
    )
    # --- end of recording ---

    snapshot_max_bytes: int = Field(500_000, alias="SNAPSHOT_MAX_BYTES", ge=20_000, le=20_000_000)
    snapshot_max_width: int = Field(1280, alias="SNAPSHOT_MAX_WIDTH", ge=160, le=7680)

    # Delivery.
    heartbeat_interval: float = Field(15.0, alias="HEARTBEAT_INTERVAL", gt=0.0, le=3600.0)
    # Seconds between reads of the camera's live settings from the backend (0: never; both runtimes set
    # it for the cameras whose settings live in the backend). Also turns on the event handover.
    settings_interval: float = Field(0.0, alias="SETTINGS_INTERVAL", ge=0.0, le=3600.0)
    # Messages of every kind (alerts, event updates, clips) kept while the backend is unreachable.
    spool_max_messages: int = Field(1000, alias="SPOOL_MAX_MESSAGES", ge=1, le=1_000_000)
    alert_post_timeout: float = Field(10.0, alias="ALERT_POST_TIMEOUT", gt=0.0, le=300.0)
    retry_max_delay: float = Field(60.0, alias="RETRY_MAX_DELAY", gt=0.0, le=3600.0)
    # While the backend does not answer at all, it is probed this often: delivery resumes this soon
    # after it is back, however far the backoff has grown.
    retry_probe_interval: float = Field(2.0, alias="RETRY_PROBE_INTERVAL", gt=0.0, le=60.0)
    data_dir: Path = Field(Path("data"), alias="DATA_DIR")

    # Camera network policy (cctv_common.network_policy): comma-separated CIDR lists, checked when the
    # stream is opened. Empty allowed list: any address that is not denied.
    camera_allowed_networks: str = Field("", alias="CAMERA_ALLOWED_NETWORKS")
    camera_denied_networks: str = Field("", alias="CAMERA_DENIED_NETWORKS")

    # Operations.
    metrics_host: str = Field("0.0.0.0", alias="METRICS_HOST")  # noqa: S104 - probes come from the kubelet
    metrics_port: int = Field(9100, alias="METRICS_PORT", ge=0, le=65535)
    # The live view (cctv_worker.live_server): the port the backend proxies viewers from. 0: a free port
    # (the heartbeat reports the one bound); LIVE_ADVERTISE_HOST is the address the backend dials (the
    # pod IP on Kubernetes), by default LIVE_HOST, or loopback when that is the wildcard.
    live_enabled: bool = Field(True, alias="LIVE_ENABLED")
    live_host: str = Field("127.0.0.1", alias="LIVE_HOST")
    live_port: int = Field(0, alias="LIVE_PORT", ge=0, le=65535)
    live_advertise_host: str | None = Field(None, alias="LIVE_ADVERTISE_HOST", min_length=1, max_length=253)
    live_max_viewers: int = Field(8, alias="LIVE_MAX_VIEWERS", ge=1, le=100)
    # What a viewer may fall behind before it is dropped (a few seconds of a 1080p stream).
    live_buffer_bytes: int = Field(
        4 * 1024 * 1024, alias="LIVE_BUFFER_BYTES", ge=64 * 1024, le=256 * 1024 * 1024
    )
    # An HLS session (Safari/iOS: cctv_worker.capture.hls) ends this long after its last request.
    live_hls_idle_seconds: float = Field(30.0, alias="LIVE_HLS_IDLE_SECONDS", ge=1.0, le=600.0)
    shutdown_grace: float = Field(20.0, alias="SHUTDOWN_GRACE", ge=0.0, le=600.0)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field("INFO", alias="LOG_LEVEL")
    log_format: Literal["json", "text"] = Field("json", alias="LOG_FORMAT")
    log_file: Path | None = Field(None, alias="LOG_FILE")

    # ---- parsing of the string forms used in environment variables ----

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator(
        "detect_fps",
        "stall_timeout",
        "alert_class_map",
        "log_file",
        "detect_rtsp_url",
        "detector_url",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("camera_allowed_networks", "camera_denied_networks")
    @classmethod
    def _valid_networks(cls, value: str) -> str:
        parse_networks(value)  # a bad entry stops start-up with its name
        return value

    @property
    def network_policy(self) -> NetworkPolicy:
        return NetworkPolicy.from_strings(self.camera_allowed_networks, self.camera_denied_networks)

    @field_validator("alert_types", mode="before")
    @classmethod
    def _parse_alert_types(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value.strip().lower() == "none":
                return frozenset()
            value = [t.strip() for t in value.split(",") if t.strip()]
            if not value:
                return None
        unknown = sorted(set(value) - ALERT_TYPES)
        if unknown:
            raise ValueError(f"unknown alert type(s) {unknown}; known: {sorted(ALERT_TYPES)}")
        return frozenset(value)

    @field_validator("alert_class_map", mode="before")
    @classmethod
    def _parse_class_map(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = _pairs(value, "class=alert_type") or None  # empty: the model's default map
        if value is not None:
            unknown = sorted(set(value.values()) - ALERT_TYPES)
            if unknown:
                raise ValueError(f"unknown alert type(s) {unknown}; known: {sorted(ALERT_TYPES)}")
        return value

    @field_validator("class_confidence", mode="before")
    @classmethod
    def _parse_class_confidence(cls, value: Any) -> Any:
        if isinstance(value, str):
            pairs = _pairs(value, "class=confidence")
            try:
                value = {k: float(v) for k, v in pairs.items()}
            except ValueError:
                raise ValueError(f"confidences must be numbers, got {value!r}") from None
        for label, conf in value.items():
            if not 0.0 <= conf <= 1.0:
                raise ValueError(f"confidence for {label!r} must be between 0 and 1, got {conf}")
        return value

    @field_validator("zones", mode="before")
    @classmethod
    def _parse_zones(cls, value: Any) -> Any:
        return _json_list(value, "{name, points, intrusion}")

    @field_validator("motion_masks", mode="before")
    @classmethod
    def _parse_motion_masks(cls, value: Any) -> Any:
        return _json_list(value, "{name, points}")

    @field_validator("object_filters", mode="before")
    @classmethod
    def _parse_object_filters(cls, value: Any) -> Any:
        if isinstance(value, str):
            if not value.strip():
                return {}
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"not valid JSON ({exc.msg} at character {exc.pos})") from None
            if not isinstance(value, dict):
                raise ValueError('must be a JSON object like {"person": {"min_area": 0.001}}')
        unknown = sorted(set(value) - ALERT_TYPES)
        if unknown:
            raise ValueError(f"unknown alert type(s) {unknown}; known: {sorted(ALERT_TYPES)}")
        return value

    @field_validator("detector_url")
    @classmethod
    def _grpc_address(cls, value: str | None) -> str | None:
        if value is not None:
            service_address(value)  # raises ValueError with the expected form
        return value

    @property
    def service_url(self) -> str | None:
        """The shared detector to call, or None for in-process inference."""
        return None if self.detector == "local" else self.detector_url

    @field_validator("django_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https://, got {value!r}")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _consistent(self) -> WorkerConfig:
        if self.reconnect_max_delay < self.reconnect_delay:
            raise ValueError("RECONNECT_MAX_DELAY must not be smaller than RECONNECT_DELAY")
        for value in (self.stream_timeout, self.reconnect_delay, self.alert_cooldown):
            if math.isnan(value):  # pragma: no cover - bounds above already reject NaN
                raise ValueError("NaN is not a valid setting")
        return self

    # ---- derived values ----

    @property
    def effective_forced_detect_interval(self) -> float:
        """The forced detection's period: shorter than EVENT_GRACE, or a person standing still would go
        unseen long enough for their event to close. FORCED_DETECT_INTERVAL is a camera setting (the API
        accepts up to an hour) while EVENT_GRACE is the worker's: a longer one is cut to half the grace
        rather than refused, so that every camera the API accepts starts."""
        if 0 < self.event_grace <= self.forced_detect_interval:
            return self.event_grace / 2
        return self.forced_detect_interval

    @property
    def effective_stall_timeout(self) -> float:
        """No frame for this long while connected means the stream is stalled."""
        return self.stall_timeout if self.stall_timeout is not None else self.stream_timeout

    @property
    def model_path_is_default(self) -> bool:
        return self.model_path == DEFAULT_MODEL_PATH

    @property
    def spool_path(self) -> Path:
        # One file per camera: the local runtime may give several workers the same DATA_DIR.
        return self.data_dir / f"spool-camera-{self.camera_id}.sqlite3"

    @property
    def clip_dir(self) -> Path:
        return self.data_dir / f"clips-camera-{self.camera_id}"

    @property
    def segment_dir(self) -> Path:
        return self.data_dir / f"segments-camera-{self.camera_id}"

    @property
    def records_segments(self) -> bool:
        return self.record_mode in ("motion", "continuous")

    @property
    def records_clips(self) -> bool:
        return self.clips_enabled and self.record_mode != "off"

    @property
    def clip_max_seconds(self) -> float:
        """A hard cap per clip, whatever happens to the event (longer than any event's clip can be)."""
        return self.pre_roll + self.event_max_length + self.event_grace + self.post_roll + 10.0

    @classmethod
    def env_names(cls) -> list[str]:
        return [f.alias for f in cls.model_fields.values() if f.alias]

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> WorkerConfig:
        """Builds the config from an environment mapping; raises ConfigError naming the variables."""
        raw = settings_values(cls, _renamed(environ))
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise ConfigError(_describe(exc, raw)) from None


# Variables renamed since a release, read under the old name while the new one is unset (with a warning).
DEPRECATED_NAMES = {"SPOOL_MAX_ALERTS": "SPOOL_MAX_MESSAGES"}


def _renamed(environ: Mapping[str, str]) -> Mapping[str, str]:
    old_names = [old for old in DEPRECATED_NAMES if old in environ]
    if not old_names:
        return environ
    renamed = dict(environ)
    for old in old_names:
        new = DEPRECATED_NAMES[old]
        value = renamed.pop(old)
        if new not in renamed:
            renamed[new] = value
            logging.getLogger(__name__).warning("%s is deprecated: set %s instead", old, new)
    return renamed


def _describe(exc: ValidationError, raw: Mapping[str, str]) -> str:
    by_alias = {name: f.alias for name, f in WorkerConfig.model_fields.items()}
    lines = []
    for err in exc.errors():
        loc = err.get("loc") or ()
        first = str(loc[0]) if loc else ""
        variable = by_alias.get(first, first) or "configuration"
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            lines.append(f"{variable} is required but not set")
            continue
        if variable in raw and variable not in {"RTSP_URL", "DETECT_RTSP_URL", "DJANGO_API_TOKEN"}:
            # Show what was given (never for the two settings that carry credentials).
            shown = raw[variable] if len(raw[variable]) <= 200 else raw[variable][:200] + "..."
            message += f" (got {shown!r})"
        if len(loc) > 1:
            message = f"at {'.'.join(str(p) for p in loc[1:])}: {message}"
        lines.append(f"{variable}: {message}")
    return "invalid worker configuration: " + "; ".join(lines)
