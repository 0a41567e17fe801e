"""Asks a camera's running worker pods how their detector is doing: a GET of each pod's /readyz.

The worker already tells its detector state there (`detector`: service, local fallback or unavailable,
with a `reason`): the same answer its readiness probe gets. The kubelet keeps that body to itself, so
the operator reads it directly, only for cameras that use a shared detector, once per reconcile (a
Deployment readiness change, a Camera change, or the RECONCILE_INTERVAL timer). Standard library HTTP
in a thread: one small request per pod, no client to keep.
"""

from __future__ import annotations

import asyncio
import http.client
import json
from collections.abc import Mapping, Sequence
from typing import Any

from cctv_operator.kube import naming

#: The most of a /readyz body read (it is a few hundred bytes).
MAX_BODY = 64 * 1024


def running_pods(pods: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Pods that can answer: running, with an address, not being deleted."""
    return [
        pod
        for pod in pods
        if (pod.get("status") or {}).get("phase") == "Running"
        and (pod.get("status") or {}).get("podIP")
        and not (pod.get("metadata") or {}).get("deletionTimestamp")
    ]


def health_port(pod: Mapping[str, Any]) -> int:
    """The worker container's `metrics` port (where /readyz is served)."""
    for container in (pod.get("spec") or {}).get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("name") == "metrics" and port.get("containerPort"):
                return int(port["containerPort"])
    return naming.WORKER_METRICS_PORT


async def read_reports(
    pods: Sequence[Mapping[str, Any]], *, wait_seconds: float
) -> list[Mapping[str, Any] | str]:
    """Each running pod's /readyz body, or a sentence saying why it could not be read (each GET waits at
    most `wait_seconds`: a socket timeout, so that a hung pod costs one thread that long, no more)."""
    running = running_pods(pods)
    return list(
        await asyncio.gather(*(asyncio.to_thread(_read_readyz, pod, wait_seconds) for pod in running))
    )


def _read_readyz(pod: Mapping[str, Any], timeout: float) -> Mapping[str, Any] | str:
    name = (pod.get("metadata") or {}).get("name", "?")
    address = pod["status"]["podIP"]
    connection = http.client.HTTPConnection(address, health_port(pod), timeout=timeout)
    try:
        connection.request("GET", "/readyz")
        body = connection.getresponse().read(MAX_BODY)  # 200 or 503: both carry the JSON
    except (OSError, http.client.HTTPException) as exc:
        return f"pod {name}: /readyz did not answer ({type(exc).__name__}: {exc})"
    finally:
        connection.close()
    try:
        answer = json.loads(body)
    except ValueError:
        return f"pod {name}: /readyz did not answer JSON"
    if not isinstance(answer, dict) or "detector" not in answer:
        return f"pod {name}: /readyz says nothing about a detector"
    return answer
