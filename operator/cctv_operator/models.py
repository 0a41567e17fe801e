"""The value types the sync works with: one active camera as a worker needs it.

`DesiredCamera` is what the backend says a camera should be and what a runtime reports it runs.
It is frozen and made of tuples so that it is hashable and `==` answers "did anything change?".
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator
from pydantic.alias_generators import to_camel


#: The alert types of the product (design brief); the backend and the worker use the same names.
class AlertType(StrEnum):
    INTRUSION = "intrusion"
    PERSON = "person"
    VEHICLE = "vehicle"
    SUSPICIOUS = "suspicious"
    VIOLENCE = "violence"
    FIRE = "fire"
    SMOKE = "smoke"


_FROZEN = ConfigDict(frozen=True, extra="forbid")
# The camera settings read the backend's snake_case and the Camera resource's camelCase alike.
_SETTINGS = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

Point = tuple[float, float]

#: A camera's detector choice: empty, "local" or a detector pool's name (a DNS label).
DETECTOR_PATTERN = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$"

#: A new camera's alert types when nothing says otherwise (the backend's and the CRD's default).
DEFAULT_ALERT_TYPES = (AlertType.PERSON, AlertType.VEHICLE, AlertType.INTRUSION)


class Zone(BaseModel):
    """A polygon in normalised 0..1 frame coordinates; `intrusion` zones raise intrusion alerts."""

    model_config = _SETTINGS

    name: str = Field(min_length=1, max_length=100)
    points: tuple[tuple[float, float], ...] = Field(min_length=3, max_length=64)
    intrusion: bool = True
    exclusive: bool = True  # objects outside every exclusive zone are ignored (the worker's Zone)

    def model_post_init(self, _context: object) -> None:
        for x, y in self.points:
            if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
                raise ValueError(f"zone {self.name!r}: point ({x}, {y}) is outside 0..1")


class MotionMask(BaseModel):
    """A polygon (normalised 0..1) where motion does not wake the worker's detector."""

    model_config = _SETTINGS

    name: str = Field(min_length=1, max_length=100)
    points: tuple[tuple[float, float], ...] = Field(min_length=3, max_length=64)

    def model_post_init(self, _context: object) -> None:
        for x, y in self.points:
            if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
                raise ValueError(f"motion mask {self.name!r}: point ({x}, {y}) is outside 0..1")


class ObjectFilter(BaseModel):
    """One alert type's object filter (the worker's decisions/object_filters.py); unset: no limit."""

    model_config = _SETTINGS

    min_area: float | None = Field(default=None, ge=0.0, le=1.0)
    max_area: float | None = Field(default=None, ge=0.0, le=1.0)
    min_ratio: float | None = Field(default=None, ge=0.0, le=100.0)
    max_ratio: float | None = Field(default=None, ge=0.0, le=100.0)
    min_score: float | None = Field(default=None, ge=0.0, le=1.0)

    def given(self) -> dict[str, float]:
        return self.model_dump(exclude_none=True)


class DetectionConfig(BaseModel):
    """A camera's detection settings, as the reference (the Camera CRD's `spec.detection`) declares them.

    tests/contract/test_camera_contract.py holds these fields, defaults and bounds to the reference;
    `cctv_operator.worker_env` names the worker variable of each.
    """

    model_config = _SETTINGS

    alert_types: tuple[AlertType, ...] = Field(default=DEFAULT_ALERT_TYPES, max_length=len(AlertType))
    confidence_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    frame_skip: int = Field(default=30, ge=1, le=10_000)
    detect_fps: float | None = Field(default=None, ge=0.01, le=120.0)
    cooldown_seconds: int = Field(default=60, ge=0, le=86_400)
    event_grace_seconds: int = Field(default=10, ge=1, le=600)
    event_max_seconds: int = Field(default=600, ge=10, le=3600)
    pre_roll_seconds: int = Field(default=5, ge=0, le=60)
    post_roll_seconds: int = Field(default=5, ge=0, le=60)
    min_box_area: float = Field(default=0.0, ge=0.0, le=1.0)
    zones: tuple[Zone, ...] = Field(default=(), max_length=32)
    motion_masks: tuple[MotionMask, ...] = Field(default=(), max_length=32)
    forced_detect_interval: float = Field(default=5.0, ge=0.0, le=3600.0)
    # Read and written as {alert type: filter} (the reference's object); held as (alert type, filter)
    # pairs sorted by type, so that the config stays hashable.
    object_filters: tuple[tuple[AlertType, ObjectFilter], ...] = ()
    # "" (the operator's default detector), "local" (in the worker) or a detector pool's name, which
    # names a Kubernetes Service (cctv_operator.detectors resolves it).
    detector: str = Field(default="", max_length=63, pattern=DETECTOR_PATTERN)
    # --- recording (issue 23): what the worker records; retention is the backend's and the worker's spool's
    record_mode: Literal["events", "motion", "continuous", "off"] = "events"
    retain_continuous_days: int = Field(default=7, ge=1, le=3650)
    retain_motion_days: int = Field(default=14, ge=1, le=3650)
    retain_events_days: int = Field(default=30, ge=1, le=3650)
    # --- end of recording ---

    @field_validator("object_filters", mode="before")
    @classmethod
    def _filters_by_type(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return tuple(sorted(value.items(), key=lambda pair: str(pair[0])))
        return value

    @field_serializer("object_filters")
    def _filters_as_object(
        self, value: tuple[tuple[AlertType, ObjectFilter], ...], info: Any
    ) -> dict[str, Any]:
        return {
            str(kind.value): flt.model_dump(by_alias=info.by_alias, exclude_none=True) for kind, flt in value
        }

    @field_validator("alert_types")
    @classmethod
    def _distinct(cls, value: tuple[AlertType, ...]) -> tuple[AlertType, ...]:
        if len(set(value)) != len(value):
            raise ValueError("alert types must not repeat")
        return value

    @field_validator("zones")
    @classmethod
    def _unique_zone_names(cls, value: tuple[Zone, ...]) -> tuple[Zone, ...]:
        names = [zone.name for zone in value]
        if len(set(names)) != len(names):
            raise ValueError("zone names must be unique")
        return value


class DesiredCamera(BaseModel):
    """Everything one worker needs to watch one camera."""

    model_config = _FROZEN

    id: int = Field(ge=1, le=2**53)
    name: str = Field(default="", max_length=255)
    rtsp_url: str = Field(min_length=1, repr=False)  # carries credentials: never logged
    # The optional detection sub-stream (the worker detects on it and records rtsp_url); credentials too.
    detect_rtsp_url: str | None = Field(default=None, min_length=1, repr=False)
    ingest_token: str = Field(min_length=1, repr=False)
    detection: DetectionConfig = DetectionConfig()

