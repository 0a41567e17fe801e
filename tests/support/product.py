"""``cctv-local`` (what ``scripts/run`` runs) as a subprocess: for the end-to-end tests and the benchmark."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import requests

from support.net import free_port

REPO = Path(__file__).resolve().parents[2]
_BANNER_TOKEN = re.compile(r"Authorization: Token (\w+)")


def wait_for(condition: Callable[[], object], *, within: float, what: str, every: float = 0.5) -> object:
    """Polls ``condition`` until it returns something truthy, which is returned."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"timed out after {within:.0f} s waiting for {what}")


class RunningProduct:
    def __init__(self, process: subprocess.Popen, url: str, log_path: Path) -> None:
        self.process = process
        self.url = url
        self.log_path = log_path
        self.token = ""

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Token {self.token}"}
        return requests.request(method, f"{self.url}{path}", headers=headers, timeout=10, **kwargs)

    def worker_pids(self) -> dict[int, int]:
        """camera id -> pid of its worker process (direct children of the product with CAMERA_ID set;
        a worker's own helper processes inherit its environment and are not workers)."""
        workers = {}
        for child in psutil.Process(self.process.pid).children(recursive=False):
            try:
                if "cctv_worker" not in " ".join(child.cmdline()):
                    continue
                camera_id = child.environ().get("CAMERA_ID")
            except psutil.Error:
                continue
            if camera_id:
                workers[int(camera_id)] = child.pid
        return workers


@contextlib.contextmanager
def start_product(scratch: Path, *args: str, ready_within: float = 120.0) -> Iterator[RunningProduct]:
    """Starts ``python -m cctv_local`` on a free port with its data under ``scratch``, waits for
    its banner (backend ready, demo user made), and on exit stops it with Ctrl-C as a user would; any
    process it left behind is killed so that a failed test never leaks one."""
    port = free_port()
    log_path = scratch / "product.log"
    env = {
        **os.environ,
        "YOLO_OFFLINE": "1",
        "YOLO_AUTOINSTALL": "False",
        "YOLO_CONFIG_DIR": str(scratch / "yolo"),
        "DATABASE_URL": "",  # the product's own SQLite, not the test run's PostgreSQL
    }
    argv = [
        sys.executable,
        "-m",
        "cctv_local",
        "--port",
        str(port),
        "--data-dir",
        str(scratch / "data"),
    ]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [*argv, *args],
            cwd=REPO,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    product = RunningProduct(process, f"http://127.0.0.1:{port}", log_path)
    try:
        banner = wait_for(
            lambda: _BANNER_TOKEN.search(product.log()) or process.poll() is not None,
            within=ready_within,
            what="the product's banner",
        )
        if process.poll() is not None:
            raise AssertionError(f"the product exited early:\n{product.log()[-3000:]}")
        product.token = banner.group(1)
        yield product
    finally:
        descendants = []
        with contextlib.suppress(psutil.NoSuchProcess):
            descendants = psutil.Process(process.pid).children(recursive=True)
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                raise
        for leftover in descendants:
            if leftover.is_running():
                leftover.kill()
