"""The server's processes (gunicorn with cctv_backend.server.Worker): a worker whose arbiter is killed
exits instead of serving on as an orphan that holds the port."""

from __future__ import annotations

import os
import signal
import time

import psutil
import pytest

from support.backend import start_backend

pytestmark = pytest.mark.slow


def test_workers_exit_when_their_arbiter_is_killed(tmp_path):
    with start_backend(tmp_path / "backend", workers=2) as backend:
        assert backend.pid is not None
        workers = psutil.Process(backend.pid).children()
        assert len(workers) == 2
        os.kill(backend.pid, signal.SIGKILL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(w.is_running() and w.status() != "zombie" for w in workers):
            time.sleep(0.2)  # polling a condition with a deadline
        left = [w.pid for w in workers if w.is_running() and w.status() != "zombie"]
    for pid in left:  # do not leave them running if the test fails
        os.kill(pid, signal.SIGKILL)
    assert left == [], "workers still running after their arbiter was killed"
