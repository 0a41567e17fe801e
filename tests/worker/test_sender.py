"""Delivery that loses nothing: every spooled alert reaches the backend exactly once, whatever the
backend does in between (down, 500s, timeouts after storing)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from cctv_worker.backoff import Backoff
from cctv_worker.delivery.client import BackendClient
from cctv_worker.delivery.sender import Sender
from cctv_worker.delivery.spool import Spool
from cctv_worker.metrics import WorkerMetrics

from .backend_double import AlertBackend, Faults
from .helpers import wait_for


def alert(i: int) -> dict[str, object]:
    return {"camera_id": 1, "alert_type": "person", "confidence": 0.9, "image_base64": "",
            "description": f"alert {i}", "idempotency_key": f"key-{i}"}  # fmt: skip


class Rig:
    def __init__(self, tmp_path: Path, backend: AlertBackend, timeout: float = 5.0) -> None:
        self.registry = CollectorRegistry()
        self.metrics = WorkerMetrics(self.registry, 1)
        self.spool = Spool(tmp_path / "spool.sqlite3", max_messages=100)
        # Retries every 50 ms: the tests check the outcome, not the production delays.
        self.sender = Sender(
            self.spool, BackendClient(backend.url, backend.token, timeout=timeout), self.metrics,
            Backoff(0.05, 0.05, jitter=0.0),
        )  # fmt: skip

    def put(self, n: int) -> None:
        for i in range(n):
            self.spool.put(f"key-{i}", alert(i))
        self.sender.wake()

    def value(self, name: str, **labels: str) -> float:
        return self.registry.get_sample_value(name, {"camera": "1", **labels}) or 0.0


@pytest.fixture
def rig(tmp_path: Path, backend: AlertBackend) -> Iterator[Rig]:
    rig = Rig(tmp_path, backend)
    yield rig
    rig.sender.stop()
    rig.sender.join(5)


def test_alerts_are_delivered_in_order_and_leave_the_spool(rig: Rig, backend: AlertBackend) -> None:
    rig.sender.start()
    rig.put(5)
    # The sender thread acks an alert, then counts it, and sets the depth gauge on its next pass: wait for
    # all of it (checking the gauge right after the spool emptied raced that thread on a loaded machine).
    wait_for(lambda: rig.spool.depth() == 0 and rig.value("cctv_spool_depth") == 0
             and rig.value("cctv_alerts_sent_total", alert_type="person") == 5)  # fmt: skip
    assert backend.keys() == [f"key-{i}" for i in range(5)]
    assert rig.value("cctv_alerts_sent_total", alert_type="person") == 5
    assert rig.value("cctv_spool_depth") == 0
    assert rig.registry.get_sample_value("cctv_alert_post_duration_seconds_count", {"camera": "1"}) == 5


def test_backend_down_then_up_delivers_every_alert_exactly_once(rig: Rig, backend: AlertBackend) -> None:
    backend.stop()
    rig.sender.start()
    rig.put(10)
    wait_for(lambda: rig.value("cctv_alerts_failed_total", result="unreachable") >= 3)
    assert rig.spool.depth() == 10
    backend.start()  # same port
    wait_for(lambda: rig.spool.depth() == 0)
    assert sorted(backend.keys()) == sorted(f"key-{i}" for i in range(10))
    assert len(backend.alerts) == 10


def test_server_errors_are_retried_until_accepted(rig: Rig, backend: AlertBackend) -> None:
    backend.faults = Faults(status=500, fail_next=4)
    rig.sender.start()
    rig.put(3)
    wait_for(lambda: rig.spool.depth() == 0)
    assert rig.value("cctv_alerts_failed_total", result="server_error") == 4
    assert backend.keys() == ["key-0", "key-1", "key-2"]


def test_a_timeout_after_the_backend_stored_the_alert_does_not_duplicate_it(
    tmp_path: Path, backend: AlertBackend
) -> None:
    rig = Rig(tmp_path, backend, timeout=0.3)
    backend.faults = Faults(delay_after_store=1.0)
    rig.sender.start()
    try:
        rig.put(2)
        wait_for(lambda: rig.value("cctv_alerts_failed_total", result="timeout") >= 2)
        backend.faults = Faults()
        wait_for(lambda: rig.spool.depth() == 0)
    finally:
        rig.sender.stop()
        rig.sender.join(5)
    assert backend.keys() == ["key-0", "key-1"]
    assert backend.replays >= 1


def test_a_rejected_alert_is_set_aside_and_the_queue_moves_on(rig: Rig, backend: AlertBackend) -> None:
    rig.spool.put("bad", {**alert(0), "idempotency_key": "bad", "alert_type": "dragon"})
    rig.put(1)
    rig.sender.start()
    wait_for(lambda: rig.spool.depth() == 0)
    assert backend.keys() == ["key-0"]
    assert [key for key, _ in rig.spool.rejected()] == ["bad"]
    assert rig.value("cctv_alerts_failed_total", result="rejected") == 1


def test_a_refusal_is_reported_until_something_sent_later_is_delivered(
    tmp_path: Path, backend: AlertBackend
) -> None:
    # Issue 19: a refused message is lost data; the sender says so (the worker's /readyz and heartbeat
    # read ``rejection``) while nothing sent after it got through. (Its thread is not started: one send
    # at a time, by hand.)
    rig = Rig(tmp_path, backend)
    rig.spool.put("bad", {**alert(0), "idempotency_key": "bad", "alert_type": "dragon"})
    assert rig.sender.send_once() is not None
    assert rig.sender.rejection is not None
    assert "bad" in rig.sender.rejection and "HTTP 400" in rig.sender.rejection
    rig.put(1)
    rig.sender.send_once()
    assert rig.sender.rejection is None


class ExplodingOnce(BackendClient):
    """Raises where the real client never does (it classifies every failure): stands in for a bug."""

    exploded = False

    def send_alert(self, payload: dict[str, object]):
        if not self.exploded:
            self.exploded = True
            raise RuntimeError("boom")
        return super().send_alert(payload)


def test_an_unexpected_error_while_sending_keeps_the_alert_and_delivery_goes_on(
    tmp_path: Path, backend: AlertBackend
) -> None:
    rig = Rig(tmp_path, backend)
    rig.sender.client = ExplodingOnce(backend.url, backend.token, timeout=5)
    rig.sender.start()
    try:
        rig.put(1)
        wait_for(lambda: rig.spool.depth() == 0)
    finally:
        rig.sender.stop()
        rig.sender.join(5)
    assert backend.keys() == ["key-0"]
