"""The camera-config reference (the Camera CRD's `spec.detection` schema) and what each component says.

Every component's view of a camera setting is reduced to one `Setting` (JSON type, default, bounds,
enum, list length, nullability) so that the contract test can compare them field by field. The
reference is read from crds/camera.yaml; the extractors read each component's own declarations
(model fields, validators, serializer and form fields, pydantic models), never a copy of them.
"""

from __future__ import annotations

import copy
import re
import typing
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import annotated_types
import yaml

REPO = Path(__file__).resolve().parents[2]
CRD_PATH = REPO / "crds" / "camera.yaml"
CHART_CRD_PATH = REPO / "charts" / "cctv" / "crds" / "camera.yaml"


class _Missing:
    def __repr__(self) -> str:
        return "<no default>"


NO_DEFAULT: Any = _Missing()


@dataclass(frozen=True)
class Setting:
    """One camera setting as a component declares it, in the reference's (JSON Schema) terms."""

    type: str  # integer | number | boolean | string | array
    default: Any = NO_DEFAULT
    minimum: float | None = None
    maximum: float | None = None
    nullable: bool = False
    enum: frozenset[str] | None = None  # for strings and arrays of strings: the allowed values
    min_items: int | None = None
    max_items: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None  # for strings: the regular expression a value must match


def crd_schema(path: Path = CRD_PATH) -> dict[str, Any]:
    crd = yaml.safe_load(path.read_text())
    return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


def detection_schema(path: Path = CRD_PATH) -> dict[str, Any]:
    return crd_schema(path)["properties"]["spec"]["properties"]["detection"]


def snake(camel: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", camel).lower()


def _from_schema(node: dict[str, Any], *, required: bool) -> Setting:
    kind = node["type"]
    items = node.get("items") or {}
    return Setting(
        type=kind,
        default=_plain(node["default"]) if "default" in node else NO_DEFAULT,
        minimum=node.get("minimum"),
        maximum=node.get("maximum"),
        # An optional field without a default is "unset" in every component: null in JSON.
        nullable=bool(node.get("nullable")) or (not required and "default" not in node),
        enum=frozenset(items.get("enum") or node.get("enum") or ()) or None,
        min_items=node.get("minItems"),
        max_items=node.get("maxItems"),
        min_length=node.get("minLength"),
        max_length=node.get("maxLength"),
        pattern=node.get("pattern"),
    )


def reference_settings() -> dict[str, Setting]:
    """snake_case setting name -> the reference's declaration (the CRD's detection block)."""
    schema = detection_schema()
    required = set(schema.get("required", ()))
    return {
        snake(name): _from_schema(node, required=name in required)
        for name, node in schema["properties"].items()
    }


def reference_application(path: Path = CRD_PATH) -> dict[str, str]:
    """snake_case setting name -> "live" or "restart", as the CRD's annotations cctv.io/live-settings and
    cctv.io/restart-settings classify it (a name in both or neither is reported by the contract test)."""
    annotations = yaml.safe_load(path.read_text())["metadata"].get("annotations") or {}
    found: dict[str, str] = {}
    for how in ("live", "restart"):
        for name in annotations.get(f"cctv.io/{how}-settings", "").split(","):
            if name.strip():
                found[snake(name.strip())] = "both" if snake(name.strip()) in found else how
    return found


def reference_zone() -> dict[str, Setting]:
    zone = detection_schema()["properties"]["zones"]["items"]
    required = set(zone.get("required", ()))
    return {name: _from_schema(node, required=name in required) for name, node in zone["properties"].items()}


def reference_point_bounds() -> tuple[float, float]:
    coordinate = detection_schema()["properties"]["zones"]["items"]["properties"]["points"]["items"]["items"]
    return coordinate["minimum"], coordinate["maximum"]


def _plain(value: Any) -> Any:
    """Tuples as lists, enums as their values, sets sorted: defaults compare across components."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, frozenset | set):
        return sorted(_plain(item) for item in value)
    return value


def comparable(setting: Setting) -> Setting:
    """Defaults of list settings compare as sets (the order of alert types carries no meaning)."""
    if setting.type == "array" and isinstance(setting.default, list) and all(
        isinstance(item, str) for item in setting.default
    ):
        return Setting(**{**setting.__dict__, "default": sorted(setting.default)})
    return setting


# --- pydantic models (operator, worker) ------------------------------------------------------------


def _json_type(annotation: Any) -> tuple[str, bool, Any]:
    """(JSON type, nullable, item type) of a pydantic field annotation."""
    nullable = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, __import__("types").UnionType):
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        nullable = len(args) != len(typing.get_args(annotation))
        annotation = args[0]
        origin = typing.get_origin(annotation)
    if origin in (tuple, list, frozenset, set):
        return "array", nullable, typing.get_args(annotation)[0]
    if origin in (dict, typing.Mapping, __import__("collections.abc").abc.Mapping):
        return "object", nullable, typing.get_args(annotation)[1]
    if origin is typing.Literal and all(isinstance(arg, str) for arg in typing.get_args(annotation)):
        return "string", nullable, frozenset(typing.get_args(annotation))  # an enum of strings
    if annotation is bool:
        return "boolean", nullable, None
    if annotation is int:
        return "integer", nullable, None
    if annotation is float:
        return "number", nullable, None
    if annotation is str:
        return "string", nullable, None
    raise TypeError(f"no JSON type for {annotation!r}")


def pydantic_setting(field: Any, *, enum: frozenset[str] | None = None) -> Setting:
    kind, nullable, item = _json_type(field.annotation)
    bounds: dict[str, Any] = {}
    for meta in field.metadata:
        if isinstance(meta, annotated_types.Ge):
            bounds["minimum"] = meta.ge
        elif isinstance(meta, annotated_types.Gt):
            bounds["minimum"] = ("exclusive", meta.gt)
        elif isinstance(meta, annotated_types.Le):
            bounds["maximum"] = meta.le
        elif isinstance(meta, annotated_types.Lt):
            bounds["maximum"] = ("exclusive", meta.lt)
        elif isinstance(meta, annotated_types.MinLen):
            bounds["min_items" if kind == "array" else "min_length"] = meta.min_length
        elif isinstance(meta, annotated_types.MaxLen):
            bounds["max_items" if kind == "array" else "max_length"] = meta.max_length
        elif getattr(meta, "pattern", None) is not None:  # pydantic's Field(pattern=...)
            bounds["pattern"] = meta.pattern
    if enum is None and isinstance(item, type) and issubclass(item, Enum):
        enum = frozenset(member.value for member in item)
    if enum is None and kind == "string" and isinstance(item, frozenset):
        enum = item  # a Literal of strings
    default = NO_DEFAULT if field.is_required() else _plain(field.get_default(call_default_factory=True))
    if nullable and default is None:
        default = NO_DEFAULT  # "unset" is how the reference says "no default"
    return Setting(type=kind, default=default, nullable=nullable, enum=enum, **bounds)


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The CRD schema as JSON Schema that refuses unknown fields, as `kubectl --validate=strict` does."""
    schema = copy.deepcopy(schema)

    def visit(node: dict[str, Any]) -> None:
        if node.get("nullable") and isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
        if node.get("type") == "object" and "properties" in node and not node.get(
            "x-kubernetes-preserve-unknown-fields"
        ):
            node.setdefault("additionalProperties", False)
        for child in node.get("properties", {}).values():
            visit(child)
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                visit(node[key])
        for child in node.get("anyOf", []):
            visit(child)

    visit(schema)
    return schema
