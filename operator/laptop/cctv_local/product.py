"""``cctv-local``: the whole product on one machine, no cluster, no configuration.

Starts, in order: the backend (migrated SQLite, a demo user, gunicorn), a demo RTSP camera looping
real footage, and the operator's sync driving the local runtime (one worker process per active
camera). Ctrl-C (or SIGTERM) stops everything it started, in reverse order, and leaves no process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import shutil
import signal
import socket
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import requests

import cctv_worker
from cctv_common.network_policy import LAN_AND_LOOPBACK_NETWORKS
from cctv_local import setup
from cctv_local.model import worker_model_env
from cctv_local.object_store import ObjectStore
from cctv_local.options import LocalOptions, parse_options
from cctv_operator.runtimes.local.processes import start_process, stop_process
from cctv_operator.runtimes.local.runtime import LocalRuntime
from cctv_operator.sync.backend import BackendClient
from cctv_operator.sync.loop import sync_forever

log = logging.getLogger("cctv.local")

RTSP_SERVER_SCRIPT = Path(__file__).with_name("rtsp_server.py")
# Where this process imports cctv_worker from; the shared detector (cctv_detector) is its sibling package.
WORKER_SOURCE = Path(cctv_worker.__file__).resolve().parents[1]
SYSTEM_PYTHON = "/usr/bin/python3"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _kept_secret(path: Path, length: int) -> str:
    """A random secret made once per data dir and kept, so that it survives restarts."""
    if not path.exists():
        # Created owner-only in one step: never readable by others, not even between write and chmod.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(length))
    return path.read_text().strip()


LOCAL_NOTIFY_NETWORKS = "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7,fe80::/10"


def backend_environment(options: LocalOptions) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": options.database_url,
        # Kept: sessions and camera ingest tokens stay valid across restarts.
        "SECRET_KEY": _kept_secret(options.data_dir / "secret_key", 50),
        **_camera_network_env(),
        "DEBUG": "0",
        "STATIC_MANIFEST": "0",  # serve static files from the apps: no collectstatic step
        "MEDIA_ROOT": str(options.data_dir / "media"),
        "ALLOWED_HOSTS": f"localhost,127.0.0.1,{options.host}",
        "CSRF_TRUSTED_ORIGINS": f"http://localhost:{options.port},http://127.0.0.1:{options.port},"
        f"http://{options.host}:{options.port}",
        "PYTHONUNBUFFERED": "1",
        # Notifications: on the user's own network the broker and the home-automation box are private
        # addresses, so loopback and the private ranges are allowed (the chart allows none).
        "NOTIFY_ALLOWED_NETWORKS": os.environ.get("NOTIFY_ALLOWED_NETWORKS", LOCAL_NOTIFY_NETWORKS),
        # The delivery process's /metrics: on loopback (the LAN has no business scraping it), on a port
        # free now (the banner prints it), unless the user names one.
        "NOTIFY_METRICS_HOST": os.environ.get("NOTIFY_METRICS_HOST", "127.0.0.1"),
        "NOTIFY_METRICS_PORT": os.environ.get("NOTIFY_METRICS_PORT") or str(free_port()),
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", f"http://{options.host}:{options.port}"),
    }


def gunicorn_environment(env: Mapping[str, str], options: LocalOptions) -> dict[str, str]:
    """The backend server's environment: its two gunicorn workers share one view of the metrics (as in
    the chart), or each scrape would read the counters of whichever worker answered, as resets.

    Only the server gets the directory: gunicorn's config empties it at start, and the management
    commands (migrate, the delivery process) keep their own metrics."""
    return {**env, "PROMETHEUS_MULTIPROC_DIR": str(options.data_dir / "prometheus")}


async def _wait_ready(url: str, process: asyncio.subprocess.Process, *, within: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        if process.returncode is not None:
            raise RuntimeError(f"the backend exited with code {process.returncode} while starting")
        with contextlib.suppress(requests.RequestException):
            answer = await asyncio.to_thread(requests.get, f"{url}/readyz", timeout=2)
            if answer.status_code == 200:
                return
        await asyncio.sleep(0.3)
    raise RuntimeError(f"the backend did not become ready at {url} within {within:.0f} s")


async def _start_demo_stream(options: LocalOptions) -> tuple[asyncio.subprocess.Process | None, str | None]:
    """A local RTSP server looping the demo footage, and its URL; no demo camera without GStreamer.

    (Cameras are RTSP URLs in the backend, so a bare file cannot stand in for the demo camera.)"""
    if options.demo_cameras == 0:
        return None, None
    if options.demo_footage is None:
        log.warning(
            "no demo footage found (install Debian's opencv-doc or pass --demo-footage): no demo camera"
        )
        return None, None
    if not shutil.which(SYSTEM_PYTHON):
        log.warning("no system Python (%s) for the GStreamer RTSP server: no demo camera", SYSTEM_PYTHON)
        return None, None
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        SYSTEM_PYTHON,
        str(RTSP_SERVER_SCRIPT),
        "--port",
        str(port),
        "--path",
        "/demo",
        "--source",
        str(options.demo_footage),
        "--loop",
        "--shared",  # one encoder however many demo cameras watch it
        "--fps",
        "15",
        "--size",
        "768x576",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        line = await asyncio.wait_for(process.stdout.readline(), timeout=15)
    except TimeoutError:
        line = b""
    if not line.startswith(b"READY "):
        await stop_process(process, grace=2)
        log.warning(
            "the GStreamer RTSP server did not start (Debian packages gir1.2-gst-rtsp-server-1.0 and "
            "gstreamer1.0-plugins-*; scripts/bootstrap --system installs them): no demo camera"
        )
        return None, None
    return process, line.decode().split()[1]


# Abuse hardening (issue 15): owner-only files, camera URLs limited to the LAN, metrics on loopback.
# Everything this product and its children create (database, tokens, spools, logs) is for this user only.
OWNER_ONLY_UMASK = 0o077


def _owner_only_data_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)  # a data dir made by an older version was 0755


def _camera_network_env() -> dict[str, str]:
    """A laptop's cameras are on its LAN (or a local file / RTSP server): nothing else is allowed."""
    return {
        "CAMERA_ALLOWED_NETWORKS": os.environ.get("CAMERA_ALLOWED_NETWORKS", LAN_AND_LOOPBACK_NETWORKS),
        "CAMERA_DENIED_NETWORKS": os.environ.get("CAMERA_DENIED_NETWORKS", ""),
    }


