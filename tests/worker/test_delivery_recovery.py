"""Delivery resumes within 5 s of the backend's return, however long the outage grew the backoff.

The outage is real (the backend's port is closed, then served again); its length is injected: the
sender's backoff is set to where a minute of failures takes it (1, 2, 4, ... 32 s: the next wait is
RETRY_MAX_DELAY, 60 s), so the test need not sit out the minute. The 5 s are measured on the wall
clock from the moment the backend answers again.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from cctv_worker.backoff import Backoff
from cctv_worker.capture.watchdog import StreamStatus
from cctv_worker.delivery.client import BackendClient
from cctv_worker.delivery.sender import Sender
from cctv_worker.delivery.spool import Spool
from cctv_worker.heartbeat import HeartbeatThread
from cctv_worker.metrics import WorkerMetrics

from .backend_double import AlertBackend
from .helpers import wait_for

A_MINUTE_OF_FAILURES = 6  # attempts after which the production backoff (1 s doubling) waits 60 s


def alert(i: int) -> dict[str, object]:
    return {"camera_id": 1, "alert_type": "person", "confidence": 0.9, "image_base64": "",
            "description": f"alert {i}", "idempotency_key": f"key-{i}"}  # fmt: skip


def sender_after_a_minute_down(tmp_path: Path, backend: AlertBackend, probe_interval: float) -> Sender:
    spool = Spool(tmp_path / "spool.sqlite3", max_messages=100)
    for i in range(3):
        spool.put(f"key-{i}", alert(i))
    backoff = Backoff(1.0, 60.0)  # the worker's production backoff (RETRY_MAX_DELAY default)
    backoff.attempts = A_MINUTE_OF_FAILURES
    client = BackendClient(backend.url, backend.token, timeout=10.0)
    metrics = WorkerMetrics(CollectorRegistry(), 1)
    return Sender(spool, client, metrics, backoff, probe_interval=probe_interval)


def backend_down_then_back(backend: AlertBackend, sender: Sender) -> float:
    """Starts the sender against the closed port, waits for its failed attempt, reopens the port;
    returns the monotonic time the backend answered again."""
    backend.stop()
    sender.start()
    wait_for(lambda: sender.spool.head() is not None and sender.spool.head().attempts >= 1, what="a try")
    time.sleep(0.3)  # the sender is now in its long wait
    backend.start()  # same port
    return time.monotonic()


def test_spooled_alerts_arrive_within_5_s_of_the_backend_coming_back(
    tmp_path: Path, backend: AlertBackend
) -> None:
    sender = sender_after_a_minute_down(tmp_path, backend, probe_interval=2.0)
    try:
        back = backend_down_then_back(backend, sender)
        wait_for(lambda: len(backend.alerts) == 3, timeout=10, what="all alerts delivered")
        took = time.monotonic() - back
    finally:
        sender.stop()
        sender.join(5)
    assert took < 5.0, f"delivery resumed {took:.1f} s after the backend came back"
    assert backend.keys() == ["key-0", "key-1", "key-2"]  # in order, none lost, none twice
    assert sender.spool.depth() == 0


@pytest.mark.slow
def test_without_the_probe_the_backoff_would_have_kept_the_alerts_back(
    tmp_path: Path, backend: AlertBackend
) -> None:
    """The control: the same outage with probing effectively off still waits out the backoff."""
    sender = sender_after_a_minute_down(tmp_path, backend, probe_interval=60.0)
    try:
        backend_down_then_back(backend, sender)
        time.sleep(5.0)
        assert backend.alerts == []
    finally:
        sender.stop()
        sender.join(5)


def test_an_accepted_heartbeat_wakes_the_sender(tmp_path: Path, backend: AlertBackend) -> None:
    sender = sender_after_a_minute_down(tmp_path, backend, probe_interval=60.0)
    heartbeat = HeartbeatThread(
        BackendClient(backend.url, backend.token, timeout=2.0), 1, StreamStatus(10.0), 0.5,
        on_accepted=sender.backend_answered,
    )  # fmt: skip
    try:
        back = backend_down_then_back(backend, sender)
        heartbeat.start()
        wait_for(lambda: len(backend.alerts) == 3, timeout=10, what="all alerts delivered")
        assert time.monotonic() - back < 5.0
    finally:
        heartbeat.stop()
        sender.stop()
        sender.join(5)


def test_a_backend_answering_with_errors_is_not_probed_but_backed_off(
    tmp_path: Path, backend: AlertBackend
) -> None:
    """5xx means it is up and struggling: the sender keeps its backoff rather than hammering it."""
    from .backend_double import Faults

    sender = sender_after_a_minute_down(tmp_path, backend, probe_interval=0.2)
    backend.faults = Faults(status=503)
    try:
        sender.start()
        wait_for(lambda: backend.requests >= 1, what="the first attempt")
        time.sleep(2.0)
        assert backend.requests == 1  # no retry inside the backoff
    finally:
        sender.stop()
        sender.join(5)
