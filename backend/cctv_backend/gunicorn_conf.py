"""gunicorn settings for production:
``gunicorn -c python:cctv_backend.gunicorn_conf cctv_backend.asgi:application``.

The workers are uvicorn's (``cctv_backend.server.Worker``): an event loop per process, so a slow client
costs a socket, not a thread. Values come from the environment (GUNICORN_BIND, GUNICORN_WORKERS,
GUNICORN_TIMEOUT, GUNICORN_KEEPALIVE, GUNICORN_WORKER_CONNECTIONS, GUNICORN_CONTROL_SOCKET; the request
head deadline GUNICORN_HEADER_TIMEOUT is read by the worker); command-line flags still override them.
With PROMETHEUS_MULTIPROC_DIR set, the directory is emptied at start and a dead worker's live gauges are
dropped, so /metrics adds up the workers correctly.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from cctv_backend.env import env_int, env_str

bind = env_str("GUNICORN_BIND", "0.0.0.0:8000")
workers = env_int("GUNICORN_WORKERS", 2, minimum=1, maximum=64)
worker_class = "cctv_backend.server.Worker"
timeout = env_int("GUNICORN_TIMEOUT", 30, minimum=5)
# Seconds an idle kept-alive connection stays open.
keepalive = env_int("GUNICORN_KEEPALIVE", 5, minimum=1, maximum=300)
# Connections one worker keeps open at once; past it requests answer 503 (uvicorn's limit_concurrency).
worker_connections = env_int("GUNICORN_WORKER_CONNECTIONS", 1000, minimum=10, maximum=100_000)
graceful_timeout = 10
# gunicorn itself would take X-Forwarded-Proto from any client on 127.0.0.1 (its default) and call the
# request HTTPS; Django decides that instead, only with a proxy configured (NUM_PROXIES, settings.security).
secure_scheme_headers: dict[str, str] = {}
forwarded_allow_ips = ""
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