LOCAL_BUCKET = "cctv-media"


def _start_object_store(options: LocalOptions) -> ObjectStore:
    """SeaweedFS on loopback with its data in the data dir (kept across restarts, as the media are)."""
    store = ObjectStore(
        options.data_dir / "s3",
        access_key="cctv-local",
        secret_key=_kept_secret(options.data_dir / "s3_secret_key", 30),
    )
    store.start()
    store.ensure_bucket(LOCAL_BUCKET)
    log.info("media store: S3 at %s, bucket %s (log %s)", store.endpoint, LOCAL_BUCKET, store.log_path)
    return store


def object_store_environment(store: ObjectStore, options: LocalOptions) -> dict[str, str]:
    return {
        "MEDIA_STORE": "s3",
        "MEDIA_S3_ENDPOINT_URL": store.endpoint,
        "MEDIA_S3_BUCKET": LOCAL_BUCKET,
        "MEDIA_S3_PATH_STYLE": "1",
        "MEDIA_S3_ACCESS_KEY_ID": store.access_key,
        "MEDIA_S3_SECRET_ACCESS_KEY": store.secret_key,
        # The store listens on loopback: a browser on another machine cannot follow a redirect there.
        "MEDIA_SERVE_MODE": "redirect" if options.host in ("127.0.0.1", "localhost") else "proxy",
    }


async def run(options: LocalOptions, *, stop: asyncio.Event) -> None:
    os.umask(OWNER_ONLY_UMASK)
    _owner_only_data_dir(options.data_dir)
    store = await asyncio.to_thread(_start_object_store, options) if options.s3 else None
    try:
        await _run(options, stop=stop, store=store)
    finally:
        if store is not None:
            await asyncio.to_thread(store.stop)


