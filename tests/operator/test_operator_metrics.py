"""The operator's metric names are exactly those of docs/contracts.md, and start at zero."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from cctv_operator.metrics import SYNC_ERROR_REASONS, create_metrics

CONTRACT = {
    "cctv_operator_desired_cameras": "gauge",
    "cctv_operator_managed_cameras": "gauge",
    "cctv_operator_sync_total": "counter",
    "cctv_operator_sync_errors_total": "counter",
    "cctv_operator_reconcile_duration_seconds": "histogram",
}


def test_metric_names_and_types_are_the_contracts():
    text = generate_latest(create_metrics(CollectorRegistry()).registry).decode()
    declared = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            declared[name.removesuffix("_total") if kind == "counter" else name] = kind
    expected = {
        name.removesuffix("_total") if kind == "counter" else name: kind for name, kind in CONTRACT.items()
    }
    assert declared == expected
    assert "cctv_operator_sync_total{" in text and "cctv_operator_sync_errors_total{" in text


def test_every_label_value_is_there_from_the_start():
    registry = create_metrics(CollectorRegistry()).registry
    for reason in SYNC_ERROR_REASONS:
        assert registry.get_sample_value("cctv_operator_sync_errors_total", {"reason": reason}) == 0
    for result in ("success", "error"):
        assert registry.get_sample_value("cctv_operator_sync_total", {"result": result}) == 0
