"""A real backend for tests of other components: migrated database, real server process, tokens.

    with start_backend(tmp_path) as backend:
        camera = backend.create_camera("Door", "rtsp://127.0.0.1:8554/door")
        ... run a worker with DJANGO_API_URL=backend.url, DJANGO_API_TOKEN=camera["ingest_token"] ...
        assert backend.alerts(camera["id"])

The server is ``gunicorn`` with the production config (uvicorn workers serving the ASGI application;
``server="runserver"`` for Django's) on a free loopback port, with SQLite under ``tmp_path`` unless a
``database_url`` is given. ``backend.stop_server()`` / ``backend.start_server()`` stop the server process and
start it again on the same port, database and media root (a backend outage). Nothing is left running on exit.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests

from support.net import free_port

REPO = Path(__file__).resolve().parents[2]
BACKEND_DIR = REPO / "backend"
PYTHON = sys.executable
DEMO_USER = "demo"
DEMO_PASSWORD = "demo-password-for-tests"


@dataclass
class RunningBackend:
    url: str
    user_token: str
    operator_token: str
    media_root: Path
    username: str = DEMO_USER
    password: str = DEMO_PASSWORD
    env: dict[str, str] = field(default_factory=dict, repr=False)
    log_path: Path | None = None
    pid: int | None = None  # the server's main process (gunicorn's arbiter)
    process: subprocess.Popen | None = field(default=None, repr=False)
    argv: list[str] = field(default_factory=list, repr=False)

    def stop_server(self) -> None:
        """Stops the server process (SIGTERM, gunicorn's graceful stop) and waits until it has exited: the
        port refuses connections from then on, as a backend that went down would."""
        if self.process is not None:
            stop_process(self.process)

    def start_server(self) -> None:
        """Starts the server again on the same port, database and media root (after ``stop_server``), and
        waits until it is ready. Its output is appended to the same log."""
        assert self.process is None or self.process.poll() is not None, "the server is still running"
        assert self.log_path is not None and self.argv
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                self.argv, cwd=BACKEND_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        self.pid = self.process.pid
        wait_ready(self.url, self.process, log_path=self.log_path)

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Token {token or self.user_token}"}

    def request(self, method: str, path: str, *, token: str | None = None, **kwargs) -> requests.Response:
        """An HTTP request to the backend as the demo user (or with ``token``)."""
        headers = {**self.headers(token), **kwargs.pop("headers", {})}
        timeout = kwargs.pop("timeout", 30)
        return requests.request(method, f"{self.url}{path}", headers=headers, timeout=timeout, **kwargs)

    def create_camera(self, name: str, rtsp_url: str, active: bool = True, **config) -> dict:
        """A camera of the demo user, created through the REST API; the dict includes ``ingest_token``."""
        response = self.request("POST", "/api/cameras/", json={"name": name, "rtsp_url": rtsp_url, **config})
        response.raise_for_status()
        camera = response.json()
        if active:
            self.request("POST", f"/api/cameras/{camera['id']}/activate/").raise_for_status()
            camera["is_active"] = True
        return camera

    def alerts(self, camera_id: int | None = None) -> list[dict]:
        """Every alert of the demo user (all pages), newest first."""
        params = {"page_size": 500, **({"camera": camera_id} if camera_id is not None else {})}
        response = self.request("GET", "/api/alerts/", params=params)
        results: list[dict] = []
        while True:
            response.raise_for_status()
            page = response.json()
            results.extend(page["results"])
            if not page.get("next"):
                return results
            response = requests.get(page["next"], headers=self.headers(), timeout=30)

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``manage.py`` with the server's settings (same database and media root)."""
        return _manage(*args, env=self.env)


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [PYTHON, str(BACKEND_DIR / "manage.py"), *args],
        cwd=BACKEND_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def backend_env(tmp_path: Path, *, database_url: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a test backend: its own database, media root and secret key."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "PYTEST_CURRENT_TEST", "PROMETHEUS_MULTIPROC_DIR"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="cctv_backend.settings",
        DATABASE_URL=database_url or f"sqlite:///{tmp_path / 'backend.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "media"),
        STATIC_ROOT=str(tmp_path / "static"),
        SECRET_KEY=secrets.token_urlsafe(50),
        DEBUG="0",
        STATIC_MANIFEST="0",
        SERVE_MEDIA="1",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def wait_ready(
    url: str, process: subprocess.Popen, *, timeout: float = 60.0, log_path: Path | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = log_path.read_text() if log_path and log_path.exists() else ""
            raise RuntimeError(f"backend exited with {process.returncode} before it was ready:\n{log}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        time.sleep(0.1)  # polling a condition with a deadline, not timing
    raise TimeoutError(f"backend at {url} not ready within {timeout} s")


def stop_process(process: subprocess.Popen, *, timeout: float = 10.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


def server_argv(port: int, *, server: str = "gunicorn", workers: int = 1) -> list[str]:
    if server == "runserver":
        return [PYTHON, str(BACKEND_DIR / "manage.py"), "runserver", "--noreload", f"127.0.0.1:{port}"]
    return [
        PYTHON, "-m", "gunicorn", "cctv_backend.asgi:application",
        "--config", "python:cctv_backend.gunicorn_conf",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--chdir", str(BACKEND_DIR), "--graceful-timeout", "5", "--log-level", "warning",
    ]  # fmt: skip


@contextlib.contextmanager
def start_backend(
    tmp_path: Path,
    *,
    database_url: str | None = None,
    port: int | None = None,
    server: str = "gunicorn",
    workers: int = 1,
    threads: int = 8,
    env: dict[str, str] | None = None,
) -> Iterator[RunningBackend]:
    """Migrate, create the demo user and the operator's token, run the server, and stop it on exit."""
    tmp_path = Path(tmp_path)
    tmp_path.mkdir(parents=True, exist_ok=True)
    # ``threads``: requests of a worker running Django code at once (each in a thread of its own).
    environment = backend_env(
        tmp_path, database_url=database_url, **{"REQUEST_CONCURRENCY": str(threads), **(env or {})}
    )
    if environment.get("PROMETHEUS_MULTIPROC_DIR"):
        Path(environment["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)
    _manage("migrate", "--noinput", "-v0", env=environment)
    demo_args = ("create_demo", "--username", DEMO_USER, "--password", DEMO_PASSWORD, "--json")
    created = _manage(*demo_args, env=environment)
    demo = json.loads(created.stdout.strip().splitlines()[-1])
    operator_token = _manage("create_operator_token", env=environment).stdout.strip().splitlines()[-1]
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "backend.log"
    argv = server_argv(port, server=server, workers=workers)
    with log_path.open("w") as log:
        process = subprocess.Popen(
            argv, cwd=BACKEND_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT
        )
    backend = RunningBackend(
        url=url,
        user_token=demo["token"],
        operator_token=operator_token,
        media_root=Path(environment["MEDIA_ROOT"]),
        env=environment,
        log_path=log_path,
        pid=process.pid,
        process=process,
        argv=argv,
    )
    try:
        wait_ready(url, process, log_path=log_path)
        yield backend
    finally:
        # The one running now: a test may have stopped and started the server again (``start_server``).
        stop_process(backend.process or process)


@contextlib.contextmanager
def server_database(prefix: str = "cctv_server") -> Iterator[str | None]:
    """The database URL for a backend process on the suite's database kind: a scratch PostgreSQL database
    when ``DATABASE_URL`` names PostgreSQL, else None (``start_backend`` then uses SQLite under tmp_path)."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        with scratch_postgres_database(url, prefix=prefix) as scratch:
            yield scratch
    else:
        yield None


def add_user(backend: RunningBackend, username: str, password: str = DEMO_PASSWORD) -> str:
    """Another user (with ``password``) on a running backend; returns the user's API token."""
    created = backend.manage("create_demo", "--username", username, "--password", password, "--json")
    return json.loads(created.stdout.strip().splitlines()[-1])["token"]


@contextlib.contextmanager
def scratch_postgres_database(server_url: str, *, prefix: str = "cctv_scratch") -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of ``server_url`` (a postgres:// URL); dropped on exit.

    Yields its URL. For tests that run a backend process on PostgreSQL next to pytest-django's own test
    database.
    """
    import psycopg2
    from psycopg2 import sql
    from psycopg2.extensions import parse_dsn

    name = f"{prefix}_{secrets.token_hex(4)}"
    dsn = parse_dsn(server_url.replace("postgres://", "postgresql://", 1))
    dsn["dbname"] = "postgres"
    admin = psycopg2.connect(**dsn)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        base, _, _ = server_url.rpartition("/")
        yield f"{base}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.close()
