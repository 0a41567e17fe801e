"""Runs the real ``cctv-worker`` (``python -m cctv_worker``) as a subprocess and reads its HTTP port."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

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
