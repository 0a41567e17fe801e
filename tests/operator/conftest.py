"""Fixtures of the operator's tests: the emulated cluster, the backend double, a running operator.

(No __init__.py here on purpose: a package named `operator` would shadow the standard library.)
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kopf
import pytest
import pytest_asyncio
from operator_backend import TOKEN, BackendDouble
from prometheus_client import CollectorRegistry

from cctv_operator.cli import run_options
from cctv_operator.config import OperatorSettings, load_settings
from cctv_operator.handlers.registry import build_registry, new_identity
from cctv_operator.kube.api import KubeApi
from cctv_operator.metrics import OperatorMetrics, create_metrics
from support.kmock_cluster import KubernetesCluster, kube_cluster, kubeconfig  # noqa: F401 - fixtures

NAMESPACE = "default"


async def eventually(check: Callable[[], Any], *, within: float = 15.0, what: str = "condition") -> Any:
    """Poll `check` until it returns something truthy (or stops raising AssertionError)."""
    deadline = time.monotonic() + within
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except (AssertionError, KeyError) as exc:
            last = exc
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}") from last


@pytest_asyncio.fixture()
async def backend() -> AsyncIterator[BackendDouble]:
    double = BackendDouble()
    await double.start()
    yield double
    await double.stop()


@pytest.fixture()
def operator_env(
    backend: BackendDouble, kubeconfig: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> dict[str, str]:
    """The operator's environment for tests: fast polling, short timeouts, free ports."""
    env = {
        "DJANGO_API_URL": backend.url,
        "DJANGO_API_TOKEN": TOKEN,
        "DJANGO_API_TIMEOUT": "0.5",
        "POLL_INTERVAL": "0.1",
        "SYNC_MAX_BACKOFF": "0.3",
        "RECONCILE_INTERVAL": "0.5",
        "WATCH_NAMESPACE": NAMESPACE,
        "WORKER_IMAGE": "registry.example/cctv-worker:1.0",
        "WORKER_DJANGO_API_URL": "http://cctv-backend.cctv.svc:8000",
        "OPERATOR_METRICS_PORT": "0",
        "OPERATOR_HEALTH_PORT": "0",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture()
def settings(operator_env: dict[str, str]) -> OperatorSettings:
    return load_settings()


@pytest.fixture()
def metrics() -> OperatorMetrics:
    return create_metrics(CollectorRegistry())


@pytest_asyncio.fixture()
async def kube(kubeconfig: Path) -> AsyncIterator[KubeApi]:  # noqa: F811
    api = KubeApi.connect()
    yield api
    api.close()


@dataclass
class RunningOperator:
    memo: kopf.Memo
    metrics: OperatorMetrics
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread
    task: asyncio.Task[None] | None = None
    error: BaseException | None = None

    def sample(self, name: str, **labels: str) -> float:
        value = self.metrics.registry.get_sample_value(name, labels or None)
        return value or 0.0


@pytest_asyncio.fixture()
async def running_operator(
    settings: OperatorSettings, metrics: OperatorMetrics, kube_cluster: KubernetesCluster  # noqa: F811
) -> AsyncIterator[RunningOperator]:
    """kopf with the operator's handlers, watching one namespace, as `cctv-operator` runs it.

    kopf runs on its own event loop in a thread: when stopped, it cancels every task of its loop
    that it did not start, which on the test's loop would include pytest's own tasks. It reaches
    the emulator and the backend double over HTTP, like a real operator.
    """
    memo = kopf.Memo(metrics=metrics)
    identity = new_identity()
    loop = asyncio.new_event_loop()
    running = RunningOperator(memo=memo, metrics=metrics, loop=loop, thread=threading.Thread())

    async def main() -> None:
        running.task = asyncio.current_task()
        # The CLI's own mapping of settings to kopf's options (one watched namespace, as the chart
        # runs it), minus the liveness endpoint (a fixed port) and peering (not emulated).
        options = run_options(settings, identity=identity)
        options.pop("liveness_endpoint")
        await kopf.operator(registry=build_registry(settings, identity=identity), memo=memo, **options)

    def run() -> None:
        try:
            loop.run_until_complete(main())
        except asyncio.CancelledError:
            pass
        except BaseException as exc:
            running.error = exc
        finally:
            loop.close()

    running.thread = threading.Thread(target=run, name="kopf", daemon=True)
    running.thread.start()
    await eventually(lambda: memo.get("sync_task") is not None or not running.thread.is_alive(),
                     what="operator start-up")
    if running.error is not None:
        raise running.error
    yield running
    # Stop kopf by cancelling its task (its stop flag would wait seconds for a graceful exit).
    if running.task is not None and not loop.is_closed():
        loop.call_soon_threadsafe(running.task.cancel)
    await asyncio.to_thread(running.thread.join, 20)
    assert not running.thread.is_alive(), "kopf did not stop"