async def _run(options: LocalOptions, *, stop: asyncio.Event, store: ObjectStore | None) -> None:
    env = backend_environment(options)
    if store is not None:
        env.update(object_store_environment(store, options))
    url = f"http://{options.host}:{options.port}"
    manage = [sys.executable, str(options.backend_dir / "manage.py")]

    log.info("preparing the database (%s)", setup.describe_database(options.database_url))
    await setup.run_checked([*manage, "migrate", "--noinput"], env=env, what="database migration")
    demo = await setup.create_demo_user(
        manage, env=env, password=_kept_secret(options.data_dir / "demo_password", 12)
    )
    # The admin login the banner prints: a superuser of its own (the demo user and its printed token
    # stay an ordinary user's); its password is kept in the data dir like the demo user's.
    admin = await setup.create_demo_user(
        manage,
        env=env,
        username="admin",
        superuser=True,
        password=_kept_secret(options.data_dir / "admin_password", 12),
    )
    operator_token = await setup.create_operator_token(manage, env=env)

    rtsp_process, demo_url = await _start_demo_stream(options)
    backend = await start_process(
        [
            sys.executable,
            "-m",
            "gunicorn",
            # The production server config: uvicorn workers, so slow clients cannot starve the backend
            # (cctv_backend.server); its control socket is off unless GUNICORN_CONTROL_SOCKET names one.
            "--config",
            "python:cctv_backend.gunicorn_conf",
            "cctv_backend.asgi:application",
            "--bind",
            f"{options.host}:{options.port}",
            "--workers",
            "2",
            "--timeout",
            "60",
        ],
        env=gunicorn_environment(env, options),
        cwd=options.backend_dir,
        log_path=options.data_dir / "logs" / "backend.log",
    )
    # The delivery process sends the notifications the backend queues (webhooks, MQTT, e-mail).
    notifier = await start_process(
        [*manage, "deliver_notifications"],
        env=env,
        cwd=options.backend_dir,
        log_path=options.data_dir / "logs" / "notifications.log",
    )
    # The export job makes the MP4 exports users ask for (exports.jobs), from the same media store.
    exporter = await start_process(
        [*manage, "run_exports"],
        env=env,
        cwd=options.backend_dir,
        log_path=options.data_dir / "logs" / "exports.log",
    )
    model_env = await asyncio.to_thread(
        worker_model_env, options.model_path, models_dir=options.data_dir / "models"
    )
    detector = None
    if options.shared_detector:
        detector, detector_env = await _start_shared_detector(options, model_env)
        model_env = {**model_env, **detector_env}
    runtime = LocalRuntime(
        api_url=url,
        data_dir=options.data_dir / "workers",
        base_env={**_worker_base_env(), **model_env},
    )
    tasks: list[asyncio.Task] = []
    backend_client: BackendClient | None = None
    try:
        await _wait_ready(url, backend)
        cameras = await setup.ensure_cameras(
            url,
            demo.token,
            demo_url=demo_url,
            demo_count=options.demo_cameras,
            camera_urls=options.camera_urls,
            confidence=options.confidence_threshold,
        )
        tasks.append(asyncio.create_task(runtime.supervise(), name="supervise-workers"))
        # The operator's own sync loop (same parsing, plan, backoff and safety rules), local runtime.
        backend_client = BackendClient(url, operator_token, timeout=10.0)
        sync = sync_forever(
            backend_client, runtime, interval=options.poll_interval, max_backoff=60.0, concurrency=4
        )
        tasks.append(asyncio.create_task(sync, name="sync"))
        _print_banner(
            url,
            demo,
            admin,
            cameras,
            options,
            delivery_metrics=f"http://{env['NOTIFY_METRICS_HOST']}:{env['NOTIFY_METRICS_PORT']}/metrics",
            worker_metrics_port=runtime.metrics_port_for,
        )
        await stop.wait()
    finally:
        log.info("stopping: workers, exports, notifications, backend, demo stream")
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await runtime.close()
        if backend_client is not None:
            await backend_client.close()
        await stop_process(exporter, grace=10)
        await stop_process(notifier, grace=10)
        await stop_process(backend, grace=10)
        if detector is not None:
            await stop_process(detector, grace=15)
        if rtsp_process is not None:
            await stop_process(rtsp_process, grace=5)


