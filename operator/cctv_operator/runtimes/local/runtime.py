"""The local runtime: one ``cctv-worker`` process per active camera, on this machine, no cluster.

It is the second implementation (beside the Kubernetes one) of the runtime interface that the sync
drives: ``apply`` makes a camera's worker run with the camera's current config, ``remove`` stops it,
``list_managed`` says what runs. A supervisor task restarts workers that die, with backoff.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import socket
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cctv_operator.models import DesiredCamera
from cctv_operator.runtimes.local.processes import start_process, stop_process
from cctv_operator.runtimes.local.restart_policy import RestartPolicy
from cctv_operator.worker_env import restart_environment, worker_environment

log = logging.getLogger(__name__)


@dataclass
class _Worker:
    camera: DesiredCamera
    env: dict[str, str]
    process: asyncio.subprocess.Process | None = None
    started_at: float = 0.0
    failures: int = 0
    next_start_at: float = 0.0


def _fingerprint(env: Mapping[str, str]) -> str:
    return hashlib.sha256(json.dumps(dict(env), sort_keys=True).encode()).hexdigest()


class LocalRuntime:
    """Runs and supervises worker processes. Not thread-safe: use from one event loop."""

    def __init__(
        self,
        *,
        api_url: str,
        data_dir: Path,
        worker_argv: list[str] | None = None,
        base_env: Mapping[str, str] | None = None,
        policy: RestartPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        stop_grace: float = 20.0,
    ) -> None:
        self._api_url = api_url
        self._data_dir = data_dir
        self._argv = worker_argv or [sys.executable, "-m", "cctv_worker"]
        self._base_env = dict(base_env or {})
        self._policy = policy or RestartPolicy()
        self._clock = clock
        self._stop_grace = stop_grace
        self._workers: dict[int, _Worker] = {}
        self._metrics_ports: dict[int, int] = {}

    # -- the runtime interface the sync drives ------------------------------------------------------

    async def list_managed(self) -> dict[int, DesiredCamera]:
        return {camera_id: worker.camera for camera_id, worker in self._workers.items()}

    async def apply(self, camera: DesiredCamera) -> None:
        camera_id = camera.id
        env = self.environment_for(camera)
        current = self._workers.get(camera_id)
        if current is not None and _fingerprint(restart_environment(current.env)) == _fingerprint(
            restart_environment(env)
        ):
            # Same stream, model and detector: the running worker reads its live settings from the backend
            # (SETTINGS_INTERVAL); the new values are kept for its next start.
            if current.env != env:
                log.info("camera %s: live settings changed; its worker applies them, no restart", camera_id)
            current.camera = camera
            current.env = env
            return
        if current is not None:
            log.info("camera %s: config changed, restarting its worker (open events handed over)", camera_id)
            await self._stop(current)
        worker = _Worker(camera=camera, env=env)
        self._workers[camera_id] = worker
        await self._start(camera_id, worker)

    async def remove(self, camera_id: int) -> None:
        worker = self._workers.pop(int(camera_id), None)
        if worker is not None:
            log.info("camera %s: stopping its worker", camera_id)
            await self._stop(worker)

    def environment_for(self, camera: DesiredCamera) -> dict[str, str]:
        """The environment this camera's worker process starts with."""
        env = {
            **self._base_env,
            **worker_environment(
                camera_id=camera.id,
                detection=camera.detection,
                api_url=self._api_url,
                rtsp_url=camera.rtsp_url,
                ingest_token=camera.ingest_token,
                detect_rtsp_url=camera.detect_rtsp_url,
            ),
        }
        env.setdefault("DATA_DIR", str(self._data_dir / f"camera-{camera.id}"))
        port = self.metrics_port_for(camera.id)
        if port is not None:
            env["METRICS_PORT"] = str(port)
        return env

    def metrics_port_for(self, camera_id: int) -> int | None:
        """The camera's worker metrics port when this runtime picks them (a base ``METRICS_PORT`` of 0):
        a free one, kept in the camera's data dir and reused while free, so that a scrape config and the
        banner stay right across worker and product restarts. None: the base environment decides."""
        if self._base_env.get("METRICS_PORT") != "0":
            return None
        if camera_id in self._metrics_ports:
            return self._metrics_ports[camera_id]
        host = self._base_env.get("METRICS_HOST", "127.0.0.1")
        path = self._data_dir / f"camera-{camera_id}" / "metrics_port"
        try:
            port: int | None = int(path.read_text())
        except (OSError, ValueError):
            port = None
        if port is None or not _is_free(host, port):
            port = _free_port(host)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(str(port))
        self._metrics_ports[camera_id] = port
        return port

    # -- supervision --------------------------------------------------------------------------------

    def pid_of(self, camera_id: int) -> int | None:
        worker = self._workers.get(camera_id)
        if worker is None or worker.process is None or worker.process.returncode is not None:
            return None
        return worker.process.pid

    async def supervise_once(self) -> None:
        """Notices dead workers and restarts those whose backoff has passed."""
        now = self._clock()
        for camera_id, worker in list(self._workers.items()):
            process = worker.process
            if process is not None and process.returncode is None:
                continue
            if process is not None:
                ran_for = now - worker.started_at
                worker.failures = self._policy.failures_after_exit(worker.failures, ran_for)
                worker.next_start_at = now + self._policy.delay(worker.failures)
                worker.process = None
                log.warning(
                    "camera %s: worker exited with %s after %.0f s; restarting in %.0f s",
                    camera_id,
                    process.returncode,
                    ran_for,
                    worker.next_start_at - now,
                )
            if now >= worker.next_start_at and self._workers.get(camera_id) is worker:
                await self._start(camera_id, worker)

    async def supervise(self, interval: float = 0.5) -> None:
        while True:
            await self.supervise_once()
            await asyncio.sleep(interval)

    async def close(self) -> None:
        workers = list(self._workers.values())
        self._workers.clear()
        await asyncio.gather(*(self._stop(worker) for worker in workers))

    # -- processes ----------------------------------------------------------------------------------

    async def _start(self, camera_id: int, worker: _Worker) -> None:
        log_path = self._data_dir / "logs" / f"camera-{camera_id}.log"
        worker.process = await start_process(self._argv, env=worker.env, log_path=log_path)
        worker.started_at = self._clock()
        metrics = worker.env.get("METRICS_PORT", "")
        log.info(
            "camera %s: worker started (pid %s, log %s%s)",
            camera_id,
            worker.process.pid,
            log_path,
            f", metrics http://{worker.env.get('METRICS_HOST', '127.0.0.1')}:{metrics}/metrics"
            if metrics not in ("", "0")
            else "",
        )

    async def _stop(self, worker: _Worker) -> None:
        if worker.process is not None:
            await stop_process(worker.process, grace=self._stop_grace)


def _is_free(host: str, port: int) -> bool:
    """Whether the worker could listen on ``port`` now. Checked as its server binds (SO_REUSEADDR, as
    every HTTP server of the standard library does): without it a connection of the previous worker
    still in TIME_WAIT called the port taken, and the camera's port changed at a restart."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
