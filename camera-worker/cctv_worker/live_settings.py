"""The camera settings a running worker applies without a restart, and how it applies them. Pure.

The backend answers them under their camera-contract names (``alert_types``, ``zones``, ...); each maps
to one ``WorkerConfig`` field, whose validation they pass exactly like the variable at start-up. Which
settings are live is declared in crds/camera.yaml (``cctv.io/live-settings``) and checked against this
map by tests/contract/test_camera_contract.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from cctv_worker.config import ConfigError, WorkerConfig

#: Camera setting (the backend's name) -> the WorkerConfig field it sets.
LIVE_SETTINGS: Mapping[str, str] = {
    "alert_types": "alert_types",
    "confidence_threshold": "confidence_threshold",
    "cooldown_seconds": "alert_cooldown",
    "event_grace_seconds": "event_grace",
    "event_max_seconds": "event_max_length",
    "pre_roll_seconds": "pre_roll",
    "post_roll_seconds": "post_roll",
    "min_box_area": "min_box_area",
    "zones": "zones",
    "motion_masks": "motion_masks",
    "forced_detect_interval": "forced_detect_interval",
    "object_filters": "object_filters",
}


def with_live_settings(config: WorkerConfig, settings: Mapping[str, Any]) -> WorkerConfig:
    """``config`` with the live settings in ``settings`` (unknown names are ignored: a newer backend may
    send more than this worker applies). Raises ConfigError naming the setting when one is invalid; the
    worker then keeps what it runs with."""
    fields = WorkerConfig.model_fields
    values = {fields[name].alias or name: getattr(config, name) for name in fields}
    for setting, field in LIVE_SETTINGS.items():
        if setting in settings:
            value = settings[setting]
            if field == "object_filters" and isinstance(value, Mapping):
                # The backend lists every bound; an unset one (null) is no limit, as the field's default.
                value = {kind: _set_bounds(bounds) for kind, bounds in value.items()}
            values[fields[field].alias or field] = value
    try:
        return WorkerConfig.model_validate(values)
    except ValidationError as exc:
        by_variable = {fields[field].alias: setting for setting, field in LIVE_SETTINGS.items()}
        variables = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
        wrong = sorted(by_variable.get(variable, variable) for variable in variables)
        raise ConfigError(f"invalid live settings {wrong}: {exc.errors()[0]['msg']}") from None


def _set_bounds(bounds: Any) -> Any:
    return {k: v for k, v in bounds.items() if v is not None} if isinstance(bounds, Mapping) else bounds


def changed(old: WorkerConfig, new: WorkerConfig) -> list[str]:
    """The live settings (contract names) whose value differs."""
    return [setting for setting, field in LIVE_SETTINGS.items() if getattr(old, field) != getattr(new, field)]
