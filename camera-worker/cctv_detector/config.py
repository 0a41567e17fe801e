"""The detector service's one configuration model, read from the environment, validated at start-up.

Ports default to Triton's own (8000 HTTP, 8001 gRPC, 8002 metrics), so that a stock Triton and this
service are interchangeable behind the same Service.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cctv_common.env_source import settings_values
from cctv_worker.config import DEFAULT_MODEL_PATH
from cctv_worker.detect.protocol import DEFAULT_MODEL_NAME


class ConfigError(ValueError):
    """A setting is invalid; the message names the variable(s)."""


class DetectorConfig(BaseSettings):
    """pydantic-settings model: field aliases are the exact variable names (as in the worker's config)."""

    model_config = SettingsConfigDict(
        # Exact names only (no populate_by_name: it would also read model_path for MODEL_PATH).
        extra="forbid",
        frozen=True,
        case_sensitive=True,
        validate_default=False,
    )

    model_path: str = Field(DEFAULT_MODEL_PATH, alias="MODEL_PATH", min_length=1)
    backend: Literal["auto", "ultralytics", "onnxruntime", "openvino"] = Field(
        "auto", alias="DETECTOR_BACKEND"
    )
    model_name: str = Field(
        DEFAULT_MODEL_NAME, alias="DETECTOR_MODEL_NAME", pattern=r"^[A-Za-z0-9_.-]{1,64}$"
    )
    device: str = Field("cpu", alias="DETECTOR_DEVICE", pattern=r"^(cpu|cuda(:\d+)?)$")
    half: bool = Field(True, alias="DETECTOR_HALF")  # fp16, on CUDA only
    inference_size: int = Field(640, alias="INFERENCE_SIZE", ge=32, le=1920, multiple_of=32)
    inference_threads: int = Field(0, alias="INFERENCE_THREADS", ge=0, le=256)
    # Detections below this never leave the service; each worker applies its own, higher, thresholds.
    confidence_floor: float = Field(0.1, alias="DETECTOR_CONFIDENCE_FLOOR", ge=0.0, le=1.0)

    # Triton's dynamic batcher: a batch goes when full or when its oldest frame has waited this long.
    max_batch: int = Field(64, alias="DETECTOR_MAX_BATCH", ge=1, le=1024)
    max_queue_delay: float = Field(0.005, alias="DETECTOR_MAX_QUEUE_DELAY", ge=0.0, le=10.0)

    host: str = Field("0.0.0.0", alias="DETECTOR_HOST")  # noqa: S104 - workers on other nodes call it
    http_port: int = Field(8000, alias="DETECTOR_HTTP_PORT", ge=1, le=65535)
    grpc_port: int = Field(8001, alias="DETECTOR_GRPC_PORT", ge=1, le=65535)
    metrics_port: int = Field(8002, alias="DETECTOR_METRICS_PORT", ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field("INFO", alias="LOG_LEVEL")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @property
    def model_path_is_default(self) -> bool:
        return self.model_path == DEFAULT_MODEL_PATH

    @property
    def queue_delay_microseconds(self) -> int:
        return round(self.max_queue_delay * 1_000_000)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> DetectorConfig:
        raw = settings_values(cls, environ)
        try:
            config = cls.model_validate(raw)
        except ValidationError as exc:
            by_alias = {name: f.alias for name, f in cls.model_fields.items()}
            lines = []
            for err in exc.errors():
                variable = (
                    by_alias.get(str(err["loc"][0]), str(err["loc"][0]))
                    if err.get("loc")
                    else "configuration"
                )
                got = f" (got {raw[variable]!r})" if variable in raw else ""
                lines.append(f"{variable}: {err['msg'].removeprefix('Value error, ')}{got}")
            raise ConfigError("invalid detector configuration: " + "; ".join(lines)) from None
        ports = [config.http_port, config.grpc_port, config.metrics_port]
        if len(set(ports)) != 3:
            raise ConfigError(
                "invalid detector configuration: DETECTOR_HTTP_PORT, DETECTOR_GRPC_PORT and"
                " DETECTOR_METRICS_PORT"
                f" must differ (got {ports})"
            )
        return config
