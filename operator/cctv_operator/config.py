"""The operator's configuration: one typed model read from the environment, checked at start-up.

A bad value stops the operator with one message that names every offending variable. The model is a
pydantic-settings ``BaseSettings``: a variable is its field's name in any case (``POLL_INTERVAL``), an
empty one counts as unset, and JSON settings are parsed by their validators (with their own messages).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import (
    AnyHttpUrl,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from cctv_common.env_source import settings_values
from cctv_operator.detectors import LOCAL
from cctv_operator.models import DETECTOR_PATTERN


class ConfigError(ValueError):
    """The environment does not describe a runnable operator; the message says which variable."""


class PullPolicy(StrEnum):
    ALWAYS = "Always"
    IF_NOT_PRESENT = "IfNotPresent"
    NEVER = "Never"


_RESOURCE_KEYS = {"limits", "requests", "claims"}
_TOLERATION_KEYS = {"key", "operator", "value", "effect", "tolerationSeconds"}


class OperatorSettings(BaseSettings):
    """Every setting, its default and its bounds. Field names are the variable names, lowercased."""

    model_config = SettingsConfigDict(
        extra="forbid",
        frozen=True,
        case_sensitive=False,
        # `FOO=` in a manifest falls back to the default.
        env_ignore_empty=True,
        enable_decoding=False,  # the JSON settings' validator parses them, naming the variable
        validate_default=False,
    )

    django_api_url: AnyHttpUrl
    django_api_token: SecretStr = Field(min_length=1)
    django_api_timeout: float = Field(default=10.0, gt=0, le=300)
    poll_interval: float = Field(default=3.0, gt=0, le=3600)
    sync_max_backoff: float = Field(default=60.0, gt=0, le=3600)
    sync_concurrency: int = Field(default=16, ge=1, le=256)
    reconcile_interval: float = Field(default=60.0, gt=0, le=86_400)

    watch_namespace: str = ""
    camera_namespace: str = ""

    worker_image: str = Field(default="cctv-worker:latest", min_length=1)
    worker_image_pull_policy: PullPolicy = PullPolicy.IF_NOT_PRESENT
    worker_django_api_url: AnyHttpUrl | None = None
    worker_model_path: str = Field(default="yolov8n.pt", min_length=1)
    # The shared detector's gRPC address given to every worker as DETECTOR_URL (empty: in-process).
    worker_detector_url: str = ""
    # Detector pools a Camera may name in detection.detector: pool name -> gRPC address (JSON object).
    worker_detector_pools: dict[str, str] = Field(default_factory=dict)
    # How long the operator waits for a worker pod's /readyz when it reads the detector state.
    worker_probe_timeout: float = Field(default=2.0, gt=0, le=60)
    worker_resources: dict[str, Any] = Field(default_factory=dict)
    worker_node_selector: dict[str, str] = Field(default_factory=dict)
    worker_tolerations: list[dict[str, Any]] = Field(default_factory=list)
    # Handed to every worker as is (cctv_common.network_policy checks them when the stream opens).
    camera_allowed_networks: str = ""
    camera_denied_networks: str = ""

    operator_metrics_port: int = Field(default=9101, ge=0, le=65535)
    operator_health_port: int = Field(default=8080, ge=0, le=65535)
    operator_peering_name: str = ""
    operator_priority: int = 0
    log_level: str = "INFO"

    @field_validator(
        "worker_resources",
        "worker_node_selector",
        "worker_tolerations",
        "worker_detector_pools",
        mode="before",
    )
    @classmethod
    def _json_from_env(cls, value: Any) -> Any:
        # The environment only holds strings: these settings are JSON documents.
        if isinstance(value, str):
            try:
                return json.loads(value) if value.strip() else None
            except json.JSONDecodeError as exc:
                raise ValueError(f"not valid JSON ({exc.msg} at position {exc.pos})") from None
        return value

    @field_validator("worker_resources")
    @classmethod
    def _resources_shape(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = set(value) - _RESOURCE_KEYS
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}; allowed: {sorted(_RESOURCE_KEYS)}")
        return value

    @field_validator("worker_tolerations")
    @classmethod
    def _tolerations_shape(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for item in value:
            unknown = set(item) - _TOLERATION_KEYS
            if unknown:
                raise ValueError(f"unknown toleration keys {sorted(unknown)}")
        return value

    @field_validator("worker_detector_pools")
    @classmethod
    def _pool_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name, url in value.items():
            if name == LOCAL or not re.fullmatch(DETECTOR_PATTERN, name) or not name:
                raise ValueError(f"{name!r} is not a pool name (a DNS label other than {LOCAL!r})")
            if not url.strip():
                raise ValueError(f"pool {name!r} has no address")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @model_validator(mode="after")
    def _namespace_for_cameras(self) -> OperatorSettings:
        if self.watch_namespace and self.camera_namespace not in ("", self.watch_namespace):
            raise ValueError("CAMERA_NAMESPACE must equal WATCH_NAMESPACE when a namespace is watched")
        return self

    @property
    def target_namespace(self) -> str:
        """Where the sync puts Cameras; a cluster-wide operator still needs one place for them."""
        return self.camera_namespace or self.watch_namespace or "default"

    @property
    def backend_url_for_workers(self) -> str:
        return str(self.worker_django_api_url or self.django_api_url).rstrip("/")

    @property
    def clusterwide(self) -> bool:
        return not self.watch_namespace


def load_settings(environ: Mapping[str, str] | None = None) -> OperatorSettings:
    """Read and check the settings; raise `ConfigError` naming each bad variable."""
    values = settings_values(OperatorSettings, os.environ if environ is None else environ)
    try:
        return OperatorSettings.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        detail = error["msg"].removeprefix("Value error, ")
        if not loc:  # a rule across variables: its message names them
            problems.append(detail)
            continue
        variable = loc[0].upper()
        if error["type"] == "missing":
            problems.append(f"{variable}: required but not set")
            continue
        problems.append(f"{variable}: {detail}")
    return "invalid operator configuration: " + "; ".join(problems)
