"""Pure builders of the objects the operator writes: Camera, Secret and Deployment bodies.

Also the inverse (Camera + Secret -> DesiredCamera) so that the sync can tell "unchanged" from
what is in the cluster without remembering anything itself.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from pydantic.alias_generators import to_camel

from cctv_operator.config import OperatorSettings
from cctv_operator.detectors import detector_url
from cctv_operator.kube import naming
from cctv_operator.kube.camera_spec import CameraSpec, detection_from_spec, detection_to_spec
from cctv_operator.models import DesiredCamera
from cctv_operator.worker_env import (
    DETECT_RTSP_URL,
    INGEST_TOKEN,
    LIVE_SETTINGS,
    LIVE_VARIABLES,
    RTSP_URL,
    SECRET_VARIABLES,
    worker_environment,
)

#: Used when neither the Camera nor WORKER_RESOURCES says anything: enough for YOLOv8n on CPU.
DEFAULT_WORKER_RESOURCES: dict[str, Any] = {
    "requests": {"cpu": "500m", "memory": "512Mi"},
    "limits": {"memory": "2Gi"},
}
WORKER_UID = 10001


def managed_labels(camera_id: int) -> dict[str, str]:
    return {naming.MANAGED_BY_LABEL: naming.MANAGED_BY, naming.CAMERA_ID_LABEL: str(camera_id)}


def stable_hash(value: Any) -> str:
    """A short, order-independent digest of a JSON-able value."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- Camera + Secret (what the sync writes) -------------------------------------------------------


def secret_data(camera: DesiredCamera) -> dict[str, str]:
    """The Secret's `data` (base64), so that it compares equal to what the API server returns.
    The sub-stream key is there only when the camera has one."""
    data = {
        naming.SECRET_RTSP_URL_KEY: _b64(camera.rtsp_url),
        naming.SECRET_INGEST_TOKEN_KEY: _b64(camera.ingest_token),
    }
    if camera.detect_rtsp_url:
        data[naming.SECRET_DETECT_RTSP_URL_KEY] = _b64(camera.detect_rtsp_url)
    return data


def secret_body(camera: DesiredCamera, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": naming.child_name(camera.id),
            "namespace": namespace,
            "labels": managed_labels(camera.id),
        },
        "type": "Opaque",
        "data": secret_data(camera),
    }


def camera_spec(camera: DesiredCamera) -> dict[str, Any]:
    """The part of a Camera's spec the sync owns (hand-set modelPath/resources/paused stay)."""
    return {
        "cameraId": camera.id,
        "displayName": camera.name,
        "secretRef": {"name": naming.child_name(camera.id)},
        "detection": detection_to_spec(camera.detection),
    }


def camera_body(camera: DesiredCamera, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": naming.API_VERSION,
        "kind": naming.KIND,
        "metadata": {
            "name": naming.child_name(camera.id),
            "namespace": namespace,
            "labels": managed_labels(camera.id),
            # The Secret's content is not in the spec; this annotation makes a token or URL change
            # visible on the Camera, so that its handlers roll the pod.
            "annotations": {naming.SECRET_HASH_ANNOTATION: stable_hash(secret_data(camera))},
        },
        "spec": camera_spec(camera),
    }


def desired_from_objects(camera: Mapping[str, Any], secret: Mapping[str, Any] | None) -> DesiredCamera | None:
    """What a managed Camera + Secret pair currently describes; None if it cannot be read back."""
    if secret is None:
        return None
    spec = camera.get("spec") or {}
    data = secret.get("data") or {}
    try:
        return DesiredCamera(
            id=spec["cameraId"],
            name=spec.get("displayName", ""),
            rtsp_url=_unb64(data[naming.SECRET_RTSP_URL_KEY]),
            detect_rtsp_url=(
                _unb64(data[naming.SECRET_DETECT_RTSP_URL_KEY])
                if naming.SECRET_DETECT_RTSP_URL_KEY in data
                else None
            ),
            ingest_token=_unb64(data[naming.SECRET_INGEST_TOKEN_KEY]),
            detection=detection_from_spec(spec.get("detection") or {}),
        )
    except (KeyError, ValueError, TypeError):
        return None  # unreadable: the sync rewrites it from the backend's answer


# --- Deployment (what the reconcile writes) -------------------------------------------------------


def config_hash(spec: Mapping[str, Any], secret_data: Mapping[str, Any], pod_template: Any = None) -> str:
    """Hash of everything the pod reads, so that a change to the CR or its Secret rolls the pod.

    The rendered pod template is included too: an operator setting (image, WORKER_*) that changes
    the template changes the hash, which is how the reconcile notices it must patch.
    """
    return stable_hash({"spec": dict(spec), "secret": dict(secret_data), "pod": pod_template})


