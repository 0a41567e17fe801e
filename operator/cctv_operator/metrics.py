"""The operator's Prometheus metrics, named as in docs/contracts.md (the dashboards use them).

Built once per process by `create_metrics` on a registry (a fresh registry per test); every label
value is created up front so that dashboards see zeros rather than gaps.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from cctv_operator.sync.backend import REASONS as BACKEND_REASONS

SYNC_RESULTS = ("success", "error")
#: Why a sync pass failed: the backend's failures, a refused answer, a refused camera (the others
#: were synced), or a failed write to the runtime.
SYNC_ERROR_REASONS = (*BACKEND_REASONS, "invalid_answer", "invalid_camera", "runtime")


@dataclass(frozen=True)
class OperatorMetrics:
    registry: CollectorRegistry
    desired_cameras: Gauge
    managed_cameras: Gauge
    sync_total: Counter
    sync_errors_total: Counter
    reconcile_duration_seconds: Histogram


def create_metrics(registry: CollectorRegistry) -> OperatorMetrics:
    metrics = OperatorMetrics(
        registry=registry,
        desired_cameras=Gauge(
            "cctv_operator_desired_cameras", "Active cameras in the backend's last valid answer.",
            registry=registry),
        managed_cameras=Gauge(
            "cctv_operator_managed_cameras", "Cameras the sync manages after its last pass.",
            registry=registry),
        sync_total=Counter(
            "cctv_operator_sync", "Sync passes (backend -> cameras) by result.", ["result"],
            registry=registry),
        sync_errors_total=Counter(
            "cctv_operator_sync_errors", "Failed sync passes by reason.", ["reason"], registry=registry),
        reconcile_duration_seconds=Histogram(
            "cctv_operator_reconcile_duration_seconds", "Time to reconcile one Camera to its Deployment.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0), registry=registry),
    )
    for result in SYNC_RESULTS:
        metrics.sync_total.labels(result=result)
    for reason in SYNC_ERROR_REASONS:
        metrics.sync_errors_total.labels(reason=reason)
    return metrics
