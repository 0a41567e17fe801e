"""One camera contract: every component declares exactly the reference's camera settings.

The reference is the Camera CRD's `spec.detection` schema (crds/camera.yaml; docs/contracts.md says
why). Each test below reads one component's own declarations and fails, naming the component and the
setting, when a field is missing or extra, or its type, default, bounds, enum or list length differ.
How to add a setting: CONTRIBUTING.md ("Adding a camera setting").
"""

from __future__ import annotations

import pytest
from camera_reference import (
    CHART_CRD_PATH,
    CRD_PATH,
    NO_DEFAULT,
    Setting,
    comparable,
    pydantic_setting,
    reference_application,
    reference_point_bounds,
    reference_settings,
    reference_zone,
)
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from rest_framework import serializers

from cctv_operator.models import DetectionConfig, Zone
from cctv_operator.worker_env import DETECTION_VARIABLES, LIVE_SETTINGS, LIVE_VARIABLES
from cctv_worker.config import WorkerConfig
from cctv_worker.config import Zone as WorkerZone
from cctv_worker.decisions.alert_types import ALERT_TYPES as WORKER_ALERT_TYPES
from cctv_worker.live_settings import LIVE_SETTINGS as WORKER_LIVE_SETTINGS
from dashboard.forms import CAMERA_FIELDS, CameraForm
from surveillance import validators
from surveillance.cameras.serializers import (
    ActiveCameraOutputSerializer,
    CameraInputSerializer,
    CameraOutputSerializer,
    ZoneSerializer,
)
from surveillance.models import DETECTION_FIELDS, LIVE_DETECTION_FIELDS, AlertType, Camera

REFERENCE = reference_settings()
NAMES = sorted(REFERENCE)
ALERT_TYPES = frozenset(AlertType.values)

#: Where a component deliberately differs from the reference, and why. Keep this short.
WORKER_DEFAULT_EXCEPTIONS = {
    # A worker started by hand (the seed pipeline's way) without ALERT_TYPES raises every type its class
    # map yields; both runtimes always set ALERT_TYPES from the camera's config.
    "alert_types": "unset ALERT_TYPES means every type",
}


def _same(component: str, name: str, actual: Setting, *, ignore: tuple[str, ...] = ()) -> None:
    wanted = comparable(REFERENCE[name])
    actual = comparable(actual)
    actual = Setting(**{**actual.__dict__, **{key: getattr(wanted, key) for key in ignore}})
    assert actual == wanted, (
        f"{component} declares camera setting {name!r} differently from the reference (crds/camera.yaml):"
        f"\n  reference: {wanted}\n  {component}: {actual}"
    )


# --- the reference itself ------------------------------------------------------------------------


def test_the_chart_and_crds_folder_carry_the_same_reference() -> None:
    assert CHART_CRD_PATH.read_bytes() == CRD_PATH.read_bytes(), "cp crds/camera.yaml charts/cctv/crds/"


def test_the_reference_names_its_alert_types_as_the_backend_does() -> None:
    assert REFERENCE["alert_types"].enum == ALERT_TYPES


def test_every_reference_setting_has_a_default_or_is_explicitly_unset() -> None:
    for name, setting in REFERENCE.items():
        assert setting.default is not NO_DEFAULT or setting.nullable, name


# --- backend: model, serializers, dashboard form --------------------------------------------------


def test_the_backend_model_has_exactly_the_reference_settings() -> None:
    assert sorted(DETECTION_FIELDS) == NAMES


def _model_setting(name: str) -> Setting:
    field = Camera._meta.get_field(name)
    bounds: dict = {}
    for validator in field.validators:
        if isinstance(validator, MinValueValidator):
            bounds["minimum"] = validator.limit_value
        elif isinstance(validator, MaxValueValidator):
            bounds["maximum"] = validator.limit_value
    if isinstance(field, models.PositiveIntegerField):
        bounds.setdefault("minimum", 0)
    kind = {
        models.FloatField: "number",
        models.PositiveIntegerField: "integer",
        models.IntegerField: "integer",
        models.BooleanField: "boolean",
        models.CharField: "string",
        models.JSONField: "array",
    }[type(field)]
    if isinstance(field, models.JSONField) and isinstance(field.get_default(), dict):
        kind = "object"  # object_filters: {alert type: filter}
    enum = max_items = None
    if name == "alert_types":  # validate_alert_types: known, distinct types
        enum, max_items = ALERT_TYPES, len(ALERT_TYPES)
    if name in ("zones", "motion_masks"):  # validate_zones, validate_motion_masks
        max_items = validators.MAX_ZONES
    if field.choices:  # a string setting with choices: record_mode
        enum = frozenset(value for value, _ in field.choices)
    default = field.get_default() if field.has_default() else NO_DEFAULT
    if field.null and default is None:
        default = NO_DEFAULT
    if kind == "string" and not field.choices:
        bounds.update(_string_bounds(field))
    return Setting(type=kind, default=default, nullable=field.null, enum=enum, max_items=max_items, **bounds)


