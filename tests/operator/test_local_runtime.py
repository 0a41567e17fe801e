"""The local runtime supervises real OS processes.

The worker here is a stand-in command (a sleeping Python process), not ``cctv-worker``: these tests
are about starting, restarting and stopping processes; the real worker runs in tests/e2e.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys

import psutil
import pytest

from cctv_operator.models import DesiredCamera, DetectionConfig
from cctv_operator.runtimes.local.restart_policy import RestartPolicy
from cctv_operator.runtimes.local.runtime import LocalRuntime

SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]
CRASHER = [sys.executable, "-c", "raise SystemExit(3)"]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def camera(camera_id: int = 1, **detection) -> DesiredCamera:
    return DesiredCamera(
        id=camera_id,
        name=f"cam {camera_id}",
        rtsp_url=f"rtsp://user:secret@127.0.0.1:8554/{camera_id}",
        ingest_token=f"cam_{camera_id}_token",
        detection=DetectionConfig(**detection),
    )


def make_runtime(tmp_path, argv=SLEEPER, clock=None) -> LocalRuntime:
    return LocalRuntime(
        api_url="http://127.0.0.1:1",
        data_dir=tmp_path,
        worker_argv=argv,
        base_env={"PATH": os.environ["PATH"]},
        policy=RestartPolicy(initial_delay=5.0, max_delay=60.0, stable_after=60.0),
        clock=clock or FakeClock(),
        stop_grace=5.0,
    )


async def wait_until(condition, *, within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_applying_a_camera_starts_one_worker_with_the_camera_environment(tmp_path):
    runtime = make_runtime(tmp_path)
    try:
        await runtime.apply(camera(7, confidence_threshold=0.7))
        pid = runtime.pid_of(7)
        assert pid is not None
        env = psutil.Process(pid).environ()
        assert env["CAMERA_ID"] == "7"
        assert env["CONFIDENCE_THRESHOLD"] == "0.7"
        assert env["DJANGO_API_TOKEN"] == "cam_7_token"
        assert env["DATA_DIR"] == str(tmp_path / "camera-7")
        assert list(await runtime.list_managed()) == [7]
    finally:
        await runtime.close()


async def test_applying_an_unchanged_camera_keeps_the_running_worker(tmp_path):
    runtime = make_runtime(tmp_path)
    try:
        await runtime.apply(camera(1))
        pid = runtime.pid_of(1)
        await runtime.apply(camera(1))
        assert runtime.pid_of(1) == pid
    finally:
        await runtime.close()


async def test_a_config_change_replaces_the_worker_and_stops_the_old_one(tmp_path):
    runtime = make_runtime(tmp_path)
    try:
        await runtime.apply(camera(1, frame_skip=30))
        old_pid = runtime.pid_of(1)
        await runtime.apply(camera(1, frame_skip=10))
        new_pid = runtime.pid_of(1)
        assert new_pid != old_pid
        assert not psutil.pid_exists(old_pid) or psutil.Process(old_pid).status() == psutil.STATUS_ZOMBIE
        assert psutil.Process(new_pid).environ()["FRAME_SKIP"] == "10"
    finally:
        await runtime.close()


async def test_a_live_setting_change_keeps_the_running_worker_and_its_next_start_gets_it(tmp_path):
    """Zones, thresholds, lengths...: the worker reads them from the backend (SETTINGS_INTERVAL); the runtime
    restarts nothing, and keeps the new values for the worker's next start (issue 19)."""
    zone = {"name": "porch", "points": [[0, 0], [1, 0], [1, 1]]}
    clock = FakeClock()
    runtime = make_runtime(tmp_path, clock=clock)
    try:
        await runtime.apply(camera(1, confidence_threshold=0.5))
        pid = runtime.pid_of(1)
        assert psutil.Process(pid).environ()["SETTINGS_INTERVAL"] == "2"
        await runtime.apply(
            camera(1, confidence_threshold=0.3, zones=[zone], cooldown_seconds=5, event_max_seconds=60)
        )
        assert runtime.pid_of(1) == pid
        assert psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        os.kill(pid, signal.SIGKILL)  # its next start (after a crash, here) has the new values
        await wait_until(lambda: runtime.pid_of(1) is None)
        await runtime.supervise_once()
        clock.now += 5.1
        await runtime.supervise_once()
        assert runtime.pid_of(1) not in (None, pid)
        env = psutil.Process(runtime.pid_of(1)).environ()
        assert env["CONFIDENCE_THRESHOLD"] == "0.3" and env["ALERT_COOLDOWN"] == "5"
    finally:
        await runtime.close()


@pytest.mark.parametrize(
    "change", [{"detect_fps": 4.0}, {"frame_skip": 10}, {"detector": "local"}], ids=lambda c: next(iter(c))
)
async def test_a_restart_setting_change_replaces_the_worker_even_with_live_changes_beside_it(
    tmp_path, change
):
    runtime = make_runtime(tmp_path)
    try:
        await runtime.apply(camera(1))
        old_pid = runtime.pid_of(1)
        await runtime.apply(camera(1, confidence_threshold=0.3, **change))
        assert runtime.pid_of(1) not in (None, old_pid)
        assert psutil.Process(runtime.pid_of(1)).environ()["CONFIDENCE_THRESHOLD"] == "0.3"
    finally:
        await runtime.close()


