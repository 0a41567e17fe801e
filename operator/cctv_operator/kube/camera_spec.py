"""Reads a Camera resource's spec (made by the sync or by hand) into a checked model. Pure.

The CRD's schema already rejects most bad input at the API server; this catches what a schema
cannot say (and protects against clusters where the CRD was applied without validation).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from cctv_operator.models import DetectionConfig


class InvalidSpec(ValueError):
    """The Camera's spec cannot be turned into a worker; the message says why."""


_CAMEL = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True)


class SecretRef(BaseModel):
    model_config = _CAMEL
    name: str = Field(min_length=1, max_length=253, pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


class CameraSpec(BaseModel):
    """`spec` of a Camera. Optional worker settings fall back to the operator's WORKER_* defaults."""

    model_config = _CAMEL

    camera_id: int = Field(ge=1)
    display_name: str = Field(default="", max_length=255)
    secret_ref: SecretRef
    detection: DetectionConfig = DetectionConfig()
    model_path: str | None = Field(default=None, min_length=1)
    resources: dict[str, Any] | None = None
    node_selector: dict[str, str] | None = None
    tolerations: tuple[dict[str, Any], ...] | None = None
    paused: bool = False


def parse_camera_spec(spec: Mapping[str, Any] | None) -> CameraSpec:
    if not spec:
        raise InvalidSpec("spec is empty")
    try:
        return CameraSpec.model_validate(spec)
    except (ValidationError, ValueError, TypeError) as exc:
        raise InvalidSpec(_first_problem(exc)) from None


def detection_from_spec(detection: Mapping[str, Any]) -> DetectionConfig:
    """The CR's camelCase `detection` block as the model (raises ValidationError)."""
    return DetectionConfig.model_validate(detection)


def detection_to_spec(detection: DetectionConfig) -> dict[str, Any]:
    """The model as the CR's camelCase `detection` block (inverse of `detection_from_spec`)."""
    return detection.model_dump(mode="json", by_alias=True, exclude_none=True)


def _first_problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"])
            problems.append(f"{where}: {error['msg']}" if where else error["msg"])
        return "; ".join(problems)
    return str(exc)
