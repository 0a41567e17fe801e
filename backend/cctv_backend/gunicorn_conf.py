"""gunicorn settings for production: ``gunicorn -c python:cctv_backend.gunicorn_conf cctv_backend.wsgi``.

Values come from the environment (GUNICORN_BIND, GUNICORN_WORKERS, GUNICORN_THREADS, GUNICORN_TIMEOUT,
GUNICORN_CONTROL_SOCKET); command-line flags still override them. With PROMETHEUS_MULTIPROC_DIR set, the
directory is emptied at start and a dead worker's live gauges are dropped, so /metrics adds up the workers
correctly.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from cctv_backend.env import env_int, env_str

bind = env_str("GUNICORN_BIND", "0.0.0.0:8000")
workers = env_int("GUNICORN_WORKERS", 2, minimum=1, maximum=64)
threads = env_int("GUNICORN_THREADS", 4, minimum=1, maximum=64)
timeout = env_int("GUNICORN_TIMEOUT", 30, minimum=5)
graceful_timeout = 10
accesslog = "-"
# Probes and scrapes every few seconds would drown the access log.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
# gunicorn's control socket (for `gunicornc`) defaults to $HOME/.gunicorn/gunicorn.ctl: on Kubernetes HOME is
# "/" and the root filesystem read-only, so it logged "Control server error: Read-only file system" at every
# start; and every gunicorn of one user would share that path. Kubernetes manages the process, so the
# socket is off unless GUNICORN_CONTROL_SOCKET names a writable path for it.
control_socket_path = env_str("GUNICORN_CONTROL_SOCKET", "")
if control_socket_path:
    control_socket = control_socket_path
else:
    control_socket_disable = True


def on_starting(server) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
