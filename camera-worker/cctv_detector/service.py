"""Runs the model on Triton Inference Server through PyTriton: the only module that imports pytriton.

PyTriton starts the real ``tritonserver`` binary it ships and hands each batch that Triton's dynamic
batcher forms to ``Service.infer`` in this process (through its Python backend stub).
"""

from __future__ import annotations

import logging
import os
import socket
import sysconfig
import time
from pathlib import Path

import numpy as np
from prometheus_client import CollectorRegistry

from cctv_detector.config import DetectorConfig
from cctv_detector.http import MetricsServer
from cctv_detector.metrics import DetectorMetrics
from cctv_detector.models import BatchModel
from cctv_detector.pipeline import run_batch
from cctv_worker.detect.protocol import (
    INPUT_IMAGES,
    MAX_DETECTIONS,
    NAMES_PARAMETER,
    OUTPUT_COUNT,
    OUTPUT_DETECTIONS,
    names_to_json,
)

log = logging.getLogger(__name__)

# Triton's endpoint groups that need PyTriton's access token (HTTP header and gRPC metadata
# ``triton-access-token``). Open: what a camera's worker uses (health, model metadata and config,
# inference). Restricted: the model repository (index, load and unload: a load with a ``file:`` parameter
# runs any Python in this process, an unload stops every camera), shared-memory registration, statistics,
# tracing and log settings. The token is drawn at random at each start and only this process holds it:
# PyTriton's own model manager loads the model with it; nobody else needs it.
RESTRICTED_ENDPOINTS = ("model-repository", "shared-memory", "statistics", "trace", "logging")


def python_library_path() -> None:
    """Puts this interpreter's own libpython first on LD_LIBRARY_PATH before Triton starts.

    PyTriton's backend stub links ``libpython3.X.so`` dynamically. Where the system has another build of
    the same minor version (Debian's 3.11.2 beside a pyenv 3.11.7 here), the stub loads the system one
    against this interpreter's standard library and fails in ``multiprocessing``
    (``'_thread.RLock' object has no attribute '_recursion_count'``): the model never loads."""
    libdir = sysconfig.get_config_var("LIBDIR")
    if libdir and Path(libdir, sysconfig.get_config_var("LDLIBRARY") or "").exists():
        current = os.environ.get("LD_LIBRARY_PATH", "")
        if libdir not in current.split(":"):
            os.environ["LD_LIBRARY_PATH"] = f"{libdir}:{current}" if current else libdir


def free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Service:
    def __init__(
        self, config: DetectorConfig, model: BatchModel, registry: CollectorRegistry | None = None
    ) -> None:
        self.config = config
        self.model = model
        self.registry = registry or CollectorRegistry()
        self.metrics = DetectorMetrics(self.registry, config.model_name)
        self.num_classes = len(model.names)

    def infer(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One batch: what Triton calls (through PyTriton's ``@batch``)."""
        started = time.perf_counter()
        try:
            detections, counts = run_batch(
                images,
                self.model.infer,
                num_classes=self.num_classes,
                size=self.model.imgsz,
                conf_floor=self.config.confidence_floor,
            )
        except Exception:
            self.metrics.answered(len(images), ok=False)
            log.exception("a batch of %d frames failed", len(images))
            raise
        self.metrics.batch_size.observe(len(images))
        self.metrics.compute_duration.observe(time.perf_counter() - started)
        self.metrics.answered(len(images), ok=True)
        return detections, counts

    def serve(self) -> None:
        """Starts Triton and the metrics port, and blocks until SIGTERM/SIGINT."""
        python_library_path()
        from pytriton.decorators import batch
        from pytriton.model_config import DynamicBatcher, ModelConfig, Tensor
        from pytriton.triton import Triton, TritonConfig, TritonLifecyclePolicy, TritonSecurityConfig

        config = self.config
        internal_metrics = free_loopback_port()
        triton_config = TritonConfig(
            http_address=config.host,
            http_port=config.http_port,
            grpc_address=config.host,
            grpc_port=config.grpc_port,
            metrics_address="127.0.0.1",
            metrics_port=internal_metrics,
            # GPU metrics (DCGM, NVML) only where there is a GPU: on a CPU node Triton would log
            # "Error: Failed to initialize NVML" at every start.
            allow_gpu_metrics=config.device.startswith("cuda"),
            exit_timeout_secs=5,
            log_verbose=0,
        )

        @batch
        def infer_func(**inputs: np.ndarray) -> dict[str, np.ndarray]:
            detections, counts = self.infer(inputs[INPUT_IMAGES])
            return {OUTPUT_DETECTIONS: detections, OUTPUT_COUNT: counts}

        size = self.model.imgsz
        # A local model store and a late start: the config PyTriton writes at bind() gets the class names
        # before Triton reads it.
        with Triton(
            config=triton_config,
            triton_lifecycle_policy=TritonLifecyclePolicy(
                launch_triton_on_startup=False, local_model_store=True
            ),
            security_config=TritonSecurityConfig(restricted_endpoints=list(RESTRICTED_ENDPOINTS)),
        ) as triton:
            triton.bind(
                model_name=config.model_name,
                infer_func=infer_func,
                inputs=[Tensor(name=INPUT_IMAGES, dtype=np.uint8, shape=(size, size, 3))],
                outputs=[
                    Tensor(name=OUTPUT_DETECTIONS, dtype=np.float32, shape=(MAX_DETECTIONS, 6)),
                    Tensor(name=OUTPUT_COUNT, dtype=np.int32, shape=(1,)),
                ],
                config=ModelConfig(
                    max_batch_size=config.max_batch,
                    batcher=DynamicBatcher(max_queue_delay_microseconds=config.queue_delay_microseconds),
                ),
                strict=True,
            )
            _publish_names(triton, config.model_name, names_to_json(self.model.names))
            metrics = MetricsServer(
                config.host,
                config.metrics_port,
                self.registry,
                triton_http=f"http://127.0.0.1:{config.http_port}",
                triton_metrics=f"http://127.0.0.1:{internal_metrics}",
                model_name=config.model_name,
            )
            metrics.start()
            self.metrics.model_ready.set(1)
            log.info(
                "serving %s (%s, %d classes, input %d) on HTTP %d, gRPC %d, metrics %d;"
                " max batch %d, queue delay %.1f ms",
                config.model_name,
                self.model.backend,
                self.num_classes,
                size,
                config.http_port,
                config.grpc_port,
                config.metrics_port,
                config.max_batch,
                config.max_queue_delay * 1000,
            )
            try:
                triton.serve()  # returns on SIGINT/SIGTERM
            finally:
                self.metrics.model_ready.set(0)
                metrics.stop()


def _publish_names(triton: object, model_name: str, names_json: str) -> None:
    """Adds the class names to the model's Triton config (``parameters { key: "names" }``), where
    clients read them with ``get_model_config``. PyTriton has no public way to set config parameters, so
    this adds one to the config it generated at ``bind`` and writes it again before Triton loads the
    model; tests/worker/test_shared_detector.py fails if a PyTriton upgrade breaks it."""
    manager = triton._model_manager  # type: ignore[attr-defined]
    model = next(m for m in manager.models if m.model_name == model_name)
    model._get_triton_model_config().backend_parameters[NAMES_PARAMETER] = names_json
    model.generate_model(manager._model_store_path)
