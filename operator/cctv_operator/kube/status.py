"""A Camera's status in Kubernetes condition shape, decided from what the reconcile saw. Pure.

`lastTransitionTime` moves only when a condition's status flips, so that re-reconciling an
unchanged Camera yields the very same status and therefore no write.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# The worker's detector states as its /readyz body names them (`detector`): one spelling, shared.
from cctv_common.detector_states import FALLBACK, SERVICE, UNAVAILABLE

#: The condition that says whether the camera's frames reach a detector (docs/contracts.md).
DETECTOR_READY = "DetectorReady"


@dataclass(frozen=True)
class Condition:
    """One condition besides Ready: status "True", "False" or "Unknown", with its reason and message."""

    status: str
    reason: str
    message: str


@dataclass(frozen=True)
class Outcome:
    """What a reconcile found: the Ready condition's value, and a stream state for `kubectl get`."""

    ready: bool
    reason: str
    message: str
    stream_state: str
    deployment: str | None = None
    config_hash: str | None = None
    # DetectorReady, where the reconcile could tell (None: leave the stored one as it is)...
    detector: Condition | None = None
    # ... and none at all for a worker that runs its own model (Ready says all there is to say).
    in_process: bool = False


def detector_from_reports(reports: Sequence[Mapping[str, Any] | str], *, url: str) -> Condition:
    """DetectorReady of a camera whose worker calls the shared detector at `url`.

    `reports` holds each running worker pod's /readyz body, or why it could not be read. The worst
    state wins (two pods overlap only while one is going away).
    """
    bodies = [report for report in reports if isinstance(report, Mapping)]
    for state, reason, consequence in (
        (UNAVAILABLE, "ServiceUnavailable", "no local model: frames are not analysed until it is back"),
        (FALLBACK, "LocalFallback", "the worker's own model analyses the frames until it is back"),
    ):
        body = next((body for body in bodies if body.get("detector") == state), None)
        if body is not None:
            why = str(body.get("reason") or f"detector service {url} is not answering")
            return Condition("False", reason, f"{why}; {consequence}")
    if any(body.get("detector") == SERVICE for body in bodies):
        return Condition("True", "ServiceAnswering", f"the worker's frames go to the shared detector {url}")
    problems = [report for report in reports if isinstance(report, str)]
    message = "; ".join(problems) if problems else "no running worker pod to ask"
    return Condition("Unknown", "WorkerNotReporting", message)


def with_stream_error(outcome: Outcome, reports: Sequence[Mapping[str, Any] | str]) -> Outcome:
    """A worker that is not ready because it cannot read its stream says why (its /readyz
    ``stream_error``: connection refused, 401, not found, timeout...): Ready's reason is StreamDown."""
    if outcome.ready:
        return outcome
    error = next(
        (str(r["stream_error"]) for r in reports if isinstance(r, Mapping) and r.get("stream_error")), None
    )
    if error is None:
        return outcome
    message = f"the worker cannot read its stream: {error}"
    return dataclasses.replace(outcome, reason="StreamDown", message=message, stream_state="Down")


def outcome_from_deployment(deployment: Mapping[str, Any], *, paused: bool, config_hash: str) -> Outcome:
    name = deployment.get("metadata", {}).get("name")
    if paused:
        message = "spec.paused is true: the worker is scaled to zero"
        return Outcome(False, "Paused", message, "Paused", name, config_hash)
    available = (deployment.get("status") or {}).get("availableReplicas") or 0
    if available >= 1:
        # The worker's readiness (/readyz) means its stream is up.
        return Outcome(True, "WorkerReady", "the worker pod is ready", "Up", name, config_hash)
    return Outcome(
        False, "WorkerNotReady", "waiting for the worker pod to become ready", "Pending", name, config_hash
    )


def camera_status(
    outcome: Outcome,
    *,
    generation: int | None,
    previous: Mapping[str, Any] | None,
    now: datetime.datetime,
) -> dict[str, Any]:
    """The full `status` to store, keeping transition times of conditions that did not flip."""
    ready = {
        "type": "Ready",
        "status": "True" if outcome.ready else "False",
        "reason": outcome.reason,
        "message": outcome.message,
        "observedGeneration": generation,
    }
    updates = [ready]
    if outcome.detector is not None:
        updates.append(
            {
                "type": DETECTOR_READY,
                "status": outcome.detector.status,
                "reason": outcome.detector.reason,
                "message": outcome.detector.message,
                "observedGeneration": generation,
            }
        )
    status: dict[str, Any] = {
        "observedGeneration": generation,
        "streamState": outcome.stream_state,
        "conditions": merge_conditions(
            (previous or {}).get("conditions") or [],
            updates,
            now=now,
            remove=(DETECTOR_READY,) if outcome.in_process else (),
        ),
    }
    if outcome.deployment is not None:
        status["deployment"] = outcome.deployment
    if outcome.config_hash is not None:
        status["configHash"] = outcome.config_hash
    return status


def merge_conditions(
    previous: Sequence[Mapping[str, Any]],
    updates: Sequence[Mapping[str, Any]],
    *,
    now: datetime.datetime,
    remove: Collection[str] = (),
) -> list[dict[str, Any]]:
    by_type = {
        str(item.get("type")): dict(item)
        for item in previous
        if isinstance(item, Mapping) and item.get("type") not in remove
    }
    for update in updates:
        old = by_type.get(str(update["type"]))
        new = dict(update)
        if old is not None and old.get("status") == new["status"] and old.get("lastTransitionTime"):
            new["lastTransitionTime"] = old["lastTransitionTime"]
        else:
            new["lastTransitionTime"] = now.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        by_type[new["type"]] = new
    return [by_type[key] for key in sorted(by_type)]


def status_differs(current: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> bool:
    """Whether writing `desired` would change anything the operator owns in `current`."""
    current = current or {}
    return any(current.get(key) != value for key, value in desired.items())
