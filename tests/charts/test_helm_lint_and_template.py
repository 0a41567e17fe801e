"""helm lint --strict and helm template with the default values and every ci/*-values.yaml variant, and
the values schema refusing bad input with a clear message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from support import helm
from support.helm import VARIANTS, Renderer, variant_file


def test_helm_is_the_pinned_version(helm_home: Path) -> None:
    result = helm.run_helm("version", "--short", home=helm_home)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(helm.HELM_VERSION)


def test_at_least_the_expected_variants_exist() -> None:
    assert {"default", "monitoring", "postgresql", "clusterwide-gpu"} <= set(VARIANTS)


def test_lint_strict_passes_with_the_chart_defaults(helm_home: Path) -> None:
    result = helm.run_helm("lint", "--strict", str(helm.CHART_DIR), home=helm_home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


@pytest.mark.parametrize("variant", VARIANTS)
def test_lint_strict_passes_with_variant(helm_home: Path, variant: str) -> None:
    result = helm.run_helm(
        "lint", "--strict", str(helm.CHART_DIR), "--values", str(variant_file(variant)), home=helm_home
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[WARNING]" not in result.stdout and "[ERROR]" not in result.stdout, result.stdout


def test_template_with_the_chart_defaults_stops_on_the_missing_database_and_names_the_value(
    helm_home: Path,
) -> None:
    # External PostgreSQL is the default, and the chart cannot guess its address: the one value a user
    # must give. Without it, rendering fails with a message naming that value (never a half-made install).
    result = helm.run_helm(*helm.template_args(), home=helm_home)
    assert result.returncode != 0
    assert "database.external.url" in result.stderr


def test_template_with_only_the_database_url_renders_the_whole_product(renderer: Renderer) -> None:
    objects = renderer.with_values(**{"database.external.url": "postgres://u:p@db.example:5432/cctv"})
    kinds = {obj["kind"] for obj in objects}
    assert {"Deployment", "Service", "Secret", "Job", "ServiceAccount", "Role", "RoleBinding",
            "CustomResourceDefinition", "ConfigMap", "PersistentVolumeClaim"} <= kinds
    names = {obj["metadata"]["name"] for obj in helm.of_kind(objects, "Deployment")}
    assert names == {"cctv-backend", "cctv-operator"}


@pytest.mark.parametrize("variant", VARIANTS)
def test_template_renders_variant(renderer: Renderer, variant: str) -> None:
    objects = renderer.variant(variant)
    assert objects
    for obj in objects:
        assert obj.get("apiVersion") and obj.get("kind") and obj["metadata"].get("name"), obj


def test_every_namespaced_object_lands_in_the_release_namespace(renderer: Renderer) -> None:
    cluster_scoped = {"ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}
    for obj in renderer.variant("postgresql"):
        if obj["kind"] not in cluster_scoped:
            assert obj["metadata"].get("namespace") == "cctv", f"{obj['kind']}/{obj['metadata']['name']}"


def test_monitoring_objects_are_rendered_only_when_switched_on(renderer: Renderer) -> None:
    default = {obj["kind"] for obj in renderer.variant("default")}
    monitoring = {obj["kind"] for obj in renderer.variant("monitoring")}
    assert not {"ServiceMonitor", "PodMonitor", "PrometheusRule"} & default
    assert {"ServiceMonitor", "PodMonitor", "PrometheusRule"} <= monitoring


def test_in_chart_postgresql_is_rendered_only_for_trials(renderer: Renderer) -> None:
    assert not helm.of_kind(renderer.variant("default"), "StatefulSet")
    assert helm.one(renderer.variant("postgresql"), "StatefulSet", "-postgresql")


def test_schema_rejects_an_unknown_key_and_names_it(helm_home: Path) -> None:
    args = helm.template_args((variant_file("default"),), {"backend.gunicorn.workerz": "3"})
    result = helm.run_helm(*args, home=helm_home)
    assert result.returncode != 0
    assert "workerz" in result.stderr


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("backend.image.pullPolicy", "Sometimes"),
        ("operator.apiToken", "not-a-drf-token"),
        ("postgresql.auth.password", "has spaces/and:colons"),
        ("monitoring.prometheusRule.streamDownFor", "five minutes"),
        ("database.external.url", "mysql://u:p@db/cctv"),
    ],
)
def test_schema_rejects_a_bad_value_and_names_the_key(helm_home: Path, key: str, value: str) -> None:
    result = helm.run_helm(*helm.template_args((variant_file("default"),), {key: value}), home=helm_home)
    assert result.returncode != 0
    assert key.rsplit(".", 1)[-1] in result.stderr, result.stderr


def test_every_values_key_is_in_the_schema() -> None:
    values = yaml.safe_load((helm.CHART_DIR / "values.yaml").read_text())
    schema = json.loads((helm.CHART_DIR / "values.schema.json").read_text())

    def walk(value: object, node: dict, path: str) -> None:
        if "$ref" in node:
            node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
        if isinstance(value, dict) and "properties" in node:
            for key, child in value.items():
                assert key in node["properties"], f"{path}{key} is not in values.schema.json"
                walk(child, node["properties"][key], f"{path}{key}.")

    walk(values, schema, "")
