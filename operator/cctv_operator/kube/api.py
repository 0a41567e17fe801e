"""The one module that talks to the Kubernetes API (kopf's own watching aside).

It uses the `kubernetes` client for what it is good at, finding credentials (in-cluster service
account or kubeconfig) and the TLS/auth REST layer, and speaks plain JSON through it: the bodies
stay dicts, the same dicts the pure builders make, without a round trip through model classes.
Calls run in worker threads so that kopf's event loop never blocks.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import kubernetes.client
import kubernetes.config
from kubernetes.config.config_exception import ConfigException

from cctv_operator.kube import naming

MERGE_PATCH = "application/merge-patch+json"
# Named here, outside `KubeApi`: inside the class `list` is its own method, not the builtin.
Query = list[tuple[str, str]]


@dataclass(frozen=True)
class Kind:
    """Where a kind lives in the API: `/api/v1` or `/apis/<group>/<version>`, and its plural."""

    prefix: str
    plural: str
    namespaced: bool = True

    def path(self, namespace: str, name: str | None = None, subresource: str | None = None) -> str:
        path = (
            f"{self.prefix}/namespaces/{namespace}/{self.plural}"
            if self.namespaced
            else f"{self.prefix}/{self.plural}"
        )
        if name is not None:
            path += f"/{name}"
        if subresource is not None:
            path += f"/{subresource}"
        return path


CAMERAS = Kind(f"/apis/{naming.GROUP}/{naming.VERSION}", naming.PLURAL)
SECRETS = Kind("/api/v1", "secrets")
DEPLOYMENTS = Kind("/apis/apps/v1", "deployments")
PODS = Kind("/api/v1", "pods")
PEERINGS = Kind("/apis/kopf.dev/v1", "kopfpeerings")
CLUSTER_PEERINGS = Kind("/apis/kopf.dev/v1", "clusterkopfpeerings", namespaced=False)


class KubeError(Exception):
    """The API answered with an error status (or could not be reached: status 0)."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message


class NotFound(KubeError):
    pass


class Conflict(KubeError):
    pass


class KubeApi:
    def __init__(
        self, api_client: kubernetes.client.ApiClient, *, timeout: float = 30.0, threads: int = 16
    ) -> None:
        self._api = api_client
        self._timeout = timeout
        # Its own threads, as many as pooled connections: the loop's default executor is sized by
        # CPU count (6 threads on 2 cores) and would queue the sync's concurrent calls.
        self._executor = concurrent.futures.ThreadPoolExecutor(threads, thread_name_prefix="kube-api")

    @classmethod
    def connect(cls, *, pool_size: int = 16, timeout: float = 30.0) -> KubeApi:
        """Credentials from the pod's service account, or else from the kubeconfig (a laptop)."""
        configuration = kubernetes.client.Configuration()
        try:
            kubernetes.config.load_incluster_config(client_configuration=configuration)
        except ConfigException:
            kubernetes.config.load_kube_config(client_configuration=configuration)
        # One connection per concurrent call; urllib3's default of 4 would serialise the sync.
        configuration.connection_pool_maxsize = pool_size
        return cls(kubernetes.client.ApiClient(configuration), timeout=timeout, threads=pool_size)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._api.close()

    # --- the verbs the operator uses ------------------------------------------------------------

    async def list(
        self, kind: Kind, namespace: str, *, label_selector: str | None = None
    ) -> list[dict[str, Any]]:
        query = [("labelSelector", label_selector)] if label_selector else None
        answer = await self._call("GET", kind.path(namespace), query=query)
        return list(answer.get("items") or [])

    async def get(self, kind: Kind, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            return await self._call("GET", kind.path(namespace, name))
        except NotFound:
            return None

    async def create(self, kind: Kind, body: Mapping[str, Any]) -> dict[str, Any]:
        return await self._call("POST", kind.path(body["metadata"]["namespace"]), body=body)

    async def patch(
        self,
        kind: Kind,
        namespace: str,
        name: str,
        patch: Mapping[str, Any],
        *,
        subresource: str | None = None,
    ) -> dict[str, Any]:
        """JSON merge patch (RFC 7386): lists are replaced whole, `None` removes a key."""
        return await self._call(
            "PATCH", kind.path(namespace, name, subresource), body=patch, content_type=MERGE_PATCH
        )

    async def delete(self, kind: Kind, namespace: str, name: str) -> bool:
        """Delete in the background (children go by owner references); False if already gone."""
        try:
            await self._call("DELETE", kind.path(namespace, name), body={"propagationPolicy": "Background"})
        except NotFound:
            return False
        return True

    # --- transport -----------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        body: Mapping[str, Any] | None = None,
        content_type: str = "application/json",
    ) -> dict[str, Any]:
        call = functools.partial(self._call_sync, method, path, query, body, content_type)
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    def _call_sync(
        self,
        method: str,
        path: str,
        query: Query | None,
        body: Mapping[str, Any] | None,
        content_type: str,
    ) -> dict[str, Any]:
        headers = {"Accept": "application/json", "Content-Type": content_type}
        request = self._api.param_serialize(
            method,
            path,
            query_params=query,
            header_params=headers,
            body=dict(body) if body is not None else None,
            auth_settings=["BearerToken"],
        )
        try:
            response = self._api.call_api(*request, _request_timeout=self._timeout)
            response.read()
        except kubernetes.client.ApiException as exc:  # raised for transport failures
            raise KubeError(exc.status or 0, str(exc.reason), str(exc.body or "")) from None
        text = response.data.decode() if response.data else ""
        if not 200 <= response.status < 300:
            raise _error(response.status, text)
        return json.loads(text) if text else {}


def _error(status: int, text: str) -> KubeError:
    try:
        detail = json.loads(text)
        reason, message = str(detail.get("reason", "")), str(detail.get("message", ""))
    except (ValueError, AttributeError):
        reason, message = "", text[:200]
    cls = {404: NotFound, 409: Conflict}.get(status, KubeError)
    return cls(status, reason, message)