def with_config_hash(
    deployment: dict[str, Any],
    spec: Mapping[str, Any],
    secret_data: Mapping[str, Any],
    *,
    live_settings: bool = False,
) -> str:
    """Stamp the Deployment's pod template with its config hash (in place) and return the hash.
    ``live_settings``: the worker reads its live settings from the backend, so they are left out of the
    hash (a change of only those must not roll the pod)."""
    template = deployment["spec"]["template"]
    annotations = template["metadata"]["annotations"]
    annotations.pop(naming.CONFIG_HASH_ANNOTATION, None)
    if live_settings:
        spec = _without_live_settings(spec)
        template = restart_view(deployment)["spec"]["template"]
    digest = config_hash(spec, secret_data, template)
    annotations[naming.CONFIG_HASH_ANNOTATION] = digest
    return digest


#: The Camera spec's (camelCase) names of the live settings.
_LIVE_SPEC_KEYS = frozenset(to_camel(name) for name in LIVE_SETTINGS)


def _without_live_settings(spec: Mapping[str, Any]) -> dict[str, Any]:
    detection = {k: v for k, v in (spec.get("detection") or {}).items() if k not in _LIVE_SPEC_KEYS}
    return {**spec, "detection": detection}


def reads_live_settings(camera: Mapping[str, Any]) -> bool:
    """Whether the Camera's worker takes its live settings from the backend: a Camera the sync manages
    (the backend is where its settings are changed). A hand-applied Camera's spec is its own truth."""
    labels = (camera.get("metadata") or {}).get("labels") or {}
    return labels.get(naming.MANAGED_BY_LABEL) == naming.MANAGED_BY


def restart_view(deployment: Mapping[str, Any]) -> dict[str, Any]:
    """The Deployment without the worker variables of live settings: what the reconcile compares for a
    Camera whose worker reads them from the backend, so that only a restart setting rolls the pod (the
    variables keep their values from the last roll, and a new pod starts with them and reads the current
    ones at once). A copy; ``deployment`` is not changed."""
    copied = json.loads(json.dumps(deployment))
    pod = ((copied.get("spec") or {}).get("template") or {}).get("spec") or {}
    for container in pod.get("containers") or []:
        if "env" in container:
            container["env"] = [item for item in container["env"] if item.get("name") not in LIVE_VARIABLES]
    return dict(copied)


def deployment_body(
    *,
    owner: Mapping[str, Any],
    spec: CameraSpec,
    settings: OperatorSettings,
) -> dict[str, Any]:
    """The Deployment that runs one camera's worker, owned by the Camera `owner` (no hash yet)."""
    meta = owner["metadata"]
    name = naming.child_name(spec.camera_id)
    selector = {"app.kubernetes.io/name": "cctv-worker", naming.CAMERA_ID_LABEL: str(spec.camera_id)}
    labels = {
        **selector,
        "app.kubernetes.io/instance": name,
        "app.kubernetes.io/component": "camera-worker",
        naming.MANAGED_BY_LABEL: naming.MANAGED_BY,
    }
    pod_spec: dict[str, Any] = {
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": 30,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": WORKER_UID,
            "runAsGroup": WORKER_UID,
            "fsGroup": WORKER_UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [_worker_container(spec, settings, live_settings=reads_live_settings(owner))],
        "volumes": [
            {"name": "data", "emptyDir": {"sizeLimit": "1Gi"}},
            {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}},
        ],
    }
    node_selector = spec.node_selector if spec.node_selector is not None else settings.worker_node_selector
    if node_selector:
        pod_spec["nodeSelector"] = dict(node_selector)
    tolerations = spec.tolerations if spec.tolerations is not None else settings.worker_tolerations
    if tolerations:
        pod_spec["tolerations"] = [dict(item) for item in tolerations]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": meta["namespace"],
            "labels": labels,
            "ownerReferences": [owner_reference(owner)],
        },
        "spec": {
            "replicas": 0 if spec.paused else 1,
            # Recreate: two pods must never watch (and alert on) one camera at the same time.
            "strategy": {"type": "Recreate"},
            "revisionHistoryLimit": 2,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {
                    "labels": labels,
                    "annotations": {
                        "prometheus.io/scrape": "true",
                        "prometheus.io/port": str(naming.WORKER_METRICS_PORT),
                        "prometheus.io/path": "/metrics",
                    },
                },
                "spec": pod_spec,
            },
        },
    }


