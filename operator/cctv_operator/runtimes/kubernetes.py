"""The Kubernetes runtime of the sync: a camera is a Camera resource plus its Secret.

The stream URL and the ingest token live only in the Secret, never in the Camera's spec.
Only objects labelled as managed by the operator are listed, changed or deleted here.
"""

from __future__ import annotations

import logging
from typing import Any

from cctv_operator.kube import builders, naming
from cctv_operator.kube.api import CAMERAS, SECRETS, Conflict, Kind, KubeApi, NotFound
from cctv_operator.models import DesiredCamera

logger = logging.getLogger(__name__)


class CameraConflict(Exception):
    """A Camera or Secret with the sync's name exists but was not made by the sync: it is left alone."""


class KubernetesRuntime:
    """`CameraRuntime` on a cluster (see cctv_operator.sync.loop)."""

    def __init__(self, kube: KubeApi, namespace: str) -> None:
        self._kube = kube
        self._namespace = namespace
        self._known: set[int] = set()  # ids seen in the last listing: patch them, create others

    async def list_managed(self) -> dict[int, DesiredCamera]:
        cameras = await self._kube.list(CAMERAS, self._namespace, label_selector=naming.MANAGED_SELECTOR)
        secrets = await self._kube.list(SECRETS, self._namespace, label_selector=naming.MANAGED_SELECTOR)
        secrets_by_name = {item["metadata"]["name"]: item for item in secrets}
        managed: dict[int, DesiredCamera] = {}
        for camera in cameras:
            camera_id = _camera_id(camera)
            if camera_id is None:
                continue  # labelled as ours but without a usable id: not something we made
            secret_name = ((camera.get("spec") or {}).get("secretRef") or {}).get("name", "")
            current = builders.desired_from_objects(camera, secrets_by_name.get(secret_name))
            # Unreadable (e.g. its Secret was deleted by hand): a placeholder that equals nothing the
            # backend sends, so that the plan rewrites it (or removes it if no longer active).
            managed[camera_id] = current or DesiredCamera(id=camera_id, rtsp_url="?", ingest_token="?")  # noqa: S106
        self._known = set(managed)
        return managed

    async def apply(self, camera: DesiredCamera) -> None:
        # Secret first, so that a new pod never starts without its stream URL and token.
        await self._upsert_secret(camera)
        await self._upsert_camera(camera)
        self._known.add(camera.id)

    async def remove(self, camera_id: int) -> None:
        name = naming.child_name(camera_id)
        # The Deployment goes with the Camera (owner reference); the Secret is not owned, so delete it.
        await self._kube.delete(CAMERAS, self._namespace, name)
        await self._kube.delete(SECRETS, self._namespace, name)
        self._known.discard(camera_id)

    async def _upsert_secret(self, camera: DesiredCamera) -> None:
        body = builders.secret_body(camera, self._namespace)
        data = dict(body["data"])
        data.setdefault(naming.SECRET_DETECT_RTSP_URL_KEY, None)  # merge patch: None removes a sub-stream
        patch = {"metadata": {"labels": body["metadata"]["labels"]}, "data": data}
        await self._upsert(SECRETS, camera.id, body, patch)

    async def _upsert_camera(self, camera: DesiredCamera) -> None:
        body = builders.camera_body(camera, self._namespace)
        spec = dict(body["spec"])
        detection = dict(spec["detection"])
        detection.setdefault("detectFps", None)  # merge patch: None removes a value no longer set
        spec["detection"] = detection
        patch = {"metadata": {k: body["metadata"][k] for k in ("labels", "annotations")}, "spec": spec}
        await self._upsert(CAMERAS, camera.id, body, patch)

    async def _upsert(self, kind: Kind, camera_id: int, body: dict[str, Any], patch: dict[str, Any]) -> None:
        name = body["metadata"]["name"]
        if camera_id in self._known:
            try:
                await self._kube.patch(kind, self._namespace, name, patch)
                return
            except NotFound:
                pass  # deleted since the listing: create it again
        try:
            await self._kube.create(kind, body)
        except Conflict:
            existing = await self._kube.get(kind, self._namespace, name)
            labels = ((existing or {}).get("metadata") or {}).get("labels") or {}
            if labels.get(naming.MANAGED_BY_LABEL) != naming.MANAGED_BY:
                raise CameraConflict(
                    f"{kind.plural} {name!r} exists and was not made by the operator; not touching it"
                ) from None
            await self._kube.patch(kind, self._namespace, name, patch)


def _camera_id(camera: dict[str, Any]) -> int | None:
    raw = ((camera.get("metadata") or {}).get("labels") or {}).get(naming.CAMERA_ID_LABEL)
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None
