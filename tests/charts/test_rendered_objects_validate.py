"""Every object the chart renders is a valid Kubernetes object: built-in kinds against the API's own
OpenAPI schemas (kubernetes-validate, strict: an unknown field is an error) for a current Kubernetes version;
the Prometheus Operator's kinds against the schema subset below."""

from __future__ import annotations

import jsonschema
import kubernetes_validate
import pytest

from support import helm
from support.helm import VARIANTS, Renderer

KUBE_VERSION = kubernetes_validate.latest_version()

# The Prometheus Operator's CRDs are not available offline (no PyPI package ships them), so these kinds are
# checked against a subset of monitoring.coreos.com/v1, written from the upstream CRDs for the fields this
# chart uses. additionalProperties: false catches a misspelt field as the API server would.
_LABELS = {"type": "object", "additionalProperties": {"type": "string"}}
_META = {
    "type": "object",
    "required": ["name", "namespace"],
    "properties": {"name": {"type": "string"}, "namespace": {"type": "string"}, "labels": _LABELS,
                   "annotations": _LABELS},
    "additionalProperties": False,
}
_SELECTOR = {
    "type": "object",
    "properties": {"matchLabels": _LABELS, "matchExpressions": {"type": "array"}},
    "additionalProperties": False,
}
_NAMESPACE_SELECTOR = {
    "type": "object",
    "properties": {"any": {"type": "boolean"}, "matchNames": {"type": "array", "items": {"type": "string"}}},
    "additionalProperties": False,
}
# The CRDs' Duration pattern.
_DURATION = {
    "type": "string",
    "pattern": "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$",
}
_ALERT_NAME = {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"}
_ENDPOINT = {
    "type": "object",
    "required": ["port"],
    "properties": {"port": {"type": "string"}, "path": {"type": "string"}, "interval": _DURATION,
                   "scrapeTimeout": _DURATION, "honorLabels": {"type": "boolean"},
                   "relabelings": {"type": "array"}, "metricRelabelings": {"type": "array"}},
    "additionalProperties": False,
}


def _kind(kind: str, spec: dict) -> dict:
    return {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {"apiVersion": {"const": "monitoring.coreos.com/v1"}, "kind": {"const": kind},
                       "metadata": _META, "spec": spec},
        "additionalProperties": False,
    }


MONITORING_SCHEMAS = {
    "ServiceMonitor": _kind("ServiceMonitor", {
        "type": "object", "required": ["selector", "endpoints"],
        "properties": {"selector": _SELECTOR, "namespaceSelector": _NAMESPACE_SELECTOR,
                       "endpoints": {"type": "array", "minItems": 1, "items": _ENDPOINT},
                       "jobLabel": {"type": "string"}},
        "additionalProperties": False,
    }),
    "PodMonitor": _kind("PodMonitor", {
        "type": "object", "required": ["selector", "podMetricsEndpoints"],
        "properties": {"selector": _SELECTOR, "namespaceSelector": _NAMESPACE_SELECTOR,
                       "podMetricsEndpoints": {"type": "array", "minItems": 1, "items": _ENDPOINT},
                       "jobLabel": {"type": "string"}},
        "additionalProperties": False,
    }),
    "PrometheusRule": _kind("PrometheusRule", {
        "type": "object", "required": ["groups"],
        "properties": {"groups": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["name", "rules"],
            "properties": {"name": {"type": "string", "minLength": 1}, "interval": _DURATION,
                           "rules": {"type": "array", "minItems": 1, "items": {
                               "type": "object", "required": ["expr"],
                               "properties": {"alert": _ALERT_NAME,
                                              "record": {"type": "string"},
                                              "expr": {"type": "string", "minLength": 1},
                                              "for": _DURATION, "keep_firing_for": _DURATION,
                                              "labels": _LABELS, "annotations": _LABELS},
                               "additionalProperties": False}}},
            "additionalProperties": False}}},
        "additionalProperties": False,
    }),
}


def _short(error: Exception) -> str:
    # kubernetes-validate's message embeds the whole schema; its first line says what is wrong.
    return str(error).strip().splitlines()[0]


def validate(obj: dict) -> None:
    if obj["apiVersion"] == "monitoring.coreos.com/v1":
        jsonschema.validate(obj, MONITORING_SCHEMAS[obj["kind"]])
        return
    kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_rendered_object_validates_strictly(renderer: Renderer, variant: str) -> None:
    problems = []
    for obj in renderer.variant(variant):
        try:
            validate(obj)
        except (kubernetes_validate.ValidationError, jsonschema.ValidationError) as error:
            problems.append(f"{obj['kind']}/{obj['metadata']['name']}: {_short(error)}")
    assert not problems, "\n".join(problems)


def test_the_validator_catches_a_misspelt_field() -> None:
    # The checks above are only worth something if strict mode really rejects unknown fields.
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}, "spec": {"portz": []}}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(service)
    monitor = {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
               "metadata": {"name": "x", "namespace": "y"},
               "spec": {"selector": {}, "endpoints": [{"port": "http", "intervall": "30s"}]}}
    with pytest.raises(jsonschema.ValidationError):
        validate(monitor)


def test_the_grafana_dashboard_is_valid_json_with_panels(renderer: Renderer) -> None:
    import json

    config_map = helm.one(renderer.variant("default"), "ConfigMap", "-dashboard")
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    dashboard = json.loads(config_map["data"]["cctv.json"])
    assert dashboard["uid"] == "cctv-analytics"
    assert len([p for p in dashboard["panels"] if p["type"] != "row"]) >= 15