def _string_bounds(field) -> dict:
    """maxLength and pattern of a Django or DRF string field (its max_length and RegexValidator)."""
    patterns = [v.regex.pattern for v in field.validators if isinstance(v, RegexValidator)]
    return {"max_length": field.max_length, "pattern": patterns[0] if patterns else None}


@pytest.mark.parametrize("name", NAMES)
def test_the_backend_model_matches_the_reference(name: str) -> None:
    _same("surveillance.models.Camera", name, _model_setting(name))


def _serializer_setting(field: serializers.Field) -> Setting:
    if isinstance(field, serializers.DictField):
        return Setting(type="object")
    if isinstance(field, serializers.ListSerializer):
        return Setting(type="array", max_items=field.max_length)
    if isinstance(field, serializers.ListField):
        choices = getattr(field.child, "choices", None)
        return Setting(
            type="array",
            enum=frozenset(choices) if choices else None,
            max_items=field.max_length,
        )
    if isinstance(field, serializers.ChoiceField):  # record_mode
        return Setting(type="string", enum=frozenset(field.choices), nullable=field.allow_null)
    kind = {serializers.FloatField: "number", serializers.IntegerField: "integer",
            serializers.BooleanField: "boolean", serializers.CharField: "string"}
    found = next(value for cls, value in kind.items() if isinstance(field, cls))
    if found == "string":
        return Setting(type=found, nullable=field.allow_null, **_string_bounds(field))
    return Setting(type=found, minimum=field.min_value, maximum=field.max_value, nullable=field.allow_null)


@pytest.mark.parametrize("name", NAMES)
def test_the_api_input_serializer_matches_the_reference(name: str) -> None:
    fields = CameraInputSerializer().fields
    assert name in fields, f"CameraInputSerializer has no field {name!r}"
    # Inputs are optional (PATCH): the model's default applies, so only type and bounds compare.
    _same("CameraInputSerializer", name, _serializer_setting(fields[name]), ignore=("default",))


@pytest.mark.parametrize("serializer", [CameraOutputSerializer, ActiveCameraOutputSerializer])
def test_the_api_outputs_carry_every_reference_setting(serializer: type[serializers.Serializer]) -> None:
    missing = set(NAMES) - set(serializer().fields)
    assert not missing, f"{serializer.__name__} lacks {sorted(missing)}"


#: Settings the camera form leaves to their own editor (ZonesForm, which draws polygons on the snapshot
#: and checks them with the model's validate_zones / validate_motion_masks).
OWN_EDITOR = ("zones", "motion_masks")


#: Optional form fields whose clean method stores the model's default for a blank box (never null).
FORM_BLANK_MEANS_DEFAULT = (
    "forced_detect_interval", "retain_continuous_days", "retain_motion_days", "retain_events_days",
)


#: Form fields that are not detection settings: the name and the stream URLs (credentials, which reach
#: the worker through the camera's Secret, not the Camera's spec).
NOT_SETTINGS = {"name", "rtsp_url", "detect_rtsp_url"}


def test_the_dashboard_form_edits_every_reference_setting_but_polygons() -> None:
    assert sorted({*CAMERA_FIELDS, *OWN_EDITOR} - NOT_SETTINGS) == NAMES


