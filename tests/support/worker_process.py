"""Runs the real ``cctv-worker`` (``python -m cctv_worker``) as a subprocess and reads its HTTP port."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from support.net import free_port


class WorkerProcess:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = int(env.setdefault("METRICS_PORT", str(free_port())))
        env.setdefault("METRICS_HOST", "127.0.0.1")
        self.env = {**os.environ, **env}
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        self._out = self.log.open("ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "cctv_worker"], env=self.env, stdout=self._out,
                                     stderr=subprocess.STDOUT)  # fmt: skip
        return self

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
        except OSError:
            return 0, ""

    def metric(self, name: str, **labels: str) -> float | None:
        status, text = self.get("/metrics")
        if status != 200:
            return None
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                    return sample.value
        return None

    def value(self, name: str, **labels: str) -> float:
        return self.metric(name, **labels) or 0.0

    def terminate(self, timeout: float = 30) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        with contextlib.suppress(AttributeError):
            self._out.close()


# Settings that make a test worker notice and recover in seconds, not minutes.
QUICK_WORKER_ENV = {
    "DETECT_FPS": "4",
    "STREAM_TIMEOUT": "5",
    "RECONNECT_DELAY": "0.5",
    "HEARTBEAT_INTERVAL": "1",
    "RETRY_MAX_DELAY": "0.5",
    "SHUTDOWN_GRACE": "5",
}


def camera_env(camera: Mapping[str, Any], rtsp_url: str, api_url: str) -> dict[str, str]:
    """Who a test's worker is and where it reads and reports: a camera as the backend's API returns it
    (``id``, ``ingest_token``), its stream and the backend's URL."""
    return {
        "CAMERA_ID": str(camera["id"]),
        "RTSP_URL": rtsp_url,
        "DJANGO_API_URL": api_url,
        "DJANGO_API_TOKEN": camera["ingest_token"],
    }


class WorkerStarter:
    """Starts real workers for a test (``make_worker`` fixtures): the camera, a backend (anything with
    ``url`` and ``token``), ``QUICK_WORKER_ENV``, the fixture's own ``base`` and the call's settings, in
    that order of precedence; ``close_all`` stops every one it started."""

    def __init__(self, tmp_path: Path, base: Mapping[str, str] | None = None) -> None:
        self.tmp_path = tmp_path
        self.base = dict(base or {})
        self.started: list[WorkerProcess] = []

    def __call__(self, source: str, backend: Any, camera: int = 1, **env: str) -> WorkerProcess:
        settings = {
            "CAMERA_ID": str(camera),
            "RTSP_URL": source,
            "DJANGO_API_URL": backend.url,
            "DJANGO_API_TOKEN": backend.token,
            "DATA_DIR": str(self.tmp_path / "data"),
            **QUICK_WORKER_ENV,
            **self.base,
            **env,
        }
        worker = WorkerProcess(settings, self.tmp_path / f"worker-{len(self.started)}.log").start()
        self.started.append(worker)
        return worker

    def close_all(self) -> None:
        for worker in self.started:
            worker.close()
