"""The chart carries the Camera CRD from crds/ unchanged, and the example Camera manifests are valid
against that CRD's own schema (as the API server with strict field validation would judge them)."""

from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from support import helm
from support.helm import REPO_ROOT, Renderer

SOURCE_CRD = REPO_ROOT / "crds" / "camera.yaml"
CHART_CRD = helm.CHART_DIR / "crds" / "camera.yaml"
EXAMPLES = sorted((REPO_ROOT / "crds" / "examples").glob("*.yaml"))


def test_the_chart_carries_a_byte_identical_copy_of_the_crd() -> None:
    assert SOURCE_CRD.is_file(), "crds/camera.yaml (the operator's CRD) is missing"
    assert CHART_CRD.read_bytes() == SOURCE_CRD.read_bytes(), (
        "charts/cctv/crds/camera.yaml drifted from crds/camera.yaml: cp crds/camera.yaml charts/cctv/crds/"
    )


def test_the_rendered_chart_installs_the_crd(renderer: Renderer) -> None:
    crd = helm.one(renderer.variant("default"), "CustomResourceDefinition", "cameras.cctv.io")
    assert crd["spec"]["group"] == "cctv.io"
    assert crd["spec"]["names"]["shortNames"] == ["cam"]


def _strict(schema: dict) -> dict:
    """The CRD schema as JSON Schema, rejecting unknown fields the way `kubectl --validate=strict` does."""
    schema = copy.deepcopy(schema)

    def visit(node: dict) -> None:
        if node.get("nullable") and isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
        if node.get("type") == "object" and "properties" in node and not node.get(
            "x-kubernetes-preserve-unknown-fields"
        ):
            node.setdefault("additionalProperties", False)
        for key in ("properties", "patternProperties"):
            for child in node.get(key, {}).values():
                visit(child)
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                visit(node[key])
        for key in ("allOf", "anyOf", "oneOf"):
            for child in node.get(key, []):
                visit(child)

    visit(schema)
    # apiVersion, kind and metadata are checked by the API server itself, not by the CRD's schema.
    schema["properties"].update(
        apiVersion={"const": "cctv.io/v1alpha1"},
        kind={"const": "Camera"},
        metadata={"type": "object", "required": ["name"]},
    )
    schema.setdefault("required", [])
    schema["required"] = sorted({*schema["required"], "apiVersion", "kind", "metadata"})
    return schema


@pytest.fixture(scope="module")
def camera_schema() -> dict:
    crd = yaml.safe_load(SOURCE_CRD.read_text())
    version = next(v for v in crd["spec"]["versions"] if v["storage"])
    return _strict(version["schema"]["openAPIV3Schema"])


def _documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def test_there_are_example_cameras() -> None:
    cameras = [doc for path in EXAMPLES for doc in _documents(path) if doc["kind"] == "Camera"]
    assert len(cameras) >= 2


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_manifest_is_valid(path: Path, camera_schema: dict) -> None:
    for doc in _documents(path):
        if doc["kind"] == "Camera":
            jsonschema.validate(doc, camera_schema)
        else:
            kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)


def test_a_camera_with_a_misspelt_field_is_refused(camera_schema: dict) -> None:
    camera = next(doc for doc in _documents(EXAMPLES[0]) if doc["kind"] == "Camera")
    camera = copy.deepcopy(camera)
    camera["spec"]["cameraID"] = camera["spec"].pop("cameraId")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(camera, camera_schema)
