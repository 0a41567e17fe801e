"""Reconcile one Camera resource to its Deployment and status: read, compare, write only if needed.

Level-based and idempotent: it looks at the Camera, its Secret and the live Deployment each time,
so a deleted or hand-edited Deployment is put back, and an unchanged Camera costs reads only.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from cctv_operator.config import OperatorSettings
from cctv_operator.detectors import UnknownDetector
from cctv_operator.kube import builders, naming, worker_probe
from cctv_operator.kube.api import CAMERAS, DEPLOYMENTS, PODS, SECRETS, Conflict, KubeApi, KubeError
from cctv_operator.kube.camera_spec import CameraSpec, InvalidSpec, parse_camera_spec
from cctv_operator.kube.drift import deployment_drifted
from cctv_operator.kube.status import (
    Condition,
    Outcome,
    camera_status,
    detector_from_reports,
    outcome_from_deployment,
    status_differs,
    with_stream_error,
)
from cctv_operator.metrics import OperatorMetrics

logger = logging.getLogger(__name__)


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


async def reconcile_camera(
    camera: Mapping[str, Any],
    *,
    kube: KubeApi,
    settings: OperatorSettings,
    metrics: OperatorMetrics | None = None,
    now: Callable[[], datetime.datetime] = _utcnow,
) -> Outcome:
    """Bring the Camera's Deployment and status in line with its spec; return what was found."""
    started = time.perf_counter()
    try:
        outcome = await _reconcile_children(camera, kube=kube, settings=settings)
        meta = camera["metadata"]
        status = camera_status(
            outcome, generation=meta.get("generation"), previous=camera.get("status"), now=now()
        )
        if status_differs(camera.get("status"), status):
            await kube.patch(
                CAMERAS, meta["namespace"], meta["name"], {"status": status}, subresource="status"
            )
        return outcome
    finally:
        if metrics is not None:
            metrics.reconcile_duration_seconds.observe(time.perf_counter() - started)


async def _reconcile_children(
    camera: Mapping[str, Any], *, kube: KubeApi, settings: OperatorSettings
) -> Outcome:
    meta = camera["metadata"]
    namespace = meta["namespace"]
    try:
        spec = parse_camera_spec(camera.get("spec"))
    except InvalidSpec as exc:
        # No children for a spec we cannot understand. A Deployment from an earlier, valid spec is
        # left running on purpose: a typo in a Camera should not take the camera offline.
        logger.warning("Camera %s/%s has an invalid spec: %s", namespace, meta["name"], exc)
        return Outcome(False, "InvalidSpec", str(exc), "Unknown")
    try:
        detector_url = builders.worker_detector_url(spec, settings)
    except UnknownDetector as exc:
        # Like an invalid spec: nothing is started or changed, and the Camera says why.
        logger.warning("Camera %s/%s: %s", namespace, meta["name"], exc)
        unknown = Condition("False", "UnknownDetector", str(exc))
        return Outcome(False, "UnknownDetector", str(exc), "Unknown", detector=unknown)

    secret = await kube.get(SECRETS, namespace, spec.secret_ref.name)
    if secret is None:
        return Outcome(False, "SecretNotFound", f"Secret {spec.secret_ref.name!r} does not exist", "Unknown")
    data = secret.get("data") or {}
    missing = {naming.SECRET_RTSP_URL_KEY, naming.SECRET_INGEST_TOKEN_KEY} - set(data)
    if missing:
        return Outcome(
            False,
            "InvalidSecret",
            f"Secret {spec.secret_ref.name!r} lacks the keys {sorted(missing)}",
            "Unknown",
        )

    wanted = builders.deployment_body(owner=camera, spec=spec, settings=settings)
    # Live settings reach a running worker from the backend: a change of only those rolls nothing.
    live_settings = builders.reads_live_settings(camera)
    digest = builders.with_config_hash(wanted, camera["spec"], data, live_settings=live_settings)
    name = wanted["metadata"]["name"]

    live = await kube.get(DEPLOYMENTS, namespace, name)
    if live is None:
        try:
            live = await kube.create(DEPLOYMENTS, wanted)
            logger.info("created Deployment %s/%s", namespace, name)
        except Conflict:  # created meanwhile (another handler of the same Camera): compare with it
            live = await kube.get(DEPLOYMENTS, namespace, name) or {}
    if not _owned_by(live, meta.get("uid")):
        return Outcome(
            False,
            "DeploymentConflict",
            f"Deployment {name!r} exists and belongs to something else",
            "Unknown",
            name,
            digest,
        )
    compared = (live, wanted)
    if live_settings:
        compared = (builders.restart_view(live), builders.restart_view(wanted))
    if deployment_drifted(*compared):
        live = await kube.patch(DEPLOYMENTS, namespace, name, _replacing_patch(wanted))
        logger.info("updated Deployment %s/%s (config hash %s)", namespace, name, digest)
    outcome = outcome_from_deployment(live, paused=spec.paused, config_hash=digest)
    # The worker pods' /readyz: the detector's state, and why a worker that is not ready cannot read
    # its stream (issue 19: "Stream down" with no cause).
    reports: list[Mapping[str, Any] | str] | str = []
    if not spec.paused and (detector_url or not outcome.ready):
        reports = await _worker_reports(kube, namespace, spec, settings)
    if not isinstance(reports, str):
        outcome = with_stream_error(outcome, reports)
    if not detector_url:  # in-process: no DetectorReady
        return dataclasses.replace(outcome, in_process=True)
    detector = _detector_condition(spec, detector_url, reports)
    return dataclasses.replace(outcome, detector=detector)


async def _worker_reports(
    kube: KubeApi, namespace: str, spec: CameraSpec, settings: OperatorSettings
) -> list[Mapping[str, Any] | str] | str:
    """Each running worker pod's /readyz body (or why it could not be read); a str: the pods could not
    be listed."""
    selector = f"app.kubernetes.io/name=cctv-worker,{naming.CAMERA_ID_LABEL}={spec.camera_id}"
    try:
        pods = await kube.list(PODS, namespace, label_selector=selector)
    except KubeError as exc:
        # E.g. an older Role without pods: the worker and its Ready condition are unaffected.
        return f"cannot list the worker's pods ({exc})"
    return list(await worker_probe.read_reports(pods, wait_seconds=settings.worker_probe_timeout))


def _detector_condition(
    spec: CameraSpec, url: str, reports: list[Mapping[str, Any] | str] | str
) -> Condition:
    """DetectorReady of a worker that calls a shared detector: its state is in the worker's /readyz."""
    if spec.paused:
        return Condition("Unknown", "Paused", "spec.paused is true: no worker calls the detector")
    if isinstance(reports, str):
        return Condition("Unknown", "WorkerNotReporting", reports)
    return detector_from_reports(reports, url=url)


def _owned_by(deployment: Mapping[str, Any], uid: str | None) -> bool:
    refs = (deployment.get("metadata") or {}).get("ownerReferences") or []
    return any(ref.get("uid") == uid and ref.get("controller") for ref in refs)


def _replacing_patch(wanted: Mapping[str, Any]) -> dict[str, Any]:
    """A merge patch that also removes the optional pod fields we no longer set."""
    patch = {
        "metadata": {k: wanted["metadata"][k] for k in ("labels", "ownerReferences")},
        "spec": dict(wanted["spec"]),
    }
    template = dict(patch["spec"]["template"])
    pod = dict(template["spec"])
    for optional in ("nodeSelector", "tolerations"):
        pod.setdefault(optional, None)
    template["spec"] = pod
    patch["spec"]["template"] = template
    return patch
