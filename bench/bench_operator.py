"""Operator benchmark: 500 newly active cameras -> 500 Camera resources + Deployments, then the cost
of a steady-state sync (goal: zero writes).

Runs the real operator (kopf + the `kubernetes` client) against the kmock-based API emulator of
the tests (tests/support/kmock_cluster.py) over loopback HTTP, with the backend's
/api/active-cameras/ served by the tests' HTTP double. The emulator is a single Python process,
so absolute times say more about it than about a real API server; request counts are exact.

    .venv/bin/python bench/bench_operator.py [--cameras 500]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for path in (REPO / "operator", REPO / "tests", REPO / "tests" / "operator"):
    sys.path.insert(0, str(path))

import kmock  # noqa: E402
import kopf  # noqa: E402
from kubernetes.config import kube_config  # noqa: E402
from operator_backend import TOKEN, BackendDouble  # noqa: E402
from prometheus_client import CollectorRegistry  # noqa: E402

from cctv_operator.cli import run_options  # noqa: E402
from cctv_operator.config import load_settings  # noqa: E402
from cctv_operator.handlers.registry import build_registry, new_identity  # noqa: E402
from cctv_operator.kube.api import KubeApi  # noqa: E402
from cctv_operator.kube.reconciler import reconcile_camera  # noqa: E402
from cctv_operator.metrics import create_metrics  # noqa: E402
from support.kmock_cluster import KubernetesCluster, write_kubeconfig  # noqa: E402

CAMERAS = "cctv.io/v1alpha1/cameras"
DEPLOYMENTS = "apps/v1/deployments"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


async def wait_for(check, *, within: float, what: str) -> float:
    started = time.perf_counter()
    while not check():
        if time.perf_counter() - started > within:
            raise SystemExit(f"bench: timed out after {within:.0f} s waiting for {what}")
        await asyncio.sleep(0.05)
    return time.perf_counter() - started


def summarise(requests) -> str:
    by_verb = Counter(f"{r.method.value} {r.resource.plural if r.resource else r.url.path}" for r in requests)
    return ", ".join(f"{count} x {verb}" for verb, count in sorted(by_verb.items())) or "none"


async def main(count: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-operator-"))
    backend = BackendDouble()
    await backend.start()
    async with KubernetesCluster() as cluster, kmock.Server(cluster):
        cluster.declare_defaults()
        kubeconfig = write_kubeconfig(tmp / "kubeconfig", str(cluster.url).rstrip("/"))
        os.environ.update({
            "KUBECONFIG": str(kubeconfig), "DJANGO_API_URL": backend.url, "DJANGO_API_TOKEN": TOKEN,
            "POLL_INTERVAL": "1", "RECONCILE_INTERVAL": "3600", "WATCH_NAMESPACE": "default",
            "OPERATOR_METRICS_PORT": "0", "SYNC_CONCURRENCY": "16",
        })
        os.environ.pop("KUBERNETES_SERVICE_HOST", None)
        kube_config.KUBE_CONFIG_DEFAULT_LOCATION = str(kubeconfig)
        settings = load_settings()

        # kopf on its own loop and thread (as in the tests): its shutdown cancels foreign tasks.
        memo = kopf.Memo(metrics=create_metrics(CollectorRegistry()))
        loop = asyncio.new_event_loop()
        holder: dict[str, asyncio.Task[None]] = {}

        async def operator() -> None:
            holder["task"] = asyncio.current_task()  # type: ignore[assignment]
            identity = new_identity()
            options = {k: v for k, v in run_options(settings, identity=identity).items()
                       if k != "liveness_endpoint"}
            await kopf.operator(registry=build_registry(settings, identity=identity), memo=memo, **options)

        def run() -> None:
            try:
                loop.run_until_complete(operator())
            except asyncio.CancelledError:
                pass
            finally:
                loop.close()

        thread = threading.Thread(target=run, name="kopf", daemon=True)
        thread.start()
        await wait_for(lambda: memo.get("sync_state"), within=60, what="the first sync pass")

        # --- convergence of newly active cameras ------------------------------------------------
        before = len(cluster.all_requests)
        for camera_id in range(1, count + 1):
            backend.activate(camera_id)
        started = time.perf_counter()
        await wait_for(lambda: len(cluster.live(CAMERAS)) == count, within=900, what="Camera resources")
        crs_at = time.perf_counter() - started
        await wait_for(lambda: len(cluster.live(DEPLOYMENTS)) == count, within=900, what="Deployments")
        deployments_at = time.perf_counter() - started
        await wait_for(lambda: all(c.get("status") for c in cluster.live(CAMERAS).values()),
                       within=900, what="Camera statuses")
        statuses_at = time.perf_counter() - started
        converge_requests = cluster.all_requests[before:]

        # --- steady state: whole sync passes with nothing to change -------------------------------
        def last_pass() -> str:
            return (memo.get("sync_state") or {}).get("last_pass", "")

        quiet_from = len(cluster.all_requests)
        await asyncio.sleep(2)  # let kopf's own follow-ups (events of our writes) settle
        mark = last_pass()
        await wait_for(lambda: last_pass() != mark, within=60, what="a sync pass")
        mark, first = last_pass(), len(cluster.all_requests)
        passes = 3
        for _ in range(passes):
            await wait_for(lambda m=mark: last_pass() != m, within=60, what="a sync pass")
            mark = last_pass()
        steady = cluster.all_requests[first:]
        settle = cluster.all_requests[quiet_from:first]

        # --- a full drift-correction pass over every Camera (what the timer does) ------------------
        kube = KubeApi.connect(pool_size=16)
        drift_from = len(cluster.all_requests)
        drift_started = time.perf_counter()
        cameras = list(cluster.live(CAMERAS).values())
        limit = asyncio.Semaphore(16)

        async def one(camera):
            async with limit:
                await reconcile_camera(camera, kube=kube, settings=settings)

        await asyncio.gather(*(one(camera) for camera in cameras))
        drift_seconds = time.perf_counter() - drift_started
        drift = cluster.all_requests[drift_from:]
        kube.close()

        holder["task"].get_loop().call_soon_threadsafe(holder["task"].cancel)
        await asyncio.to_thread(thread.join, 30)
    await backend.stop()

    print(f"operator benchmark: {count} newly active cameras, one watched namespace,"
          " kmock emulator in the same process, loopback HTTP")
    print(f"  time to {count} Camera resources:          {crs_at:7.2f} s")
    print(f"  time to {count} Deployments:               {deployments_at:7.2f} s")
    print(f"  time to {count} Camera statuses written:   {statuses_at:7.2f} s")
    print(f"  API requests while converging:      {len(converge_requests)} "
          f"({sum(r.method.value in WRITES for r in converge_requests)} writes)")
    print(f"    {summarise(converge_requests)}")
    steady_writes = sum(r.method.value in WRITES for r in steady)
    print(f"  steady state, per sync pass ({passes} passes): "
          f"{len(steady) / passes:.1f} API requests, {steady_writes / passes:.1f} writes")
    print(f"    {summarise(steady)}")
    print(f"  requests after convergence before measuring (2 s settle): {len(settle)} "
          f"({sum(r.method.value in WRITES for r in settle)} writes)")
    print(f"    {summarise(settle)}")
    print(f"  full drift pass over {len(cameras)} Cameras: {len(drift)} requests "
          f"({sum(r.method.value in WRITES for r in drift)} writes) in {drift_seconds:.2f} s")
    print(f"    {summarise(drift)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=500)
    asyncio.run(main(parser.parse_args().cameras))