def _form_setting(name: str) -> Setting:
    field = CameraForm(user=None).fields[name]
    if isinstance(field, forms.MultipleChoiceField):
        return Setting(type="array", enum=frozenset(value for value, _ in field.choices), max_items=None)
    if isinstance(field, forms.ChoiceField):  # record_mode: a select of the enum's values
        choices = frozenset(value for value, _ in field.choices)
        return Setting(type="string", default=field.initial, enum=choices)
    if isinstance(field, forms.CharField):
        # Blank is the model's default (an empty string), so the form field is optional but not null.
        return Setting(type="string", default=field.initial if field.initial is not None else NO_DEFAULT,
                       **_string_bounds(field))
    kind = "number" if isinstance(field, forms.FloatField) else "integer"  # FloatField is an IntegerField
    default = field.initial if field.initial is not None else NO_DEFAULT
    return Setting(type=kind, default=default, minimum=field.min_value, maximum=field.max_value,
                   nullable=not field.required)


@pytest.mark.parametrize("name", [name for name in NAMES if name not in OWN_EDITOR])
def test_the_dashboard_form_matches_the_reference(name: str) -> None:
    wanted = REFERENCE[name]
    if name == "object_filters":
        # JSON text checked by the model's validate_object_filters (the model test holds it to the
        # reference); an empty box is the default, no filters.
        field = CameraForm(user=None).fields[name]
        assert isinstance(field, forms.CharField) and not field.required
        return
    actual = _form_setting(name)
    if name in FORM_BLANK_MEANS_DEFAULT:
        assert actual.nullable and wanted.default is not NO_DEFAULT
        actual = Setting(**{**actual.__dict__, "nullable": wanted.nullable})
    if name == "alert_types":
        # Checkboxes: the choices are the enum; the view preselects the model's default.
        assert actual.enum == wanted.enum
        return
    _same("dashboard CameraForm", name, actual)


def test_the_api_zone_serializer_matches_the_reference_zone() -> None:
    fields = ZoneSerializer().fields
    zone = reference_zone()
    assert sorted(fields) == sorted(zone)
    assert fields["name"].max_length == zone["name"].max_length
    assert (fields["points"].min_length, fields["points"].max_length) == (zone["points"].min_items,
                                                                          zone["points"].max_items)
    coordinate = fields["points"].child.child
    assert (coordinate.min_value, coordinate.max_value) == reference_point_bounds()
    assert fields["intrusion"].default == zone["intrusion"].default
    assert fields["exclusive"].default == zone["exclusive"].default


def test_the_backend_zone_validator_matches_the_reference_zone() -> None:
    zone = reference_zone()
    assert zone["points"].max_items == validators.MAX_ZONE_POINTS
    assert {flag: zone[flag].default for flag in ("intrusion", "exclusive")} == validators.ZONE_DEFAULTS


# --- operator ------------------------------------------------------------------------------------


def test_the_operator_model_has_exactly_the_reference_settings() -> None:
    assert sorted(DetectionConfig.model_fields) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_the_operator_model_matches_the_reference(name: str) -> None:
    actual = pydantic_setting(DetectionConfig.model_fields[name])
    if name in HELD_AS_PAIRS:
        # Held as sorted (key, value) pairs so that the config stays hashable; read and written as the
        # reference's object, which is what the API, the Camera resource and the worker see.
        schema = DetectionConfig.model_json_schema(by_alias=False, mode="serialization")["properties"][name]
        assert schema["type"] == "object", schema
        actual = Setting(**{**actual.__dict__, "type": "object",
                            "default": DetectionConfig().model_dump(mode="json")[name]})
    _same("cctv_operator.models.DetectionConfig", name, actual)


#: Object settings the operator holds as sorted pairs (see the test above).
HELD_AS_PAIRS = ("object_filters",)


@pytest.mark.parametrize("model", [Zone, WorkerZone], ids=["operator", "worker"])
def test_the_zone_models_match_the_reference_zone(model) -> None:
    zone = reference_zone()
    for name, wanted in zone.items():
        actual = pydantic_setting(model.model_fields[name])
        if name == "points":
            assert (actual.min_items, actual.max_items) == (wanted.min_items, wanted.max_items), (
                f"{model.__module__}.Zone.points allows {actual.min_items}..{actual.max_items} points, "
                f"the reference {wanted.min_items}..{wanted.max_items}"
            )
        else:
            assert actual == wanted, f"{model.__module__}.Zone.{name}: {actual} != {wanted}"
    assert sorted(model.model_fields) == sorted(zone)


# --- worker --------------------------------------------------------------------------------------


