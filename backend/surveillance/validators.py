"""Validation of camera input shared by the API, the dashboard and the admin (through the model fields).

Each validator raises Django's ``ValidationError`` with a message a user can act on; the model fields use
them, so ``full_clean()`` in the services applies the same rules wherever a camera is written.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from cctv_common.network_policy import AddressNotAllowed, NetworkPolicy, check_url_host

RTSP_SCHEMES = ("rtsp", "rtsps")
MAX_ZONES = 32
MAX_ZONE_POINTS = 64
#: What a zone means when a key is left out (stored zones carry every key: see migration 0004).
# exclusive: objects outside every exclusive zone are ignored; a zone that is not only adds information.
ZONE_DEFAULTS = {"intrusion": True, "exclusive": True}


def validate_rtsp_url(value: str) -> None:
    """An ``rtsp://`` or ``rtsps://`` URL with a host (credentials, port and path optional)."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("Enter an RTSP URL such as rtsp://user:pass@192.168.1.100:554/stream1.")
    if any(ch.isspace() for ch in value):
        raise ValidationError("An RTSP URL must not contain spaces.")
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError for a non-numeric or out-of-range port
    except ValueError:
        raise ValidationError("Enter a valid RTSP URL: the host or port is malformed.") from None
    if parts.scheme.lower() not in RTSP_SCHEMES:
        raise ValidationError(
            f"The URL must start with rtsp:// or rtsps:// (got {parts.scheme or 'no scheme'}://)."
        )
    if not parts.hostname:
        raise ValidationError("The RTSP URL has no host: use rtsp://host[:port]/path.")
    if port == 0:
        raise ValidationError("The RTSP URL's port must be between 1 and 65535.")
    try:
        check_url_host(value, camera_network_policy())
    except AddressNotAllowed as error:
        raise ValidationError(f"{error}: ask an administrator if this camera is really there.") from None


def camera_network_policy() -> NetworkPolicy:
    return NetworkPolicy.from_strings(settings.CAMERA_ALLOWED_NETWORKS, settings.CAMERA_DENIED_NETWORKS)


def _is_unit_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0.0 <= value <= 1.0
    )


def _bounded_list(value: Any, *, limit: int, not_a_list: str, too_many: str) -> list:
    """The shape of every list a camera or alert carries: a list of at most ``limit`` items (each caller's
    own messages)."""
    if not isinstance(value, list):
        raise ValidationError(not_a_list)
    if len(value) > limit:
        raise ValidationError(too_many)
    return value


def _polygon_item(item: Any, *, where: str, keys: set[str], example: str) -> str:
    """One zone or mask object: only ``keys``, a name of 1 to 100 characters (returned)."""
    if not isinstance(item, dict):
        raise ValidationError(f'{where} must be an object: {{"name": "{example}", "points": [[x, y], ...]}}')
    unknown = set(item) - keys
    if unknown:
        raise ValidationError(f"{where} has unknown keys: {', '.join(sorted(unknown))}.")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise ValidationError(f"{where} needs a name (1 to 100 characters).")
    return name


def _polygon_points(points: Any, *, what: str) -> None:
    """3 to ``MAX_ZONE_POINTS`` points ``[x, y]`` in 0..1; ``what`` names the polygon in messages."""
    if not isinstance(points, list) or not 3 <= len(points) <= MAX_ZONE_POINTS:
        raise ValidationError(f"{what} needs 3 to {MAX_ZONE_POINTS} points.")
    for point in points:
        if not (isinstance(point, list | tuple) and len(point) == 2 and all(map(_is_unit_number, point))):
            raise ValidationError(f"{what} has a point {point!r}: points are [x, y] with 0 <= x, y <= 1.")


def validate_zones(value: Any) -> None:
    """A list of ``{"name": str, "points": [[x, y], ...] (3+ points in 0..1), "intrusion": bool,
    "exclusive": bool}``."""
    zones = _bounded_list(
        value,
        limit=MAX_ZONES,
        not_a_list="Zones must be a list of polygons.",
        too_many=f"At most {MAX_ZONES} zones per camera.",
    )
    names: set[str] = set()
    for index, zone in enumerate(zones):
        name = _polygon_item(
            zone, where=f"Zone {index + 1}", keys={"name", "points", *ZONE_DEFAULTS}, example="door"
        )
        if name in names:
            raise ValidationError(f"Zone names must be unique: {name!r} appears twice.")
        names.add(name)
        _polygon_points(zone.get("points"), what=f"Zone {name!r}")
        for flag in ZONE_DEFAULTS:
            if flag in zone and not isinstance(zone[flag], bool):
                raise ValidationError(f"Zone {name!r}: {flag} must be true or false.")


