"""Turns the backend's `/api/active-cameras/` answer into desired cameras, or refuses it.

Pure: no I/O. A refused answer must never lead to deletions, so anything doubtful (not a list,
a malformed item, a duplicate id) rejects the whole answer instead of dropping the odd item.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cctv_operator.models import DesiredCamera, DetectionConfig, Zone

#: An answer larger than this is treated as malformed rather than trusted (a runaway backend).
MAX_CAMERAS = 20_000


class InvalidAnswer(ValueError):
    """The backend answered, but not with a list of active cameras we can trust."""


class _ApiZone(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str
    points: list[tuple[float, float]]
    intrusion: bool = False


class _ApiCamera(BaseModel):
    # Unknown keys (e.g. `updated_at`) are ignored: the backend may grow its answer.
    model_config = ConfigDict(extra="ignore", strict=False)

    id: int = Field(strict=True)  # strict: `true` or `"1"` is not an id
    name: str = ""
    rtsp_url: str
    ingest_token: str
    alert_types: list[str] = Field(default_factory=list)
    confidence_threshold: float = 0.5
    frame_skip: int = 30
    detect_fps: float | None = None
    cooldown_seconds: float = 60.0
    min_box_area: float = 0.0
    zones: list[_ApiZone] = Field(default_factory=list)


def parse_active_cameras(payload: Any) -> dict[int, DesiredCamera]:
    """Map camera id -> desired camera; raise `InvalidAnswer` saying what is wrong and where."""
    if not isinstance(payload, list):
        raise InvalidAnswer(f"expected a JSON list of cameras, got {type(payload).__name__}")
    if len(payload) > MAX_CAMERAS:
        raise InvalidAnswer(f"{len(payload)} cameras is more than the limit of {MAX_CAMERAS}")
    cameras: dict[int, DesiredCamera] = {}
    for index, item in enumerate(payload):
        camera = _parse_item(index, item)
        if camera.id in cameras:
            raise InvalidAnswer(f"item {index}: camera id {camera.id} appears twice")
        cameras[camera.id] = camera
    return cameras


def _parse_item(index: int, item: Any) -> DesiredCamera:
    if not isinstance(item, dict):
        raise InvalidAnswer(f"item {index}: expected an object, got {type(item).__name__}")
    try:
        api = _ApiCamera.model_validate(item)
        return DesiredCamera(
            id=api.id,
            name=api.name,
            rtsp_url=api.rtsp_url,
            ingest_token=api.ingest_token,
            detection=DetectionConfig(
                alert_types=tuple(api.alert_types),
                confidence_threshold=api.confidence_threshold,
                frame_skip=api.frame_skip,
                detect_fps=api.detect_fps,
                cooldown_seconds=api.cooldown_seconds,
                min_box_area=api.min_box_area,
                zones=tuple(
                    Zone(name=z.name, points=tuple(z.points), intrusion=z.intrusion) for z in api.zones
                ),
            ),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        camera_id = item.get("id")
        raise InvalidAnswer(
            f"item {index} (id {camera_id!r}): {where or 'value'}: {first['msg']}"
            + (f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else "")
        ) from None
