"""A Kubernetes API for tests: kmock's emulator made close enough to a real API server for kopf.

kmock 0.8 stores bodies verbatim. This subclass adds what kopf and the `kubernetes` client rely on:
uid/resourceVersion/creationTimestamp/generation on create; a new resourceVersion (and generation
for non-status changes) on every real change and none for a no-op patch; JSON patches whose `test`
op fails with 422; the status subresource (main-resource patches keep the status and vice versa);
finalizers and deletionTimestamp; generateName; lists with kind/apiVersion, a numeric resourceVersion and
equality label selectors; watches that honour `?resourceVersion=` (replaying missed events);
background garbage collection through ownerReferences; and `/api/v1/namespaces` (list and watch,
the names in use), which kmock cannot parse and kopf needs for a namespaced operator.
Still missing (say so where it matters): PUT, strategic merge (lists are replaced), server-side
defaulting, admission/schema validation, and controllers (Deployments never get a status unless
a test writes one).

Fixtures (import them into a conftest): `kube_cluster` (the emulator, serving over real HTTP, with
the Camera CRD's resources declared) and `kubeconfig` (a kubeconfig file pointing at it, exported
via KUBECONFIG and the `kubernetes` client's default location).
"""

from __future__ import annotations

import asyncio
import bisect
import copy
import datetime
import json
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import jsonpatch
import kmock
import pytest
import pytest_asyncio
import yaml
from aiohttp import web
from kmock._internal import apps, rendering

ACTION = kmock.action

#: Built-in and custom resources the tests use: (group/version/plural, kind, namespaced, subresources).
DEFAULT_RESOURCES = (
    ("v1/secrets", "Secret", True, ()),
    ("v1/events", "Event", True, ()),
    ("v1/pods", "Pod", True, ("status",)),
    ("v1/namespaces", "Namespace", False, ()),
    ("apps/v1/deployments", "Deployment", True, ("status", "scale")),
    ("cctv.io/v1alpha1/cameras", "Camera", True, ("status",)),
    ("kopf.dev/v1/kopfpeerings", "KopfPeering", True, ()),
    ("kopf.dev/v1/clusterkopfpeerings", "ClusterKopfPeering", False, ()),
)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge_patch(result.get(key), value)
    return result


def _labels_match(obj: Mapping[str, Any], selector: str | None) -> bool:
    """Equality-based selectors (`a=b,c!=d,e`), which is all this project uses."""
    if not selector:
        return True
    labels = (obj.get("metadata") or {}).get("labels") or {}
    for term in filter(None, (part.strip() for part in selector.split(","))):
        if "!=" in term:
            key, value = term.split("!=", 1)
            if labels.get(key) == value:
                return False
        elif "=" in term:
            key, value = term.replace("==", "=").split("=", 1)
            if labels.get(key) != value:
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


def _error(status: int, reason: str, message: str) -> kmock.KubernetesError:
    return kmock.KubernetesError(status=status, reason=reason, message=message, details={})


