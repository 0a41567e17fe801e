"""The sync loop against an in-memory runtime (the `CameraRuntime` interface, no cluster).

The in-memory runtime is a faithful implementation of the interface, not a mock of the cluster:
the Kubernetes runtime has its own tests against the emulated API.
"""

from __future__ import annotations

import asyncio

import pytest
from operator_backend import camera_payload
from prometheus_client import CollectorRegistry

from cctv_operator.metrics import create_metrics
from cctv_operator.models import DesiredCamera
from cctv_operator.sync.backend import BackendError
from cctv_operator.sync.loop import SyncFailed, SyncReport, next_delay, run_sync_once, sync_forever


class MemoryRuntime:
    def __init__(self, fail_ids: set[int] = frozenset()) -> None:
        self.cameras: dict[int, DesiredCamera] = {}
        self.calls: list[tuple[str, int]] = []
        self.fail_ids = set(fail_ids)

    async def list_managed(self) -> dict[int, DesiredCamera]:
        return dict(self.cameras)

    async def apply(self, camera: DesiredCamera) -> None:
        self.calls.append(("apply", camera.id))
        if camera.id in self.fail_ids:
            raise RuntimeError("cannot start")
        self.cameras[camera.id] = camera

    async def remove(self, camera_id: int) -> None:
        self.calls.append(("remove", camera_id))
        self.cameras.pop(camera_id, None)


class Source:
    def __init__(self, *answers) -> None:
        self.answers = list(answers)

    async def fetch_active_cameras(self):
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


async def test_one_pass_makes_the_runtime_match_the_answer():
    runtime = MemoryRuntime()
    runtime.cameras[9] = DesiredCamera(id=9, rtsp_url="rtsp://old", ingest_token="t")
    report = await run_sync_once(Source([camera_payload(1), camera_payload(2)]), runtime)
    assert set(runtime.cameras) == {1, 2}
    assert (len(report.plan.create), len(report.plan.delete), report.managed) == (2, 1, 2)


async def test_second_pass_over_the_same_answer_changes_nothing():
    runtime = MemoryRuntime()
    source = Source([camera_payload(1)])
    await run_sync_once(source, runtime)
    runtime.calls.clear()
    report = await run_sync_once(source, runtime)
    assert report.plan.empty and runtime.calls == []


@pytest.mark.parametrize("answer", [BackendError("timeout", "slow"), {"not": "a list"}])
async def test_failed_answer_removes_nothing(answer):
    runtime = MemoryRuntime()
    await run_sync_once(Source([camera_payload(1)]), runtime)
    with pytest.raises(SyncFailed):
        await run_sync_once(Source(answer), runtime)
    assert set(runtime.cameras) == {1}
    assert ("remove", 1) not in runtime.calls


async def test_one_failing_camera_does_not_stop_the_others_and_fails_the_pass():
    runtime = MemoryRuntime(fail_ids={2})
    with pytest.raises(SyncFailed) as error:
        await run_sync_once(Source([camera_payload(1), camera_payload(2), camera_payload(3)]), runtime)
    assert error.value.reason == "runtime"
    assert set(runtime.cameras) == {1, 3}


def test_backoff_doubles_per_failure_up_to_the_cap():
    delays = [next_delay(n, interval=3, max_backoff=60) for n in range(7)]
    assert delays == [3, 6, 12, 24, 48, 60, 60]


async def test_loop_backs_off_counts_errors_and_recovers():
    metrics = create_metrics(CollectorRegistry())
    runtime = MemoryRuntime()
    down = BackendError("unreachable", "down")
    source = Source(down, down, [camera_payload(1)])
    delays: list[float] = []
    outcomes: list[SyncReport | SyncFailed] = []

    async def fake_sleep(seconds: float) -> None:  # the injected clock: no real waiting
        delays.append(seconds)
        if len(delays) == 4:
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await sync_forever(source, runtime, interval=1, max_backoff=10, concurrency=4, metrics=metrics,
                           sleep=fake_sleep, on_pass=outcomes.append)
    assert delays == [2, 4, 1, 1]
    assert [isinstance(o, SyncReport) for o in outcomes] == [False, False, True, True]
    sample = metrics.registry.get_sample_value
    assert sample("cctv_operator_sync_errors_total", {"reason": "unreachable"}) == 2
    assert sample("cctv_operator_sync_total", {"result": "error"}) == 2
    assert sample("cctv_operator_sync_total", {"result": "success"}) == 2
    assert sample("cctv_operator_desired_cameras") == 1
    assert sample("cctv_operator_managed_cameras") == 1


async def test_camera_with_refused_settings_is_left_running_as_it_was_and_counted():
    metrics = create_metrics(CollectorRegistry())
    runtime = MemoryRuntime()
    await run_sync_once(Source([camera_payload(1), camera_payload(2)]), runtime)
    before = runtime.cameras[2]
    source = Source([camera_payload(1, frame_skip=5), camera_payload(2, alert_types=["ufo"])])
    outcomes = []

    async def stop(_seconds: float) -> None:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await sync_forever(source, runtime, interval=1, max_backoff=10, concurrency=4, metrics=metrics,
                           sleep=stop, on_pass=outcomes.append)
    [report] = outcomes
    assert set(report.rejected) == {2}
    assert runtime.cameras[2] == before  # neither updated nor removed
    assert runtime.cameras[1].detection.frame_skip == 5  # the others are still synced
    sample = metrics.registry.get_sample_value
    refused = sample("cctv_operator_sync_errors_total", {"reason": "invalid_camera"})
    assert refused == 1