async def test_removing_a_camera_stops_its_worker(tmp_path):
    runtime = make_runtime(tmp_path)
    await runtime.apply(camera(1))
    pid = runtime.pid_of(1)
    await runtime.remove(1)
    assert runtime.pid_of(1) is None
    assert await runtime.list_managed() == {}
    assert not psutil.pid_exists(pid)


async def test_a_killed_worker_is_restarted_after_its_backoff(tmp_path):
    clock = FakeClock()
    runtime = make_runtime(tmp_path, clock=clock)
    try:
        await runtime.apply(camera(1))
        pid = runtime.pid_of(1)
        os.kill(pid, signal.SIGKILL)
        await wait_until(lambda: runtime.pid_of(1) is None)
        await runtime.supervise_once()  # notices the death: first failure waits initial_delay
        assert runtime.pid_of(1) is None
        clock.now += 4.9
        await runtime.supervise_once()
        assert runtime.pid_of(1) is None
        clock.now += 0.2
        await runtime.supervise_once()
        assert runtime.pid_of(1) not in (None, pid)
    finally:
        await runtime.close()


async def test_a_crashing_worker_backs_off_while_other_cameras_keep_running(tmp_path):
    clock = FakeClock()
    crashing = make_runtime(tmp_path / "a", argv=CRASHER, clock=clock)
    healthy = make_runtime(tmp_path / "b", clock=clock)
    try:
        await crashing.apply(camera(1))
        await healthy.apply(camera(2))
        healthy_pid = healthy.pid_of(2)
        delays = []
        for _ in range(4):
            await wait_until(lambda: crashing.pid_of(1) is None)
            before = clock.now
            await crashing.supervise_once()
            while crashing.pid_of(1) is None:
                clock.now += 0.5
                await crashing.supervise_once()
            delays.append(clock.now - before)
        assert delays == pytest.approx([5.0, 10.0, 20.0, 40.0], abs=0.6)
        assert healthy.pid_of(2) == healthy_pid
    finally:
        await crashing.close()
        await healthy.close()


async def test_closing_the_runtime_leaves_no_worker_process(tmp_path):
    runtime = make_runtime(tmp_path)
    await runtime.apply(camera(1))
    await runtime.apply(camera(2))
    pids = [runtime.pid_of(1), runtime.pid_of(2)]
    await runtime.close()
    assert not any(psutil.pid_exists(pid) for pid in pids)


def test_a_picked_metrics_port_stays_the_cameras_across_runtimes_while_free(tmp_path):
    # Issue 19: with METRICS_PORT 0 every worker start picked a random port, known only to its log; the
    # runtime now picks one per camera, keeps it in the camera's data dir, and the banner can print it.
    def runtime() -> LocalRuntime:
        return LocalRuntime(api_url="http://127.0.0.1:1", data_dir=tmp_path, base_env={"METRICS_PORT": "0"})

    first = runtime()
    port = first.metrics_port_for(1)
    assert port and first.environment_for(camera(1))["METRICS_PORT"] == str(port)
    assert first.environment_for(camera(1)) == first.environment_for(camera(1))  # no restart loop
    assert first.metrics_port_for(2) != port
    assert runtime().metrics_port_for(1) == port  # the next start of the product
    with socket.socket() as taken:  # something else holds it now: another free one
        taken.bind(("127.0.0.1", port))
        taken.listen()
        assert runtime().metrics_port_for(1) not in (None, port)


def test_a_metrics_port_whose_last_connection_lingers_in_time_wait_stays_the_cameras(tmp_path):
    # The previous worker closed a scrape's connection first: its end waits in TIME_WAIT for a minute, and
    # a check that bound without SO_REUSEADDR (which the worker's server sets) called the port taken.
    def runtime() -> LocalRuntime:
        return LocalRuntime(api_url="http://127.0.0.1:1", data_dir=tmp_path, base_env={"METRICS_PORT": "0"})

    port = runtime().metrics_port_for(1)
    assert port
    server = socket.create_server(("127.0.0.1", port))  # reuse_port unset; SO_REUSEADDR set, as http.server
    client = socket.create_connection(("127.0.0.1", port))
    served, _ = server.accept()
    served.close()  # the server's side closes first: its end of the connection goes to TIME_WAIT
    server.close()
    client.close()
    with socket.socket() as strict, pytest.raises(OSError):  # what the old check did
        strict.bind(("127.0.0.1", port))
    assert runtime().metrics_port_for(1) == port


def test_a_fixed_metrics_port_is_left_to_the_base_environment(tmp_path):
    fixed = LocalRuntime(api_url="http://127.0.0.1:1", data_dir=tmp_path, base_env={"METRICS_PORT": "9100"})
    assert fixed.metrics_port_for(1) is None
    assert fixed.environment_for(camera(1))["METRICS_PORT"] == "9100"
