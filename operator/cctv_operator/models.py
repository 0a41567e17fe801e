"""The value types the sync works with: one active camera as a worker needs it.

`DesiredCamera` is what the backend says a camera should be and what a runtime reports it runs.
It is frozen and made of tuples so that it is hashable and `==` answers "did anything change?".
"""

from __future__ import annotations

import json
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


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

Point = tuple[float, float]


class Zone(BaseModel):
    """A polygon in normalised 0..1 frame coordinates; `intrusion` zones raise intrusion alerts."""

    model_config = _FROZEN

    name: str = Field(min_length=1, max_length=100)  # as the backend and the worker allow
    points: tuple[tuple[float, float], ...] = Field(min_length=3, max_length=64)
    intrusion: bool = False

    def model_post_init(self, _context: object) -> None:
        for x, y in self.points:
            if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
                raise ValueError(f"zone {self.name!r}: point ({x}, {y}) is outside 0..1")


class MotionMask(BaseModel):
    """A polygon (normalised 0..1) where motion does not wake the worker's detector."""

    model_config = _FROZEN

    name: str = Field(min_length=1, max_length=100)
    points: tuple[tuple[float, float], ...] = Field(min_length=3, max_length=64)

    def model_post_init(self, _context: object) -> None:
        for x, y in self.points:
            if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
                raise ValueError(f"motion mask {self.name!r}: point ({x}, {y}) is outside 0..1")


class ObjectFilter(BaseModel):
    """One alert type's object filter (the worker's object_filters.py); unset bounds are no limit."""

    model_config = _FROZEN

    min_area: float | None = Field(default=None, ge=0.0, le=1.0)
    max_area: float | None = Field(default=None, ge=0.0, le=1.0)
    min_ratio: float | None = Field(default=None, ge=0.0, le=100.0)
    max_ratio: float | None = Field(default=None, ge=0.0, le=100.0)
    min_score: float | None = Field(default=None, ge=0.0, le=1.0)

    def given(self) -> dict[str, float]:
        return self.model_dump(exclude_none=True)


class DetectionConfig(BaseModel):
    """The per-camera detection settings; defaults equal the worker's own defaults."""

    model_config = _FROZEN

    alert_types: tuple[AlertType, ...] = ()  # empty: every type
    confidence_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    frame_skip: int = Field(default=30, ge=1, le=10_000)
    detect_fps: float | None = Field(default=None, gt=0.0, le=120.0)
    cooldown_seconds: float = Field(default=60.0, ge=0.0, le=86_400.0)
    min_box_area: float = Field(default=0.0, ge=0.0, le=1.0)
    zones: tuple[Zone, ...] = Field(default=(), max_length=32)
    motion_masks: tuple[MotionMask, ...] = Field(default=(), max_length=32)
    forced_detect_interval: float = Field(default=5.0, ge=0.0, le=3600.0)
    # (alert type, filter) pairs sorted by type: a tuple, so that the config stays hashable.
    object_filters: tuple[tuple[AlertType, ObjectFilter], ...] = ()


class DesiredCamera(BaseModel):
    """Everything one worker needs to watch one camera."""

    model_config = _FROZEN

    id: int = Field(ge=1, le=2**53)
    name: str = Field(default="", max_length=255)
    rtsp_url: str = Field(min_length=1, repr=False)  # carries credentials: never logged
    ingest_token: str = Field(min_length=1, repr=False)
    detection: DetectionConfig = DetectionConfig()


def gate_and_filter_env(detection: DetectionConfig) -> dict[str, str]:
    """The worker variables of the motion gate and the object filters, the same for both runtimes."""
    return {
        "MOTION_MASKS": json.dumps(
            [{"name": m.name, "points": [list(p) for p in m.points]} for m in detection.motion_masks],
            separators=(",", ":"),
        ),
        "FORCED_DETECT_INTERVAL": repr(float(detection.forced_detect_interval)),
        "OBJECT_FILTERS": json.dumps(
            {str(kind): flt.given() for kind, flt in detection.object_filters}, separators=(",", ":")
        ),
    }
