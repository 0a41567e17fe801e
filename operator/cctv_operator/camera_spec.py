"""Reads a Camera resource's spec (made by the sync or by hand) into a checked model. Pure.

The CRD's schema already rejects most bad input at the API server; this catches what a schema
cannot say (and protects against clusters where the CRD was applied without validation).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cctv_operator.models import DetectionConfig, MotionMask, ObjectFilter, Zone


class InvalidSpec(ValueError):
    """The Camera's spec cannot be turned into a worker; the message says why."""


_CAMEL = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SecretRef(BaseModel):
    model_config = _CAMEL
    name: str = Field(min_length=1, max_length=253, pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


class CameraSpec(BaseModel):
    """`spec` of a Camera. Optional worker settings fall back to the operator's WORKER_* defaults."""

    model_config = _CAMEL

    camera_id: int = Field(alias="cameraId", ge=1)
    display_name: str = Field(default="", alias="displayName", max_length=255)
    secret_ref: SecretRef = Field(alias="secretRef")
    detection: DetectionConfig = DetectionConfig()
    model_path: str | None = Field(default=None, alias="modelPath", min_length=1)
    resources: dict[str, Any] | None = None
    node_selector: dict[str, str] | None = Field(default=None, alias="nodeSelector")
    tolerations: tuple[dict[str, Any], ...] | None = None
    paused: bool = False


def parse_camera_spec(spec: Mapping[str, Any] | None) -> CameraSpec:
    if not spec:
        raise InvalidSpec("spec is empty")
    data = dict(spec)
    detection = data.get("detection")
    try:
        if isinstance(detection, Mapping):
            data["detection"] = detection_from_spec(detection)
        return CameraSpec.model_validate(data)
    except (ValidationError, ValueError, TypeError) as exc:
        raise InvalidSpec(_first_problem(exc)) from None


def detection_from_spec(detection: Mapping[str, Any]) -> DetectionConfig:
    """The CR's camelCase `detection` block as the model (raises ValueError/ValidationError)."""
    known = {
        "alertTypes", "confidenceThreshold", "frameSkip", "detectFps",
        "cooldownSeconds", "minBoxArea", "zones", "motionMasks", "forcedDetectInterval", "objectFilters",
    }
    unknown = set(detection) - known
    if unknown:
        raise ValueError(f"detection: unknown fields {sorted(unknown)}")
    return DetectionConfig(
        alert_types=tuple(detection.get("alertTypes", ())),
        confidence_threshold=detection.get("confidenceThreshold", 0.5),
        frame_skip=detection.get("frameSkip", 30),
        detect_fps=detection.get("detectFps"),
        cooldown_seconds=detection.get("cooldownSeconds", 60.0),
        min_box_area=detection.get("minBoxArea", 0.0),
        zones=tuple(
            Zone(
                name=zone.get("name", ""),
                points=tuple(tuple(point) for point in zone.get("points", ())),
                intrusion=zone.get("intrusion", False),
            )
            for zone in detection.get("zones", ())
        ),
        motion_masks=tuple(
            MotionMask(name=mask.get("name", ""), points=tuple(tuple(p) for p in mask.get("points", ())))
            for mask in detection.get("motionMasks", ())
        ),
        forced_detect_interval=detection.get("forcedDetectInterval", 5.0),
        object_filters=tuple(
            (kind, ObjectFilter(**{_SNAKE[key]: value for key, value in bounds.items() if key in _SNAKE}))
            for kind, bounds in sorted(detection.get("objectFilters", {}).items())
        ),
    )


# The CR's camelCase object-filter keys and the model's names.
_SNAKE = {"minArea": "min_area", "maxArea": "max_area", "minRatio": "min_ratio", "maxRatio": "max_ratio",
          "minScore": "min_score"}  # fmt: skip
_CAMEL = {snake: camel for camel, snake in _SNAKE.items()}


def detection_to_spec(detection: DetectionConfig) -> dict[str, Any]:
    """The model as the CR's camelCase `detection` block (inverse of `detection_from_spec`)."""
    block: dict[str, Any] = {
        "alertTypes": [str(kind) for kind in detection.alert_types],
        "confidenceThreshold": detection.confidence_threshold,
        "frameSkip": detection.frame_skip,
        "cooldownSeconds": detection.cooldown_seconds,
        "minBoxArea": detection.min_box_area,
        "zones": [
            {"name": zone.name, "points": [list(point) for point in zone.points], "intrusion": zone.intrusion}
            for zone in detection.zones
        ],
        "motionMasks": [
            {"name": mask.name, "points": [list(p) for p in mask.points]} for mask in detection.motion_masks
        ],
        "forcedDetectInterval": detection.forced_detect_interval,
        "objectFilters": {
            str(kind): {_CAMEL[key]: value for key, value in flt.given().items()}
            for kind, flt in detection.object_filters
        },
    }
    if detection.detect_fps is not None:
        block["detectFps"] = detection.detect_fps
    return block


def _first_problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"])
            problems.append(f"{where}: {error['msg']}" if where else error["msg"])
        return "; ".join(problems)
    return str(exc)
