"""Container images for tests: the engine that `scripts/build-images` uses, the images it builds, and one
container run the way Kubernetes would run a rendered pod spec.

`kubernetes_flags` turns a pod spec and one of its containers (from the Helm chart or the operator's
builders) into engine flags: the user and group, a read-only root with nothing writable but the pod's
emptyDirs (fresh world-writable host folders, as the kubelet makes them, or a tmpfs for a memory-backed
one; podman's own tmpfs on /tmp, /run and /var/tmp is switched off, since Kubernetes gives no such
thing), every capability dropped, no privilege escalation, the environment with Secret references
filled from what the test hands in. So a test sees what a pod would: a path the image writes outside its
volumes fails here as in the cluster.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO_ROOT / "scripts" / "build-images"
IMAGES_TABLE = REPO_ROOT / "scripts" / "images.tsv"
TAG = os.environ.get("CCTV_IMAGE_TAG", "dev")


@dataclass(frozen=True)
class ImageSpec:
    """One line of scripts/images.tsv."""

    name: str
    dockerfile: str
    target: str
    size_mb_max: int

    @property
    def ref(self) -> str:
        return f"cctv-{self.name}:{TAG}"


def image_specs() -> list[ImageSpec]:
    lines = IMAGES_TABLE.read_text().splitlines()
    rows = (line for line in lines if line.strip() and not line.startswith("#"))
    return [ImageSpec(n, d, t, int(s)) for n, d, t, s in csv.reader(rows, delimiter="\t")]


@dataclass
class Engine:
    """docker or podman, with the environment scripts/build-images configured it with."""

    name: str
    env: dict[str, str]

    def __call__(
        self, *args: str, timeout: float = 120, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [self.name, *args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            command = " ".join([self.name, *args[:3]])
            raise RuntimeError(f"{command}... failed ({result.returncode}):\n{result.stderr}")
        return result


def find_engine() -> tuple[Engine | None, str]:
    """The engine the build script would use, or None and why none can run here."""
    if not (shutil.which("docker") or shutil.which("podman") or shutil.which("apt-get")):
        return None, "neither docker nor podman is installed, and apt-get cannot install podman"
    argv = [str(BUILD_SCRIPT), "--env"]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=900, check=False)
    if result.returncode != 0:
        return None, f"scripts/build-images --env failed: {result.stderr.strip()[-500:]}"
    env = dict(os.environ)
    for line in result.stdout.splitlines():
        key, _, value = line.partition("=")
        env[key] = value
    engine = Engine(env["CCTV_ENGINE"], env)
    probe = engine("info", timeout=120, check=False)
    if probe.returncode != 0:
        return None, f"{engine.name} cannot run here: {probe.stderr.strip()[-300:]}"
    return engine, ""


def build_images(engine: Engine, names: list[str], env: Mapping[str, str]) -> str:
    """Runs scripts/build-images (cached layers make a repeat cheap) and returns its summary."""
    result = subprocess.run(
        [str(BUILD_SCRIPT), *names], env={**engine.env, **env}, capture_output=True, text=True,
        timeout=3600, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"scripts/build-images {' '.join(names)} failed:\n{result.stderr[-4000:]}")
    return result.stderr


# ---- a Kubernetes container spec as engine flags ---------------------------------------------------------

_VAR_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def kubernetes_flags(
    pod_spec: Mapping[str, Any],
    container: Mapping[str, Any],
    *,
    secrets_data: Mapping[str, Mapping[str, str]] = (),  # type: ignore[assignment]
    env_overrides: Mapping[str, str] = (),  # type: ignore[assignment]
    scratch: Path,
) -> tuple[list[str], list[str]]:
    """(flags before the image, arguments after it) for running `container` as a pod would.

    `secrets_data`: {secret name: {key: value}} for secretKeyRef variables. `env_overrides` replace or add
    variables after Kubernetes-style $(VAR) expansion (for what only a cluster provides, e.g. addresses).
    """
    context = {**pod_spec.get("securityContext", {}), **container.get("securityContext", {})}
    flags: list[str] = []
    if "runAsUser" in context:
        flags += ["--user", f"{context['runAsUser']}:{context.get('runAsGroup', context['runAsUser'])}"]
    if "fsGroup" in pod_spec.get("securityContext", {}):
        flags += ["--group-add", str(pod_spec["securityContext"]["fsGroup"])]
    if context.get("readOnlyRootFilesystem"):
        flags += ["--read-only", "--read-only-tmpfs=false"]
    if context.get("privileged"):
        flags += ["--privileged"]
    for capability in context.get("capabilities", {}).get("drop", []):
        flags += ["--cap-drop", capability]
    for capability in context.get("capabilities", {}).get("add", []):
        flags += ["--cap-add", capability]
    if context.get("allowPrivilegeEscalation") is False:
        flags += ["--security-opt", "no-new-privileges"]
    volumes = {volume["name"]: volume for volume in pod_spec.get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        volume = volumes[mount["name"]]
        if "projected" in volume or "secret" in volume:
            host_dir = _secret_files(volume, secrets_data, pod_spec.get("securityContext", {}), scratch)
            flags += ["--volume", f"{host_dir}:{mount['mountPath']}:ro"]
            continue
        if not ({"emptyDir", "persistentVolumeClaim"} & volume.keys()):
            raise AssertionError(f"volume {volume} has no stand-in here")
        # As the kubelet makes an emptyDir: a new, empty, world-writable host directory bound into the
        # container (a claim gets one too: there is no storage class here). Not podman's --tmpfs: runc gives
        # a tmpfs the mode of the image's directory it covers, which no Kubernetes volume does.
        empty_dir = volume.get("emptyDir") or {}
        if empty_dir.get("medium") == "Memory":
            # A memory-backed emptyDir is a tmpfs, mode 0777, its size the sizeLimit (as the kubelet mounts
            # it); the mode is given explicitly, so the image's directory under it does not matter.
            tmpfs = f"type=tmpfs,destination={mount['mountPath']},tmpfs-mode=0777"
            if "sizeLimit" in empty_dir:
                tmpfs += f",tmpfs-size={quantity_bytes(str(empty_dir['sizeLimit']))}"
            flags += ["--mount", tmpfs]
            continue
        host_dir = Path(tempfile.mkdtemp(prefix=f"{mount['name']}-", dir=scratch))
        host_dir.chmod(0o777)
        flags += ["--volume", f"{host_dir}:{mount['mountPath']}:rw"]
    env: dict[str, str] = {}
    for item in container.get("env", []):
        if "value" in item:
            value = _VAR_REF.sub(lambda m: env.get(m.group(1), m.group(0)), str(item["value"]))
        elif "secretKeyRef" in item.get("valueFrom", {}):
            ref = item["valueFrom"]["secretKeyRef"]
            if ref.get("optional") and ref["key"] not in secrets_data.get(ref["name"], {}):
                continue  # as the kubelet does: an optional key that is absent leaves the variable unset
            value = secrets_data[ref["name"]][ref["key"]]
        elif item.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "status.podIP":
            value = "127.0.0.1"
        else:
            raise AssertionError(f"no value for {item}")
        env[item["name"]] = value
    env.update(env_overrides)
    for key, value in env.items():
        flags += ["--env", f"{key}={value}"]
    after: list[str] = []
    if "command" in container:
        flags += ["--entrypoint", json.dumps(container["command"])]
    after += [str(arg) for arg in container.get("args", [])]
    return flags, after


def _secret_files(
    volume: Mapping[str, Any],
    secrets_data: Mapping[str, Mapping[str, str]],
    pod_security: Mapping[str, Any],
    scratch: Path,
) -> Path:
    """A Secret volume (or a projected volume of Secrets) as the kubelet writes it: one file per item, of
    the volume's defaultMode, group-owned by the pod's fsGroup (so that only the pod's group reads it)."""
    if "secret" in volume:
        sources, mode = [{"secret": volume["secret"]}], volume["secret"].get("defaultMode", 0o644)
    else:
        sources, mode = volume["projected"]["sources"], volume["projected"].get("defaultMode", 0o644)
    host_dir = Path(tempfile.mkdtemp(prefix=f"{volume['name']}-", dir=scratch))
    host_dir.chmod(0o755)
    for source in sources:
        if "secret" not in source:
            raise AssertionError(f"projected source {source} has no stand-in here")
        secret = source["secret"]
        data = secrets_data[secret.get("secretName", secret.get("name"))]
        for item in secret.get("items") or [{"key": key, "path": key} for key in data]:
            path = host_dir / item["path"]
            path.write_text(data[item["key"]])
            if "fsGroup" in pod_security:
                os.chown(path, os.getuid(), int(pod_security["fsGroup"]))
            path.chmod(item.get("mode", mode))
    return host_dir


_QUANTITY = re.compile(r"^(\d+)(Ki|Mi|Gi|Ti|k|M|G|T)?$")
_QUANTITY_UNITS = {None: 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
                   "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}  # fmt: skip


def quantity_bytes(quantity: str) -> int:
    """A Kubernetes quantity of bytes ("64Mi", "1Gi", "500M") as a number."""
    match = _QUANTITY.match(quantity)
    if not match:
        raise AssertionError(f"quantity {quantity!r}: not a whole number of bytes with a unit")
    return int(match[1]) * _QUANTITY_UNITS[match[2]]


@dataclass
class Container:
    engine: Engine
    name: str
    log_lines: list[str] = field(default_factory=list)

    def logs(self) -> str:
        result = self.engine("logs", self.name, check=False)
        return result.stdout + result.stderr

    def exec(self, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return self.engine("exec", self.name, *argv, timeout=timeout, check=False)

    def running(self) -> bool:
        state = self.engine("inspect", "--format", "{{.State.Running}}", self.name, check=False)
        return state.stdout.strip() == "true"

    def run_healthcheck(self) -> subprocess.CompletedProcess[str]:
        """The image's own HEALTHCHECK command, run in the container (the engine's timers need systemd)."""
        image = self.engine("inspect", "--format", "{{.ImageName}}", self.name).stdout.strip()
        found = self.engine("image", "inspect", "--format", "{{json .Config.Healthcheck}}", image).stdout
        check = json.loads(found or "null")
        assert check and check.get("Test"), f"{image} has no HEALTHCHECK (built without --format docker?)"
        kind, *argv = check["Test"]
        if kind == "CMD-SHELL":
            argv = ["/bin/sh", "-c", *argv]
        return self.exec(*argv, timeout=30)

    def process_status(self) -> dict[str, str]:
        """/proc/1/status of the container's main process, as the kernel sees it."""
        text = self.exec("cat", "/proc/1/status").stdout
        return dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)


@contextlib.contextmanager
def run_container(
    engine: Engine,
    image: str,
    flags: list[str],
    after: list[str],
    *,
    network: str = "host",
    prefix: str = "cctv",
) -> Iterator[Container]:
    """Starts a detached container (no health check timers: there is no systemd here; tests probe the
    endpoints themselves) and removes it on exit."""
    name = f"{prefix}-{secrets.token_hex(4)}"
    engine("run", "--detach", "--name", name, "--no-healthcheck", "--network", network, *flags, image, *after)
    container = Container(engine, name)
    try:
        yield container
    finally:
        container.log_lines = container.logs().splitlines()
        removed = engine("rm", "--force", "--time", "5", name, check=False, timeout=60)
        # Seen once on the loaded 2-core machine: the container exited, yet stayed behind. Once more, and
        # say so if it is still there (a leak would pile up across CI runs).
        if removed.returncode != 0 and engine("rm", "--force", name, check=False, timeout=60).returncode != 0:
            warnings.warn(f"container {name} could not be removed: {removed.stderr.strip()}", stacklevel=2)


def run_once(
    engine: Engine,
    image: str,
    flags: list[str],
    after: list[str],
    *,
    network: str = "host",
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Runs a container to its end (a Job), removed afterwards."""
    return engine(
        "run",
        "--rm",
        "--no-healthcheck",
        "--network",
        network,
        *flags,
        image,
        *after,
        timeout=timeout,
        check=False,
    )


def wait_until(check, *, within: float, what: str, every: float = 0.25):
    """Polls `check` until it returns something truthy (a condition with a deadline, not a timed sleep)."""
    deadline = time.monotonic() + within
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
        except Exception as error:
            last = error
        else:
            if value:
                return value
        time.sleep(every)
    raise TimeoutError(f"{what} not within {within} s (last error: {last!r})")
