"""Every metric the Grafana dashboard and the PrometheusRule use exists: compared with the metrics the code
really defines (each component's metrics module, built on a fresh registry; the backend's as its /metrics
view serves them), and with the names pinned in docs/contracts.md."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

import pytest
import yaml
from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from support import helm
from support.helm import REPO_ROOT, Renderer

METRIC = re.compile(r"\bcctv_[a-zA-Z0-9_]*[a-zA-Z0-9]")
# What Prometheus stores for one family of each type (prometheus_client drops "_total" from the family name).
SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
    "info": ("_info",),
    "untyped": ("",),
}


def exposed(families: Iterable[Metric]) -> set[str]:
    names = set()
    for family in families:
        names.update(family.name + suffix for suffix in SUFFIXES[family.type])
        names.update(sample.name for sample in family.samples)
    return names


def worker_names() -> set[str]:
    from cctv_worker.metrics import WorkerMetrics

    registry = CollectorRegistry()
    WorkerMetrics(registry, camera=1).use_detector_service()  # a worker with DETECTOR_URL has them all
    return exposed(registry.collect())


def detector_names() -> set[str]:
    """The shared detector's own (cctv_detector_*, not the worker's cctv_detector_service_*)."""
    from cctv_detector.metrics import DetectorMetrics, QueueTimeCollector

    registry = CollectorRegistry()
    DetectorMetrics(registry, model="yolov8")
    queue = QueueTimeCollector()
    queue.latest = {"yolov8": 1.0}
    registry.register(queue)
    return exposed(registry.collect())


def is_detector_service(name: str) -> bool:
    return name.startswith("cctv_detector_") and not name.startswith("cctv_detector_service_")


def operator_names() -> set[str]:
    from cctv_operator.metrics import create_metrics

    registry = CollectorRegistry()
    create_metrics(registry)
    return exposed(registry.collect())


@pytest.fixture
def backend_names(client, db) -> set[str]:
    # The backend defines its counters at import and its camera gauge per scrape: its /metrics view (real
    # Django request, real database) is the honest list.
    response = client.get("/metrics")
    assert response.status_code == 200, response.content[:500]
    return exposed(text_string_to_metric_families(response.content.decode()))


def contract_names() -> set[str]:
    text = (REPO_ROOT / "docs" / "contracts.md").read_text()
    section = text.split("## Metrics", 1)[1].split("\n## ", 1)[0]
    names = set()
    for match in re.finditer(r"`(cctv_[a-z0-9_]+)(\{[^}]*\})?`( \(histogram\))?", section):
        name, histogram = match.group(1), match.group(3)
        if histogram:
            names.update(name + suffix for suffix in ("_bucket", "_sum", "_count"))
        else:
            names.add(name)
    return names


def dashboard_metrics() -> set[str]:
    dashboard = json.loads((helm.CHART_DIR / "files" / "dashboards" / "cctv.json").read_text())
    return set(METRIC.findall(json.dumps(dashboard)))


def rule_metrics(renderer: Renderer) -> set[str]:
    rule = helm.one(renderer.variant("monitoring"), "PrometheusRule")
    # Expressions and the descriptions that point the reader at a metric: both must name real ones.
    return set(METRIC.findall(yaml.safe_dump(rule["spec"])))


def test_the_dashboard_and_the_rules_use_cctv_metrics_at_all(renderer: Renderer) -> None:
    # Guards the tests below against passing vacuously (an empty set is a subset of anything).
    assert len(dashboard_metrics()) >= 20
    assert len(rule_metrics(renderer)) >= 6


def test_the_contract_lists_every_metric_of_the_design() -> None:
    assert len(contract_names()) >= 25


def test_dashboard_metrics_are_in_the_contract() -> None:
    missing = dashboard_metrics() - contract_names()
    assert not missing, f"the dashboard uses metrics docs/contracts.md does not define: {sorted(missing)}"


def test_rule_metrics_are_in_the_contract(renderer: Renderer) -> None:
    missing = rule_metrics(renderer) - contract_names()
    assert not missing, f"the alert rules use metrics docs/contracts.md does not define: {sorted(missing)}"


def test_dashboard_and_rule_metrics_exist_in_the_code(renderer: Renderer, backend_names: set[str]) -> None:
    defined = worker_names() | detector_names() | operator_names() | backend_names
    used = dashboard_metrics() | rule_metrics(renderer)
    missing = used - defined
    assert not missing, f"used by the dashboard or the rules but defined by no component: {sorted(missing)}"


def test_each_component_defines_the_metrics_the_contract_gives_it(backend_names: set[str]) -> None:
    contract = contract_names()
    by_component = {
        "worker": (
            {
                n
                for n in contract
                if not n.startswith(("cctv_operator_", "cctv_backend_")) and not is_detector_service(n)
            },
            worker_names(),
        ),
        "detector": ({n for n in contract if is_detector_service(n)}, detector_names()),
        "operator": ({n for n in contract if n.startswith("cctv_operator_")}, operator_names()),
        "backend": ({n for n in contract if n.startswith("cctv_backend_")}, backend_names),
    }
    for component, (expected, defined) in by_component.items():
        assert expected <= defined, f"{component} lacks {sorted(expected - defined)}"


def test_the_sync_rule_matches_a_result_the_operator_really_reports(renderer: Renderer) -> None:
    from cctv_operator.metrics import SYNC_RESULTS

    rule = helm.one(renderer.variant("monitoring"), "PrometheusRule")
    values = set(re.findall(r'result="([^"]+)"', yaml.safe_dump(rule["spec"])))
    assert values and values <= set(SYNC_RESULTS)


def documented_names(families: Iterable[Metric]) -> set[str]:
    """The names a reader queries: a counter with its ``_total``, any other family as it is."""
    return {
        family.name + ("_total" if family.type == "counter" else "")
        for family in families
        if family.name.startswith("cctv_")
    }


def readme_names() -> set[str]:
    text = (REPO_ROOT / "README.md").read_text()
    section = text.split("\n## Metrics\n", 1)[1].split("\n## ", 1)[0]
    table = "\n".join(line for line in section.splitlines() if line.startswith("|"))
    return set(re.findall(r"`(cctv_[a-z0-9_]+)", table))


def test_the_readme_metrics_table_lists_exactly_what_the_code_defines(client, db) -> None:
    # Issue 19: the table had lost five clip and event metrics of the worker. Both ways: nothing missing,
    # nothing the code no longer defines.
    from cctv_detector.metrics import DetectorMetrics, QueueTimeCollector

    from cctv_operator.metrics import create_metrics
    from cctv_worker.metrics import WorkerMetrics

    registry = CollectorRegistry()
    WorkerMetrics(registry, camera=1).use_detector_service()
    DetectorMetrics(registry, model="yolov8")
    queue = QueueTimeCollector()
    queue.latest = {"yolov8": 1.0}
    registry.register(queue)
    create_metrics(registry)
    backend = text_string_to_metric_families(client.get("/metrics").content.decode())
    defined = documented_names(registry.collect()) | documented_names(backend)
    listed = readme_names()
    assert not defined - listed, f"README's metrics table lacks {sorted(defined - listed)}"
    assert not listed - defined, f"README's metrics table lists undefined {sorted(listed - defined)}"


def test_the_extraction_finds_a_misspelt_metric() -> None:
    # The comparisons above are only as good as the regular expression that pulls names out of PromQL.
    expr = 'sum by (le) (rate(cctv_inference_duration_second_bucket{camera=~"$camera"}[5m]))'
    assert set(METRIC.findall(expr)) == {"cctv_inference_duration_second_bucket"}
    assert "cctv_inference_duration_second_bucket" not in worker_names()
