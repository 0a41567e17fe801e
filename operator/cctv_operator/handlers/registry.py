"""The kopf handlers: thin adapters from kopf's events to the sync loop and the reconciler.

`build_registry(settings)` returns a registry with every handler bound to those settings, so that
tests and the CLI build the operator the same way and nothing is registered at import time.
Dependencies (API client, backend client, metrics) are built once in the startup handler and kept
in kopf's `memo`.
"""

from __future__ import annotations

import asyncio
import collections
import datetime
import logging
import os
import secrets
import socket
from typing import Any

import kopf
from aiohttp import web
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from cctv_operator.config import OperatorSettings
from cctv_operator.handlers.peering import may_act
from cctv_operator.kube import naming
from cctv_operator.kube.api import CAMERAS, CLUSTER_PEERINGS, PEERINGS, KubeApi
from cctv_operator.kube.reconciler import reconcile_camera
from cctv_operator.kube.status import DETECTOR_READY
from cctv_operator.metrics import OperatorMetrics, create_metrics
from cctv_operator.runtimes.kubernetes import KubernetesRuntime
from cctv_operator.sync.backend import BackendClient
from cctv_operator.sync.loop import SyncFailed, SyncReport, sync_forever

CAMERA = (naming.GROUP, naming.VERSION, naming.PLURAL)
MANAGED = {naming.MANAGED_BY_LABEL: naming.MANAGED_BY}
#: Ready=False reasons that need a person (not merely a pod starting or a camera paused).
PROBLEMS = frozenset(
    {"InvalidSpec", "SecretNotFound", "InvalidSecret", "DeploymentConflict", "UnknownDetector"}
)


def new_identity() -> str:
    """This replica's id among kopf peers (pod name in a cluster, as kopf itself would use)."""
    host = os.environ.get("POD_NAME") or socket.gethostname()
    return f"cctv-operator@{host}/{os.getpid()}/{secrets.token_hex(3)}"


def configure_kopf(settings: kopf.OperatorSettings, *, clusterwide: bool) -> None:
    """kopf's own settings, set once at startup."""
    # Handler successes would be one Kubernetes Event per Camera: post only warnings and errors.
    settings.posting.level = logging.WARNING
    settings.persistence.finalizer = "cctv.io/operator"
    # One namespace: no need to watch namespaces (the namespaced Role cannot anyway).
    settings.scanning.disabled = not clusterwide
    # A Camera keeps its finalizer until its drift timer has stopped. A timer caught mid-reconcile by
    # the deletion does not stop within kopf's few "instant exit" loop cycles, and kopf then looks
    # again only after `cancellation_polling` (60 s by default): the Camera, its Secret and its
    # Deployment outlived the deactivation by up to a minute (seen as a 15 s test timing out under
    # load). Wait briefly for the reconcile in flight, then look again every second.
    settings.background.instant_exit_timeout = 0.1
    settings.background.cancellation_polling = 1.0