async def _start_shared_detector(
    options: LocalOptions, model_env: Mapping[str, str]
) -> tuple[asyncio.subprocess.Process, dict[str, str]]:
    """One ``cctv-detector`` for every local worker; workers keep MODEL_PATH as their fallback."""
    # The checkout's detector environment (scripts/detector-venv) unless CCTV_DETECTOR_VENV names one.
    venv = Path(os.environ.get("CCTV_DETECTOR_VENV", options.backend_dir.parent / ".venv-detector"))
    python = venv / "bin" / "python"
    if not python.exists():
        raise RuntimeError(f"--shared-detector: {venv} is not built; run scripts/detector-venv")
    http, grpc, metrics = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(WORKER_SOURCE),
        "MODEL_PATH": model_env.get("MODEL_PATH", options.model_path),
        "DETECTOR_HOST": "127.0.0.1",
        "DETECTOR_HTTP_PORT": str(http),
        "DETECTOR_GRPC_PORT": str(grpc),
        "DETECTOR_METRICS_PORT": str(metrics),
    }
    process = await start_process(
        [str(python), "-m", "cctv_detector"], env=env, log_path=options.data_dir / "logs" / "detector.log"
    )
    ready = f"http://127.0.0.1:{http}/v2/health/ready"
    for _ in range(600):  # up to ~2 minutes: Triton and the model load
        if process.returncode is not None:
            raise RuntimeError(f"the shared detector exited ({process.returncode}); see logs/detector.log")
        try:
            if (await asyncio.to_thread(requests.get, ready, timeout=2)).ok:
                break
        except requests.RequestException:
            pass
        await asyncio.sleep(0.2)
    log.info("shared detector ready: gRPC 127.0.0.1:%d, metrics http://127.0.0.1:%d/metrics", grpc, metrics)
    return process, {"DETECTOR_URL": f"grpc://127.0.0.1:{grpc}"}


def _worker_base_env() -> Mapping[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "CAMERA_"))}
    # Metrics on loopback only: the laptop's LAN has no business scraping (or probing) its workers.
    env.update({"LOG_FORMAT": "text", "METRICS_PORT": "0", "METRICS_HOST": "127.0.0.1"})
    env["PYTHONUNBUFFERED"] = "1"
    env.update(_camera_network_env())
    return env


def _print_banner(
    url: str,
    demo: setup.DemoUser,
    admin: setup.DemoUser,
    cameras: list[dict],
    options: LocalOptions,
    *,
    delivery_metrics: str,
    worker_metrics_port: Callable[[int], int | None],
) -> None:
    width = shutil.get_terminal_size((80, 20)).columns
    line = "=" * min(width, 78)
    print(line)
    print("CCTV analytics is running.")
    print(f"  Dashboard:  {url}/dashboard/   (login: {demo.username} / {demo.password})")
    print(f"  REST API:   {url}/api/          (header: Authorization: Token {demo.token})")
    print(f"  API docs:   {url}/api/docs/")
    print(f"  Admin:      {url}/admin/        (login: {admin.username} / {admin.password})")
    print(f"  Metrics:    {url}/metrics   notifications: {delivery_metrics}")
    for camera in cameras:
        print(f"  Camera {camera['id']}: {camera['name']} ({camera['rtsp_url']})")
        port = worker_metrics_port(camera["id"])
        if port is not None:
            print(f"    worker metrics: http://127.0.0.1:{port}/metrics")
    print(f"  Data and logs: {options.data_dir}")
    # No figure here: README's quick start gives the measured one (bench/bench_local_product.py).
    print("Alerts with snapshots appear on the dashboard seconds after someone walks into view; the demo")
    print("camera's footage has people from its first frame. Ctrl-C stops everything.")
    print(line, flush=True)


def main(argv: list[str] | None = None) -> int:
    os.umask(OWNER_ONLY_UMASK)  # before anything is created
    options = parse_options(argv)
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(message)s"
    )

    async def _main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run(options, stop=stop)

    try:
        asyncio.run(_main())
    except setup.SetupError as error:
        print(f"cctv-local: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
