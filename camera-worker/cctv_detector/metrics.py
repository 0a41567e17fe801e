"""The detector service's own metrics (contract: docs/contracts.md), defined once. They sit beside
Triton's ``nv_inference_*`` on DETECTOR_METRICS_PORT; the Grafana dashboard uses both."""

from __future__ import annotations

import re

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
# CPU batches take 50 ms to seconds; a GPU batch of 64 a few ms.
COMPUTE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class DetectorMetrics:
    def __init__(self, registry: CollectorRegistry, model: str) -> None:
        self.model = model
        self.batch_size = Histogram(
            "cctv_detector_batch_size",
            "Frames per batch the model ran (Triton's dynamic batcher gathers them from many workers).",
            ["model"],
            buckets=BATCH_BUCKETS,
            registry=registry,
        ).labels(model=model)
        self.compute_duration = Histogram(
            "cctv_detector_compute_duration_seconds",
            "Time to normalise, infer and post-process one batch.",
            ["model"],
            buckets=COMPUTE_BUCKETS,
            registry=registry,
        ).labels(model=model)
        self._requests = Counter(
            "cctv_detector_requests_total",
            "Frames answered, by result (ok, error).",
            ["model", "result"],
            registry=registry,
        )
        for result in ("ok", "error"):
            self._requests.labels(model=model, result=result)
        self.model_ready = Gauge(
            "cctv_detector_model_ready",
            "1 while the model is loaded and serving.",
            ["model"],
            registry=registry,
        ).labels(model=model)

    def answered(self, frames: int, ok: bool) -> None:
        self._requests.labels(model=self.model, result="ok" if ok else "error").inc(frames)


_QUEUE_LINE = re.compile(r'^nv_inference_queue_duration_us\{[^}]*model="([^"]+)"[^}]*\}\s+([0-9.eE+-]+)$')


def queue_seconds(triton_text: str) -> dict[str, float]:
    """Triton's cumulative queue time per model (microseconds), in seconds. Pure."""
    totals: dict[str, float] = {}
    for line in triton_text.splitlines():
        match = _QUEUE_LINE.match(line)
        if match:
            totals[match[1]] = totals.get(match[1], 0.0) + float(match[2]) / 1e6
    return totals


class QueueTimeCollector(Collector):
    """``cctv_detector_queue_duration_seconds_total``: time frames waited in Triton's batcher, taken from
    the Triton metrics text the HTTP server has just fetched (Triton alone sees the queue)."""

    def __init__(self) -> None:
        self.latest: dict[str, float] = {}

    def collect(self):  # type: ignore[no-untyped-def]
        family = CounterMetricFamily(
            "cctv_detector_queue_duration_seconds",
            "Time frames waited in the dynamic batcher before their batch ran.",
            labels=["model"],
        )
        for model, seconds in sorted(self.latest.items()):
            family.add_metric([model], seconds)
        yield family
