"""Runs the real shared detector (``python -m cctv_detector``: PyTriton's tritonserver binary on the CPU)
in its own environment, .venv-detector (scripts/detector-venv; scripts/bootstrap builds it)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from support.net import free_port

ROOT = Path(__file__).resolve().parents[2]


def detector_python() -> Path:
    """The detector environment's interpreter. Missing: skipped with the reason on a developer's machine,
    a failure in CI (scripts/test builds it there)."""
    venv = Path(os.environ.get("CCTV_DETECTOR_VENV", ROOT / ".venv-detector"))
    python = venv / "bin" / "python"
    if not python.exists():
        message = f"the detector environment {venv} is not built: run scripts/detector-venv"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return python


class DetectorProcess:
    def __init__(self, model: Path, log: Path, **env: str) -> None:
        self.http_port, self.grpc_port, self.metrics_port = free_port(), free_port(), free_port()
        self.model_name = env.get("DETECTOR_MODEL_NAME", "yolov8")
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT / "camera-worker"),
            "MODEL_PATH": str(model),
            "DETECTOR_HOST": "127.0.0.1",
            "DETECTOR_HTTP_PORT": str(self.http_port),
            "DETECTOR_GRPC_PORT": str(self.grpc_port),
            "DETECTOR_METRICS_PORT": str(self.metrics_port),
            "INFERENCE_THREADS": "1",
            **env,
        }
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"grpc://127.0.0.1:{self.grpc_port}"

    # What the detector's Python runs; a bench may start it through its own launcher.
    launcher: tuple[str, ...] = ("-m", "cctv_detector")

    def start(self, timeout: float = 120) -> DetectorProcess:
        out = self.log.open("ab")
        # Its own session: killing its group ends tritonserver and the Python stub too, as a pod's end does.
        self.proc = subprocess.Popen(
            [str(detector_python()), *self.launcher],
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while self.get(self.http_port, f"/v2/models/{self.model_name}/ready")[0] != 200:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"the detector did not become ready:\n{self.output()[-4000:]}")
            time.sleep(0.3)
        return self

    def get(self, port: int, path: str, data: bytes | None = None) -> tuple[int, str]:
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data)
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
        except OSError:
            return 0, ""

    def samples(self) -> list:
        status, text = self.get(self.metrics_port, "/metrics")
        assert status == 200, text
        return [s for family in text_string_to_metric_families(text) for s in family.samples]

    def value(self, name: str, **labels: str) -> float:
        return sum(
            s.value
            for s in self.samples()
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL to the whole process group: the service, tritonserver and the Python backend stub."""
        assert self.proc is not None
        children = _children_of(self.proc.pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        for pid in children:  # any that left the group
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(30)
        self.kill()  # whatever is left of the group


def _children_of(pid: int) -> list[int]:
    """Descendants of ``pid`` still alive (from /proc), deepest first."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: list[int] = []
    frontier = [pid]
    while frontier:
        current = frontier.pop()
        kids = [child for child, parent in parents.items() if parent == current]
        found.extend(kids)
        frontier.extend(kids)
    return list(reversed(found))