def build_registry(settings: OperatorSettings, *, identity: str) -> kopf.OperatorRegistry:
    registry = kopf.OperatorRegistry()

    @kopf.on.login(registry=registry)
    def login(**kwargs: Any) -> kopf.ConnectionInfo | None:
        return kopf.login_via_client(**kwargs)

    @kopf.on.startup(registry=registry)
    async def start(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
        configure_kopf(settings, clusterwide=operator_settings.clusterwide)
        await _start_services(memo, operator_settings, identity)

    @kopf.on.cleanup(registry=registry)
    async def stop(memo: kopf.Memo, **_: Any) -> None:
        await _stop_services(memo)

    @kopf.on.probe(id="sync", registry=registry)
    def sync_probe(memo: kopf.Memo, **_: Any) -> dict[str, Any]:
        return dict(memo.get("sync_state") or {})

    @kopf.on.resume(*CAMERA, registry=registry)
    @kopf.on.create(*CAMERA, registry=registry)
    @kopf.on.update(*CAMERA, registry=registry)
    async def camera_changed(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
        await _reconcile(memo, body)

    # Drift correction: a Deployment edited while the operator was away is put back within an interval.
    @kopf.timer(
        *CAMERA,
        interval=settings.reconcile_interval,
        initial_delay=settings.reconcile_interval,
        registry=registry,
    )
    async def camera_drift(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
        await _reconcile(memo, body)

    # A managed Deployment deleted, edited or becoming ready: reconcile its Camera right away.
    @kopf.on.event("apps", "v1", "deployments", labels=MANAGED, registry=registry)
    async def deployment_event(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
        owner = next(
            (
                ref
                for ref in body.metadata.get("ownerReferences") or []
                if ref.get("kind") == naming.KIND and ref.get("controller")
            ),
            None,
        )
        namespace = body.metadata.namespace
        if owner is None or namespace is None:  # a Deployment is namespaced; None only for typing
            return
        kube: KubeApi = memo.kube
        camera = await kube.get(CAMERAS, namespace, owner["name"])
        if camera is None or camera["metadata"].get("uid") != owner.get("uid"):
            return  # the owner is gone: garbage collection takes the Deployment
        if camera["metadata"].get("deletionTimestamp"):
            return
        await _reconcile(memo, camera)

    operator_settings = settings
    return registry


async def _reconcile(memo: kopf.Memo, camera: Any) -> None:
    meta = camera["metadata"]
    # One reconcile per Camera at a time (its own handlers and its Deployment's events interleave).
    async with memo.locks[(meta["namespace"], meta["name"])]:
        fresh = await memo.kube.get(CAMERAS, meta["namespace"], meta["name"])
        if fresh is None or fresh["metadata"].get("deletionTimestamp"):
            return
        before = _ready_reason(fresh)
        detector_before = _ready_reason(fresh, DETECTOR_READY)
        outcome = await reconcile_camera(fresh, kube=memo.kube, settings=memo.settings, metrics=memo.metrics)
        # A problem becomes a Kubernetes Event (kubectl describe) once, when it appears.
        if outcome.reason in PROBLEMS and outcome.reason != before:
            kopf.warn(fresh, reason=outcome.reason, message=outcome.message)
        detector = outcome.detector
        if (
            detector is not None
            and detector.status == "False"
            and detector.reason != detector_before
            and detector.reason != outcome.reason  # already told as the Ready problem
        ):
            kopf.warn(fresh, reason=f"Detector{detector.reason}", message=detector.message)


def _ready_reason(camera: Any, kind: str = "Ready") -> str | None:
    for condition in (camera.get("status") or {}).get("conditions") or []:
        if condition.get("type") == kind:
            reason = condition.get("reason")
            return None if reason is None else str(reason)
    return None


def _peering_gate(memo: kopf.Memo, settings: OperatorSettings, identity: str) -> Any:
    """May this replica sync now? None (always) without peering; else kopf's rule on its object."""
    if not settings.operator_peering_name:
        return None
    kind = CLUSTER_PEERINGS if settings.clusterwide else PEERINGS

    async def gate() -> bool:
        peering = await memo.kube.get(kind, settings.watch_namespace, settings.operator_peering_name)
        allowed = peering is not None and may_act(
            peering.get("status") or {},
            identity=identity,
            priority=settings.operator_priority,
            now=datetime.datetime.now(datetime.UTC),
        )
        memo.sync_state = {**(memo.get("sync_state") or {}), "standby": not allowed}
        return allowed

    return gate


async def _start_services(memo: kopf.Memo, settings: OperatorSettings, identity: str) -> None:
    memo.settings = settings
    memo.locks = collections.defaultdict(asyncio.Lock)
    if memo.get("metrics") is None:
        memo.metrics = create_metrics(REGISTRY)
    if memo.get("kube") is None:
        memo.kube = KubeApi.connect(pool_size=settings.sync_concurrency + 8)
    memo.backend = BackendClient(
        str(settings.django_api_url),
        settings.django_api_token.get_secret_value(),
        timeout=settings.django_api_timeout,
    )
    memo.sync_state = {}
    memo.metrics_runner = await _serve_metrics(memo.metrics, settings.operator_metrics_port)

    def record(outcome: SyncReport | SyncFailed) -> None:
        memo.sync_state = {
            "last_pass": datetime.datetime.now(datetime.UTC).isoformat(),
            "ok": isinstance(outcome, SyncReport),
            "reason": getattr(outcome, "reason", None),
            "standby": False,
        }

    memo.sync_task = asyncio.create_task(
        sync_forever(
            memo.backend,
            KubernetesRuntime(memo.kube, settings.target_namespace),
            interval=settings.poll_interval,
            max_backoff=settings.sync_max_backoff,
            concurrency=settings.sync_concurrency,
            metrics=memo.metrics,
            on_pass=record,
            gate=_peering_gate(memo, settings, identity),
        ),
        name="cctv-operator sync",
    )


async def _stop_services(memo: kopf.Memo) -> None:
    task: asyncio.Task[None] | None = memo.get("sync_task")
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    if memo.get("backend") is not None:
        await memo.backend.close()
    if memo.get("metrics_runner") is not None:
        await memo.metrics_runner.cleanup()


async def _serve_metrics(metrics: OperatorMetrics, port: int) -> web.AppRunner:
    async def render(_: web.Request) -> web.Response:
        body = generate_latest(metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/metrics", render)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host="0.0.0.0", port=port)  # noqa: S104 - scraped from other pods
    await site.start()
    return runner