@attrs.define(kw_only=True)
class KubernetesCluster(kmock.KubernetesEmulator):
    _rv: int = attrs.field(default=0, init=False)
    _log: dict[Any, list[tuple[int, dict[str, Any]]]] = attrs.field(factory=dict, init=False)
    _log_changed: asyncio.Condition = attrs.field(factory=asyncio.Condition, init=False)
    # Every request served, for assertions. kmock's own list is kept to the requests in flight:
    # kmock matches each request against its reactions by scanning that list, which makes a
    # long-lived emulator (thousands of requests, as in the benchmark) quadratic.
    _history: list[rendering.Request] = attrs.field(factory=list, init=False)

    # --- what tests look at --------------------------------------------------------------------

    @property
    def writes(self) -> list[rendering.Request]:
        """Every request that asked to change something (whether or not it changed anything)."""
        return [request for request in self._history if request.method.value in WRITE_METHODS]

    @property
    def all_requests(self) -> list[rendering.Request]:
        return list(self._history)

    def live(self, resource: str, namespace: str | None = None) -> dict[str, dict[str, Any]]:
        """name -> body of the existing objects of a resource (e.g. 'apps/v1/deployments')."""
        wanted = kmock.resource(resource)
        return {
            name: obj.raw
            for (res, ns, name), obj in self.objects.items()
            if res == wanted and not obj.deleted and (namespace is None or ns == namespace)
        }

    def declare_defaults(self) -> None:
        for name, kind, namespaced, subresources in DEFAULT_RESOURCES:
            self.resources[name] = kmock.ResourceInfo(
                kind=kind,
                namespaced=namespaced,
                subresources=set(subresources),
                verbs={"list", "watch", "get", "create", "patch", "delete"},
            )

    # --- namespaces ----------------------------------------------------------------------------

    async def __call__(self, raw_request: web.BaseRequest) -> web.StreamResponse:
        # kmock 0.8 cannot parse /api/v1/namespaces (it fails with a 500), and kopf lists and
        # watches namespaces even when told one namespace: serve the names in use here.
        if raw_request.path.rstrip("/") == "/api/v1/namespaces" and raw_request.method == "GET":
            return await self._serve_namespaces(raw_request)
        return await super().__call__(raw_request)

    async def _serve_namespaces(self, raw_request: web.BaseRequest) -> web.StreamResponse:
        names = {"default"} | {namespace for (_, namespace, _) in self.objects if namespace}
        items = [
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": name, "uid": name, "resourceVersion": "1"},
            }
            for name in sorted(names)
        ]
        if raw_request.query.get("watch") not in ("true", "1"):
            return web.json_response(
                {
                    "apiVersion": "v1",
                    "kind": "NamespaceList",
                    "metadata": {"resourceVersion": str(self._rv)},
                    "items": items,
                }
            )
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(raw_request)
        if raw_request.query.get("resourceVersion") in (None, "", "0"):
            for item in items:
                await response.write(json.dumps({"type": "ADDED", "object": item}).encode() + b"\n")
        await asyncio.Event().wait()  # namespaces never change here; the client cancels the watch
        return response

    # --- state changes -------------------------------------------------------------------------

    async def _handle(self, request: rendering.Request) -> Any:
        changing = request.action == ACTION.CREATE or (
            request.action in (ACTION.UPDATE, ACTION.DELETE) and request.name is not None
        )
        self._history.append(request)
        try:
            if request.resource is not None and changing:
                async with self._lock:
                    await self._change(request)
            # Skip kmock's own state keeping (we did it): dispatch to reactions and fallbacks directly.
            return await apps.RawHandler._handle(self, request)
        finally:
            for index in range(len(self._requests) - 1, -1, -1):
                if self._requests[index] is request:
                    del self._requests[index]
                    break

    def _next_rv(self) -> str:
        self._rv += 1
        return str(self._rv)

    async def _publish(self, resource: Any, kind: str, body: Mapping[str, Any]) -> None:
        rv = int(body["metadata"]["resourceVersion"])
        self._log.setdefault(resource, []).append((rv, {"type": kind, "object": copy.deepcopy(dict(body))}))
        async with self._log_changed:
            self._log_changed.notify_all()

    def _has_status_subresource(self, resource: Any) -> bool:
        for declared in self.resources:
            if declared == resource:
                return "status" in self.resources[declared].subresources
        return False

    async def _change(self, request: rendering.Request) -> None:
        resource = request.resource
        if request.action == ACTION.CREATE:
            body = copy.deepcopy(request.data or {})
            meta = body.setdefault("metadata", {})
            namespace = request.namespace or meta.get("namespace")
            name = meta.get("name")
            if not name and meta.get("generateName"):
                name = meta["name"] = f"{meta['generateName']}{uuid.uuid4().hex[:5]}"
                # kmock answers from the request's body: let it find the generated name too.
                request.data.setdefault("metadata", {})["name"] = name
            if not name:
                raise _error(422, "Invalid", "metadata.name or metadata.generateName is required")
            key = (resource, namespace, name)
            if key in self.objects and not self.objects[key].deleted:
                raise _error(409, "AlreadyExists", f"{resource.plural} {name!r} already exists")
            if namespace:
                meta["namespace"] = namespace
            meta.update(
                uid=str(uuid.uuid4()),
                resourceVersion=self._next_rv(),
                generation=1,
                creationTimestamp=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            )
            if self._has_status_subresource(resource):
                body.pop("status", None)
            if key in self.objects:
                self.objects[key].create(body)
            else:
                self.objects[key] = body
            await self._publish(resource, "ADDED", body)
            # The real garbage collector also removes an object created after its owner was gone (every
            # owner's uid absent): a reconcile in flight while its Camera was deleted can create one.
            owners = {ref.get("uid") for ref in meta.get("ownerReferences") or []}
            if owners and owners.isdisjoint(self._live_uids()):
                await self._remove(key)
            return

        key = (resource, request.namespace, request.name)
        if key not in self.objects or self.objects[key].deleted:
            raise kmock.KubernetesObjectNotFoundError()
        obj = self.objects[key]
        current = copy.deepcopy(obj.raw)

        if request.action == ACTION.DELETE:
            if (current["metadata"].get("finalizers") or []) and request.subresource is None:
                if not current["metadata"].get("deletionTimestamp"):
                    current["metadata"]["deletionTimestamp"] = datetime.datetime.now(datetime.UTC).isoformat()
                    current["metadata"]["resourceVersion"] = self._next_rv()
                    obj.history.append(current)
                    await self._publish(resource, "MODIFIED", current)
            else:
                await self._remove(key)
            return

        # PATCH: JSON patch (kopf's finalizers, with a `test` on resourceVersion) or merge patch.
        data = request.data
        content_type = request.headers.get("Content-Type", "")
        try:
            if "json-patch" in content_type or isinstance(data, list):
                new = jsonpatch.apply_patch(copy.deepcopy(current), data)
            else:
                new = _merge_patch(current, data or {})
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
            raise _error(422, "Invalid", f"the patch cannot be applied: {exc}") from None
        if request.subresource == "status":
            new = {**current, "status": new.get("status")}
        elif self._has_status_subresource(resource):
            new["status"] = current.get("status")
            if new["status"] is None:
                new.pop("status")
        for immutable in ("uid", "creationTimestamp", "name", "namespace", "generation", "resourceVersion"):
            if immutable in current["metadata"]:
                new.setdefault("metadata", {})[immutable] = current["metadata"][immutable]
        if new == current:
            return  # a no-op patch changes nothing and notifies no one, as on a real API server
        spec_keys = set(new) | set(current)
        if any(new.get(k) != current.get(k) for k in spec_keys - {"metadata", "status"}):
            new["metadata"]["generation"] = int(current["metadata"].get("generation", 1)) + 1
        new["metadata"]["resourceVersion"] = self._next_rv()
        obj.history.append(new)
        if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers"):
            await self._remove(key)
        else:
            await self._publish(resource, "MODIFIED", new)

    def _live_uids(self) -> set[str]:
        return {obj.raw["metadata"].get("uid") for obj in self.objects.values() if not obj.deleted}

    async def _remove(self, key: tuple[Any, str | None, str]) -> None:
        obj = self.objects[key]
        body = copy.deepcopy(obj.raw)
        body["metadata"]["resourceVersion"] = self._next_rv()
        obj.delete()
        await self._publish(key[0], "DELETED", body)
        # Background garbage collection: whatever this object owned goes too.
        uid = body["metadata"].get("uid")
        for child_key, child in list(self.objects.items()):
            if child.deleted:
                continue
            refs = (child.raw.get("metadata") or {}).get("ownerReferences") or []
            if any(ref.get("uid") == uid for ref in refs):
                await self._remove(child_key)

    # --- reads ---------------------------------------------------------------------------------

    def _matching(self, request: rendering.Request) -> Iterator[dict[str, Any]]:
        selector = request.params.get("labelSelector")
        for (resource, namespace, name), obj in self.objects.items():
            if resource != request.resource or obj.deleted:
                continue
            if request.namespace is not None and namespace != request.namespace:
                continue
            if request.name is not None and name != request.name:
                continue
            raw = obj.raw
            if _labels_match(raw, selector):
                yield raw

    def _list_kind(self, resource: Any) -> tuple[str, str]:
        api_version = f"{resource.group}/{resource.version}" if resource.group else resource.version
        kind = None
        for declared in self.resources:
            if declared == resource:
                kind = self.resources[declared].kind
        return api_version, f"{kind or resource.plural.capitalize()}List"

    async def _serve_list(self, request: rendering.Request) -> rendering.Payload:
        if not any(resource == request.resource for resource in self._get_resources()):
            raise kmock.KubernetesResourceNotFoundError()
        async with self._lock:
            items = [copy.deepcopy(raw) for raw in self._matching(request)]
            api_version, kind = self._list_kind(request.resource)
            return {
                "apiVersion": api_version,
                "kind": kind,
                "metadata": {"resourceVersion": str(self._rv)},
                "items": items,
            }

    async def _serve_watch(self, request: rendering.Request) -> AsyncIterator[rendering.Payload]:
        yield b""  # send the headers now: a watch may stay silent for a long time
        log = self._log.setdefault(request.resource, [])
        since = request.params.get("resourceVersion")
        selector = request.params.get("labelSelector")
        if since in (None, "", "0"):
            async with self._lock:
                initial = [copy.deepcopy(raw) for raw in self._matching(request)]
                index = len(log)
            for raw in initial:
                yield {"type": "ADDED", "object": raw}
        else:
            index = bisect.bisect_right([rv for rv, _ in log], int(since))
        while True:
            while index < len(log):
                _, event = log[index]
                index += 1
                meta = event["object"].get("metadata") or {}
                if request.namespace is not None and meta.get("namespace") != request.namespace:
                    continue
                if request.name is not None and meta.get("name") != request.name:
                    continue
                if event["type"] != "DELETED" and not _labels_match(event["object"], selector):
                    continue
                yield event
            async with self._log_changed:
                await self._log_changed.wait_for(lambda seen=index: seen < len(log))


def write_kubeconfig(path: Path, server_url: str) -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "kmock", "cluster": {"server": server_url}}],
        "users": [{"name": "test", "user": {"token": "test-token"}}],
        "contexts": [
            {"name": "kmock", "context": {"cluster": "kmock", "user": "test", "namespace": "default"}},
        ],
        "current-context": "kmock",
    }
    path.write_text(yaml.safe_dump(config))
    return path


@pytest_asyncio.fixture()
async def kube_cluster() -> AsyncIterator[KubernetesCluster]:
    """The emulated API, served over real HTTP on a free loopback port."""
    async with KubernetesCluster() as cluster, kmock.Server(cluster):
        cluster.declare_defaults()
        yield cluster


@pytest.fixture()
def kubeconfig(kube_cluster: KubernetesCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A kubeconfig for `kube_cluster`, exported to kopf and to the `kubernetes` client."""
    from kubernetes.config import kube_config

    path = write_kubeconfig(tmp_path / "kubeconfig", str(kube_cluster.url).rstrip("/"))
    monkeypatch.setenv("KUBECONFIG", str(path))
    # The client reads KUBECONFIG once, at import: point its default location here as well.
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(path))
    # Make sure nothing mistakes the test runner for a pod with a service account.
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    return path
