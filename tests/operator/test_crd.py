"""The Camera CRD: one plain document, the contract's names, a structural schema, useful columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

CRD_PATH = Path(__file__).resolve().parents[2] / "crds" / "camera.yaml"


def _crd() -> dict[str, Any]:
    [crd] = [doc for doc in yaml.safe_load_all(CRD_PATH.read_text()) if doc]
    return crd


def test_crd_file_is_one_plain_document_that_validates_strictly():
    assert len([doc for doc in yaml.safe_load_all(CRD_PATH.read_text()) if doc]) == 1
    assert "{{" not in CRD_PATH.read_text()  # the chart copies it byte for byte: no templating
    kubernetes_validate.validate(_crd(), "1.37.0", strict=True)


def test_crd_uses_the_names_of_the_contract():
    spec = _crd()["spec"]
    assert _crd()["metadata"]["name"] == "cameras.cctv.io"
    assert (spec["group"], spec["scope"]) == ("cctv.io", "Namespaced")
    assert spec["names"]["kind"] == "Camera"
    assert spec["names"]["plural"] == "cameras"
    assert spec["names"]["shortNames"] == ["cam"]
    [version] = spec["versions"]
    assert version["name"] == "v1alpha1" and version["served"] and version["storage"]
    assert version["subresources"] == {"status": {}}


def _untyped_nodes(node: dict[str, Any], path: str = "") -> list[str]:
    """Paths in the schema without a type: a structural schema allows none (int-or-string aside)."""
    problems = []
    if "type" not in node and not node.get("x-kubernetes-int-or-string"):
        problems.append(path or "/")
    for name, child in (node.get("properties") or {}).items():
        problems += _untyped_nodes(child, f"{path}.{name}")
    if isinstance(node.get("items"), dict):
        problems += _untyped_nodes(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        problems += _untyped_nodes(node["additionalProperties"], f"{path}{{}}")
    return problems


def test_crd_schema_is_structural():
    schema = _crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    assert _untyped_nodes(schema) == []
    spec = schema["properties"]["spec"]
    assert set(spec["required"]) == {"cameraId", "secretRef"}
    assert "rtspUrl" not in spec["properties"] and "ingestToken" not in spec["properties"]  # Secret only


def test_crd_printer_columns_show_id_ready_stream_and_age():
    columns = {c["name"]: c["jsonPath"] for c in _crd()["spec"]["versions"][0]["additionalPrinterColumns"]}
    assert columns["Camera ID"] == ".spec.cameraId"
    assert columns["Ready"] == '.status.conditions[?(@.type=="Ready")].status'
    assert columns["Stream"] == ".status.streamState"
    assert columns["Age"] == ".metadata.creationTimestamp"