def test_every_reference_setting_has_a_worker_variable() -> None:
    assert sorted(DETECTION_VARIABLES) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_the_worker_config_matches_the_reference(name: str) -> None:
    variable = DETECTION_VARIABLES[name]
    fields = {field.alias: field for field in WorkerConfig.model_fields.values()}
    assert variable in fields, f"the worker reads no {variable} (camera setting {name!r})"
    enum = WORKER_ALERT_TYPES if name == "alert_types" else None
    actual = pydantic_setting(fields[variable], enum=enum)
    if actual.type == "number" and REFERENCE[name].type == "integer":
        # An environment variable is text: a worker reading "60" as a number accepts every integer.
        actual = Setting(**{**actual.__dict__, "type": "integer"})
    # The exceptions are about an unset variable: its default, and that "unset" is a value of its own.
    ignore = ("default", "nullable") if name in WORKER_DEFAULT_EXCEPTIONS else ()
    _same(f"the worker's {variable}", name, actual, ignore=ignore)


# --- the test itself -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("drift", "named"),
    [
        ({"max_length": 62}, "max_length=62"),
        ({"max_length": 63, "pattern": r"^[a-z0-9-]*$"}, "pattern="),
        ({"max_length": 63, "pattern": REFERENCE["detector"].pattern, "default": "local"}, "default='local'"),
    ],
    ids=["length", "pattern", "default"],
)
def test_a_planted_drift_of_the_detector_setting_is_named(drift: dict, named: str) -> None:
    """A component declaring `detector` a little differently fails, naming the setting and the difference."""
    from pydantic import Field, create_model

    default = drift.pop("default", "")
    drifted = create_model("Drifted", detector=(str, Field(default=default, **drift)))
    actual = pydantic_setting(drifted.model_fields["detector"])
    with pytest.raises(AssertionError, match="camera setting 'detector'") as failure:
        _same("a drifted component", "detector", actual)
    assert named in str(failure.value)


# --- the worker's detector state, as the operator reads it from /readyz ---------------------------


def test_the_operator_reads_the_detector_states_the_worker_reports() -> None:
    """DetectorReady is decided from the `detector` value of the worker's /readyz (docs/contracts.md)."""
    from cctv_operator.kube import status
    from cctv_worker.detect import failover

    assert (status.SERVICE, status.FALLBACK, status.UNAVAILABLE) == (
        failover.SERVICE,
        failover.FALLBACK,
        failover.UNAVAILABLE,
    )


# --- live or restart (issue 19): each setting classified once, in the CRD; every component agrees -------

APPLICATION = reference_application()
LIVE = {name for name, how in APPLICATION.items() if how == "live"}


def test_every_reference_setting_is_classified_live_or_restart_exactly_once() -> None:
    assert set(APPLICATION) == set(REFERENCE), (
        "crds/camera.yaml's cctv.io/live-settings and cctv.io/restart-settings must name every setting: "
        f"missing {sorted(set(REFERENCE) - set(APPLICATION))}, "
        f"unknown {sorted(set(APPLICATION) - set(REFERENCE))}"
    )
    both = [name for name, how in APPLICATION.items() if how == "both"]
    assert not both, f"{both}: both live and restart"
    assert reference_application(CHART_CRD_PATH) == APPLICATION


@pytest.mark.parametrize(
    ("component", "declared"),
    [
        ("the backend's LIVE_DETECTION_FIELDS (its settings answer)", set(LIVE_DETECTION_FIELDS)),
        ("the operator's LIVE_SETTINGS (what rolls nothing)", set(LIVE_SETTINGS)),
        ("the worker's LIVE_SETTINGS (what it applies between frames)", set(WORKER_LIVE_SETTINGS)),
    ],
    ids=["backend", "operator", "worker"],
)
def test_every_component_applies_live_exactly_the_reference_live_settings(
    component: str, declared: set
) -> None:
    assert declared == LIVE, (
        f"{component} differs from crds/camera.yaml's cctv.io/live-settings: "
        f"extra {sorted(declared - LIVE)}, missing {sorted(LIVE - declared)}"
    )


@pytest.mark.parametrize("name", sorted(LIVE))
def test_a_live_setting_reaches_the_same_worker_field_at_start_and_live(name: str) -> None:
    """The variable the runtimes start the worker with and the field the backend's answer sets are one."""
    field = WorkerConfig.model_fields[WORKER_LIVE_SETTINGS[name]]
    assert field.alias == DETECTION_VARIABLES[name]
    assert field.alias in LIVE_VARIABLES