def owner_reference(owner: Mapping[str, Any]) -> dict[str, Any]:
    meta = owner["metadata"]
    return {
        "apiVersion": naming.API_VERSION,
        "kind": naming.KIND,
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def worker_detector_url(spec: CameraSpec, settings: OperatorSettings) -> str:
    """The camera's DETECTOR_URL ("" = in-process); raises UnknownDetector for a pool we do not know."""
    return detector_url(
        spec.detection.detector, pools=settings.worker_detector_pools, default=settings.worker_detector_url
    )


def _worker_container(spec: CameraSpec, settings: OperatorSettings, *, live_settings: bool) -> dict[str, Any]:
    secret = spec.secret_ref.name
    from_secret = {
        RTSP_URL: naming.SECRET_RTSP_URL_KEY,
        DETECT_RTSP_URL: naming.SECRET_DETECT_RTSP_URL_KEY,
        INGEST_TOKEN: naming.SECRET_INGEST_TOKEN_KEY,
    }
    # The same environment as a local worker's; the credentials come from the camera's Secret instead.
    # The sub-stream's reference is always there but optional: the Secret has its key only when the
    # camera has a sub-stream (no key: the variable is unset, and the worker detects on RTSP_URL).
    camera_env = worker_environment(
        camera_id=spec.camera_id,
        detection=spec.detection,
        api_url=settings.backend_url_for_workers,
        rtsp_url="",
        ingest_token="",
        model_path=spec.model_path or settings.worker_model_path,
        detect_rtsp_url="",
        live_settings=live_settings,
    )
    env: list[dict[str, Any]] = [
        _from_secret(name, secret, from_secret[name], optional=name == DETECT_RTSP_URL)
        if name in SECRET_VARIABLES
        else {"name": name, "value": value}
        for name, value in camera_env.items()
    ]
    env += [
        {"name": "METRICS_PORT", "value": str(naming.WORKER_METRICS_PORT)},
        # The live view: the heartbeat reports the pod's IP, where the backend (any replica) dials it.
        {"name": "LIVE_HOST", "value": "0.0.0.0"},  # noqa: S104 - the NetworkPolicy admits the backend only
        {"name": "LIVE_PORT", "value": str(naming.WORKER_LIVE_PORT)},
        {"name": "LIVE_ADVERTISE_HOST", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        {"name": "DATA_DIR", "value": naming.WORKER_DATA_DIR},
        # The root filesystem is read-only: libraries that want a writable home get /tmp.
        {"name": "HOME", "value": "/tmp"},  # noqa: S108 - a private emptyDir, not a shared /tmp
        {"name": "YOLO_CONFIG_DIR", "value": "/tmp/ultralytics"},  # noqa: S108
    ]
    for name, value in (
        ("CAMERA_ALLOWED_NETWORKS", settings.camera_allowed_networks),
        ("CAMERA_DENIED_NETWORKS", settings.camera_denied_networks),
    ):
        if value:
            env.append({"name": name, "value": value})
    url = worker_detector_url(spec, settings)
    if url:
        # The shared detector answers; MODEL_PATH stays as the worker's fallback (loaded only in an outage).
        env.append({"name": "DETECTOR_URL", "value": url})
    resources = spec.resources if spec.resources is not None else settings.worker_resources
    resources = resources or DEFAULT_WORKER_RESOURCES
    probe_port = "metrics"
    return {
        "name": "worker",
        "image": settings.worker_image,
        "imagePullPolicy": str(settings.worker_image_pull_policy),
        "env": env,
        "ports": [
            {"name": "metrics", "containerPort": naming.WORKER_METRICS_PORT, "protocol": "TCP"},
            {"name": "live", "containerPort": naming.WORKER_LIVE_PORT, "protocol": "TCP"},
        ],
        # Loading a model can take a while: the startup probe holds liveness off until then.
        "startupProbe": _probe("/healthz", probe_port, period=5, failures=60),
        "livenessProbe": _probe("/healthz", probe_port, period=15, failures=4),
        "readinessProbe": _probe("/readyz", probe_port, period=10, failures=3),
        "resources": dict(resources),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [
            {"name": "data", "mountPath": naming.WORKER_DATA_DIR},
            {"name": "tmp", "mountPath": "/tmp"},  # noqa: S108 - the pod's own emptyDir
        ],
    }


def _probe(path: str, port: str, *, period: int, failures: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": port},
        "periodSeconds": period,
        "timeoutSeconds": 3,
        "failureThreshold": failures,
    }


def _from_secret(variable: str, secret: str, key: str, *, optional: bool = False) -> dict[str, Any]:
    ref: dict[str, Any] = {"name": secret, "key": key}
    if optional:
        ref["optional"] = True
    return {"name": variable, "valueFrom": {"secretKeyRef": ref}}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _unb64(text: str) -> str:
    return base64.b64decode(text, validate=True).decode()