def validate_motion_masks(value: Any) -> None:
    """A list of ``{"name": str, "points": [[x, y], ...]}``: where motion never wakes the detector."""
    masks = _bounded_list(
        value,
        limit=MAX_ZONES,
        not_a_list="Motion masks must be a list of polygons.",
        too_many=f"At most {MAX_ZONES} motion masks per camera.",
    )
    for index, mask in enumerate(masks):
        name = _polygon_item(mask, where=f"Motion mask {index + 1}", keys={"name", "points"}, example="tree")
        _polygon_points(mask.get("points"), what=f"Motion mask {name!r}")


# Object filters per alert type (the worker's object_filters.py): bounds of each key.
OBJECT_FILTER_BOUNDS = {
    "min_area": (0.0, 1.0),
    "max_area": (0.0, 1.0),
    "min_ratio": (0.0, 100.0),
    "max_ratio": (0.0, 100.0),
    "min_score": (0.0, 1.0),
}


def validate_object_filters(value: Any) -> None:
    """``{"person": {"min_area": 0.001, "max_area": 0.5, "min_ratio": 0.2, "max_ratio": 1.5,
    "min_score": 0.6}, ...}``: every key optional, alert types as keys."""
    from surveillance.models import AlertType  # the model module imports this one

    if not isinstance(value, dict):
        raise ValidationError('Object filters must be an object by type: {"person": {"min_score": 0.6}}.')
    unknown_types = sorted(set(value) - set(AlertType.values))
    if unknown_types:
        raise ValidationError(f"Object filters for unknown alert types: {', '.join(unknown_types)}.")
    for alert_type, bounds in value.items():
        if not isinstance(bounds, dict):
            raise ValidationError(f"The object filter of {alert_type!r} must be an object.")
        unknown = sorted(set(bounds) - set(OBJECT_FILTER_BOUNDS))
        if unknown:
            raise ValidationError(
                f"The object filter of {alert_type!r} has unknown keys: {', '.join(unknown)} "
                f"(known: {', '.join(OBJECT_FILTER_BOUNDS)})."
            )
        for key, number in bounds.items():
            low, high = OBJECT_FILTER_BOUNDS[key]
            if not (isinstance(number, int | float) and not isinstance(number, bool) and math.isfinite(number)
                    and low <= number <= high):  # fmt: skip
                raise ValidationError(f"{alert_type}.{key} must be a number from {low:g} to {high:g}.")
        for low_key, high_key in (("min_area", "max_area"), ("min_ratio", "max_ratio")):
            if low_key in bounds and high_key in bounds and bounds[low_key] > bounds[high_key]:
                raise ValidationError(f"{alert_type}: {low_key} is larger than {high_key}.")


def validate_alert_types(value: Any) -> None:
    """A list of distinct known alert types (empty: the camera raises none)."""
    from surveillance.models import AlertType  # the model module imports this one

    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError("Alert types must be a list of strings.")
    unknown = sorted(set(value) - set(AlertType.values))
    if unknown:
        raise ValidationError(
            f"Unknown alert type(s): {', '.join(unknown)}. Choose from {', '.join(AlertType.values)}."
        )
    if len(set(value)) != len(value):
        raise ValidationError("Alert types must not repeat.")


#: A camera's detector: empty (the operator's default), "local" (in the worker) or a detector pool's name,
#: which names a Kubernetes Service: a DNS label. The operator checks that the pool exists.
DETECTOR_MAX_LENGTH = 63
DETECTOR_PATTERN = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$"
validate_detector = RegexValidator(
    DETECTOR_PATTERN,
    message='Enter "local", a detector pool\'s name (lower-case letters, digits and "-") or leave it empty.',
)


MAX_DETECTIONS = 100


