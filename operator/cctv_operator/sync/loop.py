"""The sync: make a runtime run exactly the backend's active cameras, forever, safely.

It knows nothing of Kubernetes: it drives any `CameraRuntime` (the Kubernetes one creates Camera
resources; a local one can start worker processes). Only a successful, valid answer from the
backend can remove cameras; every failure keeps what runs and retries with backoff.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from cctv_operator.backoff import doubling_delay
from cctv_operator.metrics import OperatorMetrics
from cctv_operator.models import DesiredCamera
from cctv_operator.sync.answer import InvalidAnswer, parse_answer
from cctv_operator.sync.backend import BackendError
from cctv_operator.sync.plan import SyncPlan, plan_sync

logger = logging.getLogger(__name__)


class CameraRuntime(Protocol):
    """Where cameras run. Implementations must be idempotent: `apply` twice is `apply` once."""

    async def list_managed(self) -> dict[int, DesiredCamera]:
        """The cameras this runtime runs on the sync's behalf (never hand-made ones)."""
        ...

    async def apply(self, camera: DesiredCamera) -> None:
        """Start the camera, or bring a running one to this configuration."""
        ...

    async def remove(self, camera_id: int) -> None:
        """Stop the camera; a camera that is already gone is not an error."""
        ...


class ActiveCamerasSource(Protocol):
    async def fetch_active_cameras(self) -> Any: ...


class SyncFailed(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class SyncReport:
    desired: int
    managed: int
    plan: SyncPlan
    failed: int = 0
    #: active cameras whose settings were refused (left as they are), id -> reason
    rejected: dict[int, str] = field(default_factory=dict)


async def run_sync_once(
    client: ActiveCamerasSource, runtime: CameraRuntime, *, concurrency: int = 16
) -> SyncReport:
    """One pass. Raises `SyncFailed` (reason = metrics label) when the pass did not complete."""
    try:
        answer = parse_answer(await client.fetch_active_cameras())
    except BackendError as exc:
        raise SyncFailed(exc.reason, str(exc)) from None
    except InvalidAnswer as exc:
        raise SyncFailed("invalid_answer", f"refused the backend's answer: {exc}") from None

    desired = answer.cameras
    actual = await runtime.list_managed()
    plan = plan_sync(desired, actual, keep=answer.rejected.keys())
    limit = asyncio.Semaphore(concurrency)

    async def guarded(action: Awaitable[None], what: str) -> bool:
        async with limit:
            try:
                await action
            except Exception:
                logger.exception("sync could not %s", what)
                return False
            return True

    results = await asyncio.gather(
        *(guarded(runtime.apply(camera), f"create camera {camera.id}") for camera in plan.create),
        *(guarded(runtime.apply(camera), f"update camera {camera.id}") for camera in plan.update),
        *(guarded(runtime.remove(camera_id), f"remove camera {camera_id}") for camera_id in plan.delete),
    )
    failed = results.count(False)
    managed = len(actual) + len(plan.create) - len(plan.delete)
    report = SyncReport(desired=len(desired) + len(answer.rejected), managed=managed, plan=plan,
                        failed=failed, rejected=answer.rejected)
    if failed:
        raise SyncFailed("runtime", f"{failed} of {len(results)} changes failed; will retry") from None
    return report


async def _gate_open(gate: Callable[[], Awaitable[bool]]) -> bool:
    try:
        return await gate()
    except Exception:
        logger.exception("could not tell whether this replica may sync; standing by")
        return False


def next_delay(failures: int, *, interval: float, max_backoff: float) -> float:
    """Seconds until the next pass: the poll interval, doubled per consecutive failure, capped."""
    return doubling_delay(failures, initial=interval, maximum=max_backoff)


async def sync_forever(
    client: ActiveCamerasSource,
    runtime: CameraRuntime,
    *,
    interval: float,
    max_backoff: float,
    concurrency: int,
    metrics: OperatorMetrics | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    on_pass: Callable[[SyncReport | SyncFailed], None] | None = None,
    gate: Callable[[], Awaitable[bool]] | None = None,
) -> None:
    """Run passes until cancelled; count each, and back off after failures.

    `gate`, if given, is asked before each pass whether this replica may act (peering); while it
    says no, the pass is skipped: a standby replica neither reads the backend nor writes.
    """
    failures = 0
    while True:
        if gate is not None and not await _gate_open(gate):
            await sleep(interval)
            continue
        outcome: SyncReport | SyncFailed
        try:
            outcome = await run_sync_once(client, runtime, concurrency=concurrency)
        except SyncFailed as exc:
            outcome = exc
        except Exception as exc:  # a bug or an unexpected runtime error: keep the loop alive
            logger.exception("sync pass crashed")
            outcome = SyncFailed("runtime", repr(exc))
        if isinstance(outcome, SyncFailed):
            failures += 1
            delay = next_delay(failures, interval=interval, max_backoff=max_backoff)
            logger.warning("sync failed (%s): %s; nothing deleted; retrying in %.1f s",
                           outcome.reason, outcome, delay)
            if metrics is not None:
                metrics.sync_total.labels(result="error").inc()
                metrics.sync_errors_total.labels(reason=outcome.reason).inc()
        else:
            failures = 0
            delay = interval
            plan = outcome.plan
            if not plan.empty:
                logger.info("sync: %d created, %d updated, %d removed; %d cameras",
                            len(plan.create), len(plan.update), len(plan.delete), outcome.managed)
            for camera_id, reason in outcome.rejected.items():
                logger.warning("camera %s left as it is: the backend's settings were refused: %s",
                               camera_id, reason)
            if metrics is not None:
                # A pass with refused cameras is an error to alert on, but the backend answered:
                # no backoff.
                if outcome.rejected:
                    metrics.sync_total.labels(result="error").inc()
                    metrics.sync_errors_total.labels(reason="invalid_camera").inc()
                else:
                    metrics.sync_total.labels(result="success").inc()
                metrics.desired_cameras.set(outcome.desired)
                metrics.managed_cameras.set(outcome.managed)
        if on_pass is not None:
            on_pass(outcome)
        await sleep(delay)
