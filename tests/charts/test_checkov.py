"""checkov's Kubernetes checks pass on the rendered chart in every variant; each check the chart skips
carries its reason in the chart itself (a `checkov.io/skipN: CHECK=reason` annotation).

checkov runs fully offline: BC_SKIP_MAPPING=TRUE and --skip-download keep it from calling Prisma Cloud.
It lives in its own virtualenv (see support/helm.py), built from PyPI on first use.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from support import helm
from support.helm import VARIANTS, Renderer

# The first run on a fresh machine builds checkov's virtualenv from PyPI inside the first test's setup:
# over 300 s (pytest's default here) on a loaded 2-core machine. The checks themselves take seconds.
pytestmark = pytest.mark.timeout(900)

SKIP_ANNOTATION = re.compile(r"^checkov\.io/skip\d+$")
SKIP_VALUE = re.compile(r"^(CKV2?_K8S_\d+)=(.+)$")


def run_checkov(folder: Path) -> dict:
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false",
               LOG_LEVEL="WARNING")
    result = subprocess.run(
        [str(helm.checkov_binary()), "--directory", str(folder), "--framework", "kubernetes",
         "--skip-download", "--compact", "--output", "json"],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )
    # Exit code 1 means "some check failed"; anything else is checkov itself failing.
    assert result.returncode in (0, 1), result.stderr[-3000:]
    report = json.loads(result.stdout)
    reports = report if isinstance(report, list) else [report]
    (kubernetes,) = [r for r in reports if r.get("check_type") == "kubernetes"]
    return kubernetes


@pytest.fixture(scope="module")
def checkov_report(renderer: Renderer, tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("rendered")
    for variant in VARIANTS:
        objects = [o for o in renderer.variant(variant) if o["kind"] != "CustomResourceDefinition"]
        (folder / f"{variant}.yaml").write_text(yaml.safe_dump_all(objects, sort_keys=False))
    return run_checkov(folder)


@pytest.mark.slow
def test_checkov_scanned_every_variant(checkov_report: dict) -> None:
    summary = checkov_report["summary"]
    assert summary["parsing_errors"] == 0
    assert summary["resource_count"] >= 20 * len(VARIANTS)
    assert summary["passed"] > 500


def test_no_check_fails(checkov_report: dict) -> None:
    failed = [
        f"{c['check_id']} {c['resource']} ({Path(c['file_path']).stem}): {c['check_name']}"
        for c in checkov_report["results"]["failed_checks"]
    ]
    assert not failed, "\n".join(failed)


@pytest.mark.slow
def test_every_skipped_check_says_why(checkov_report: dict) -> None:
    skipped = checkov_report["results"]["skipped_checks"]
    assert skipped, "the chart's skips should show up as skipped checks"
    for check in skipped:
        reason = check["check_result"].get("suppress_comment", "").strip()
        assert len(reason) >= 20, f"{check['check_id']} {check['resource']}: no reason given"


@pytest.mark.parametrize("variant", VARIANTS)
def test_skip_annotations_in_the_chart_name_a_check_and_a_reason(renderer: Renderer, variant: str) -> None:
    for obj in renderer.variant(variant):
        for key, value in (obj["metadata"].get("annotations") or {}).items():
            if SKIP_ANNOTATION.match(key):
                match = SKIP_VALUE.match(value)
                assert match, f"{obj['kind']}/{obj['metadata']['name']} {key}: {value!r} is not CHECK=reason"
                assert len(match.group(2).split()) >= 5, f"{key}: the reason is too short to explain anything"


@pytest.mark.slow
def test_checkov_does_fail_a_privileged_root_pod(tmp_path: Path) -> None:
    # A control: the scan above proves something only if checkov really fails bad manifests here.
    bad = {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bad", "namespace": "cctv"},
        "spec": {"containers": [{"name": "c", "image": "busybox:latest",
                                 "securityContext": {"privileged": True, "runAsUser": 0}}]},
    }
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(bad))
    failed = {c["check_id"] for c in run_checkov(tmp_path)["results"]["failed_checks"]}
    assert {"CKV_K8S_16", "CKV_K8S_14", "CKV_K8S_28"} <= failed  # privileged, :latest tag, NET_RAW
