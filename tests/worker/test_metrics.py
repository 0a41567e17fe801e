"""Metric names are the contract in docs/contracts.md, exactly."""

import re
from pathlib import Path

from prometheus_client import CollectorRegistry

from cctv_worker.metrics import WorkerMetrics

CONTRACTS = Path(__file__).resolve().parents[2] / "docs" / "contracts.md"


def contract_names() -> set[str]:
    text = CONTRACTS.read_text()
    worker_part = text.split("Worker, label `camera` on all:")[1].split("Worker with `DETECTOR_URL`:")[0]
    return set(re.findall(r"`(cctv_[a-z_]+)", worker_part))


def detector_service_contract_names() -> set[str]:
    text = CONTRACTS.read_text()
    part = text.split("Worker with `DETECTOR_URL`:")[1].split("Shared detector, label")[0]
    return set(re.findall(r"`(cctv_[a-z_]+)", part))


def exposed_names(registry: CollectorRegistry) -> set[str]:
    names = set()
    for family in registry.collect():
        name = family.name + ("_total" if family.type == "counter" else "")
        names.add(name)
    return names


def test_the_worker_exposes_exactly_the_contract_metrics() -> None:
    registry = CollectorRegistry()
    WorkerMetrics(registry, camera=1)
    expected = contract_names()
    assert len(expected) == 32  # 26, 5 of recording and 1 of clips from the recordings (issue 23)
    assert exposed_names(registry) == expected


def test_a_worker_using_the_shared_detector_adds_exactly_the_contracts_service_metrics() -> None:
    registry = CollectorRegistry()
    metrics = WorkerMetrics(registry, camera=1)
    metrics.use_detector_service()
    added = detector_service_contract_names()
    assert added == {"cctv_detector_service_up", "cctv_detector_service_errors_total"}
    assert exposed_names(registry) == contract_names() | added
    assert (
        registry.get_sample_value("cctv_detector_service_errors_total", {"camera": "1", "result": "timeout"})
        == 0
    )


def test_every_sample_carries_the_camera_label_and_label_values_start_at_zero() -> None:
    registry = CollectorRegistry()
    metrics = WorkerMetrics(registry, camera=5)
    metrics.detection("person")
    for family in registry.collect():
        for sample in family.samples:
            assert sample.labels["camera"] == "5"
    assert registry.get_sample_value("cctv_alerts_sent_total", {"camera": "5", "alert_type": "fire"}) == 0
    assert registry.get_sample_value("cctv_alerts_failed_total", {"camera": "5", "result": "timeout"}) == 0
    assert registry.get_sample_value("cctv_detections_total", {"camera": "5", "label": "person"}) == 1