def validate_detections(value: Any) -> None:
    """A list of ``{"label": str, "confidence": 0..1, "box": [x1, y1, x2, y2]}`` in 0..1 coordinates."""
    detections = _bounded_list(
        value,
        limit=MAX_DETECTIONS,
        not_a_list="Detections must be a list.",
        too_many=f"At most {MAX_DETECTIONS} detections per alert.",
    )
    for index, item in enumerate(detections):
        where = f"Detection {index + 1}"
        if not isinstance(item, dict) or set(item) - {"label", "confidence", "box"}:
            shape = '{"label": str, "confidence": float, "box": [x1, y1, x2, y2]}'
            raise ValidationError(f"{where} must be {shape}.")
        label = item.get("label")
        if not isinstance(label, str) or not label or len(label) > 100:
            raise ValidationError(f"{where} needs a label (1 to 100 characters).")
        if not _is_unit_number(item.get("confidence")):
            raise ValidationError(f"{where}: confidence must be a number between 0 and 1.")
        box = item.get("box")
        if not (isinstance(box, list) and len(box) == 4 and all(map(_is_unit_number, box))):
            raise ValidationError(f"{where}: box must be [x1, y1, x2, y2] with every value between 0 and 1.")
        if box[0] > box[2] or box[1] > box[3]:
            raise ValidationError(f"{where}: box must have x1 <= x2 and y1 <= y2.")


def parse_aware(value: Any) -> datetime | None:
    """An ISO 8601 date-time with a time zone, as an aware datetime that converts to UTC; else None
    (not a string, not a date such as 2024-02-30, no time zone, or out of range once in UTC such as
    0001-01-01T00:00:00+05:00). Also what reads such times back from the database defensively."""
    from django.utils.dateparse import parse_datetime

    if not isinstance(value, str):
        return None
    try:
        moment = parse_datetime(value)
        if moment is None or moment.tzinfo is None or moment.utcoffset() is None:
            return None
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def timestamp_problem(value: Any) -> str | None:
    """What is wrong with a timestamp field of the API (aware, inside the accepted window), or None:
    every timestamp a camera sends is checked by this one rule."""
    from django.utils import timezone

    from surveillance.quotas import check_timestamp

    moment = parse_aware(value)
    if moment is None:
        return "must be an ISO 8601 date-time with a time zone, such as 2024-05-01T10:00:00Z."
    try:
        check_timestamp(moment, now=timezone.now())
    except ValidationError as error:
        return error.messages[0]
    return None


MAX_EVENT_OBJECTS = 500
_OBJECT_KEYS = {"track_id", "label", "alert_type", "first_seen", "last_seen", "confidence", "zones"}


def validate_event_objects(value: Any) -> None:
    """The event's objects: ``{"track_id": int, "label": str, "alert_type": str, "first_seen": iso,
    "last_seen": iso, "confidence": 0..1, "zones": [str]}``, at most ``MAX_EVENT_OBJECTS``."""
    objects = _bounded_list(
        value,
        limit=MAX_EVENT_OBJECTS,
        not_a_list="Objects must be a list.",
        too_many=f"At most {MAX_EVENT_OBJECTS} objects per event.",
    )
    for index, item in enumerate(objects):
        where = f"Object {index + 1}"
        if not isinstance(item, dict) or set(item) - _OBJECT_KEYS:
            raise ValidationError(f"{where} may only have the keys {', '.join(sorted(_OBJECT_KEYS))}.")
        if not isinstance(item.get("track_id"), int) or isinstance(item.get("track_id"), bool):
            raise ValidationError(f"{where} needs an integer track_id.")
        for key in ("label", "alert_type"):
            text = item.get(key)
            if not isinstance(text, str) or not text or len(text) > 100:
                raise ValidationError(f"{where} needs a {key} (1 to 100 characters).")
        for key in ("first_seen", "last_seen"):
            problem = timestamp_problem(item.get(key))
            if problem:
                raise ValidationError(f"{where}: {key} {problem}")
        if not _is_unit_number(item.get("confidence")):
            raise ValidationError(f"{where}: confidence must be a number between 0 and 1.")
        zones = item.get("zones", [])
        if not (
            isinstance(zones, list)
            and len(zones) <= 100
            and all(isinstance(z, str) and 0 < len(z) <= 100 for z in zones)
        ):
            raise ValidationError(f"{where}: zones must be a list of zone names.")
