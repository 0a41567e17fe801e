"""Turns the backend's `/api/active-cameras/` answer into desired cameras, or refuses it.

Pure: no I/O. A refused answer must never lead to deletions, so anything that makes the list
itself doubtful (not a list, an item that is not an object or has no usable id, a duplicate id)
refuses the whole answer. A camera whose id is clear but whose settings are not (an unknown alert
type, a threshold out of range) is *rejected* alone: the sync neither changes nor removes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cctv_operator.models import DesiredCamera, DetectionConfig

#: Most cameras one operator runs. Cameras past it (in the backend's id order) are rejected one by one,
#: like a camera with bad settings: not started, and not removed if they already run. Refusing the whole
#: list instead stopped every user's cameras from syncing when one user made too many.
MAX_CAMERAS = 20_000


class InvalidAnswer(ValueError):
    """The backend answered, but not with a list of active cameras we can trust."""


class _ApiCamera(BaseModel):
    # Unknown keys (e.g. `updated_at`) are ignored: the backend may grow its answer. The detection
    # settings are read by the one model that declares them (strictly: unknown settings are refused).
    model_config = ConfigDict(extra="ignore", strict=False)

    id: int = Field(strict=True)  # strict: `true` or `"1"` is not an id
    name: str = ""
    rtsp_url: str
    detect_rtsp_url: str | None = None  # "" or absent: no sub-stream (an older backend sends none)
    ingest_token: str


@dataclass(frozen=True)
class Answer:
    cameras: dict[int, DesiredCamera]
    #: camera id -> why its settings were not accepted (the sync leaves that camera as it is)
    rejected: dict[int, str] = field(default_factory=dict)


def parse_answer(payload: Any) -> Answer:
    """The desired cameras and the rejected ones; raise `InvalidAnswer` for a doubtful list."""
    if not isinstance(payload, list):
        raise InvalidAnswer(f"expected a JSON list of cameras, got {type(payload).__name__}")
    cameras: dict[int, DesiredCamera] = {}
    rejected: dict[int, str] = {}
    for index, item in enumerate(payload):
        camera_id = _camera_id(index, item)
        if camera_id in cameras or camera_id in rejected:
            raise InvalidAnswer(f"item {index}: camera id {camera_id} appears twice")
        if index >= MAX_CAMERAS:
            rejected[camera_id] = f"over the operator's limit of {MAX_CAMERAS} cameras ({len(payload)} sent)"
            continue
        try:
            cameras[camera_id] = _parse_item(index, item)
        except InvalidAnswer as exc:
            rejected[camera_id] = str(exc)
    return Answer(cameras=cameras, rejected=rejected)


def _camera_id(index: int, item: Any) -> int:
    if not isinstance(item, dict):
        raise InvalidAnswer(f"item {index}: expected an object, got {type(item).__name__}")
    camera_id = item.get("id")
    # bool is an int in Python, but `true` is not an id.
    if not isinstance(camera_id, int) or isinstance(camera_id, bool) or not 1 <= camera_id <= 2**53:
        raise InvalidAnswer(f"item {index}: id must be a positive integer, got {camera_id!r}")
    return camera_id


def _parse_item(index: int, item: dict[str, Any]) -> DesiredCamera:
    try:
        api = _ApiCamera.model_validate(item)
        # Every key the backend sends besides the camera's identity is one of its detection settings,
        # except bookkeeping such as `updated_at`: take exactly the declared settings.
        settings = {key: value for key, value in item.items() if key in DetectionConfig.model_fields}
        return DesiredCamera(
            id=api.id,
            name=api.name,
            rtsp_url=api.rtsp_url,
            detect_rtsp_url=api.detect_rtsp_url or None,
            ingest_token=api.ingest_token,
            detection=DetectionConfig.model_validate(settings),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        camera_id = item.get("id")
        raise InvalidAnswer(
            f"item {index} (id {camera_id!r}): {where or 'value'}: {first['msg']}"
            + (f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else "")
        ) from None
