"""Packet sinks never hold capture up: a sink behind its queue that falls behind loses packets up to the
next keyframe (counted), never a connect or a disconnect; a disconnect waits for the sink to finish the
connection; a sink's error costs that packet only. Real threads; conditions waited on, never slept."""

from __future__ import annotations

import threading
import time
from fractions import Fraction

from prometheus_client import CollectorRegistry

from cctv_worker.capture.packets import TimedPacket
from cctv_worker.capture.sinks import QueuedSink
from cctv_worker.metrics import WorkerMetrics

from .helpers import wait_for


def packet(n: int, *, keyframe: bool = False) -> TimedPacket:
    return TimedPacket(n, float(n), n, n, Fraction(1, 30), keyframe, 100)


class Recording:
    """A sink that writes down what it got, and can be held up until a test lets it go."""

    def __init__(self) -> None:
        self.got: list[object] = []
        self.gate = threading.Event()
        self.gate.set()

    def on_connect(self, template) -> None:
        self.got.append(("connect", template))

    def on_packet(self, item: TimedPacket) -> None:
        self.gate.wait(10)
        if item.packet == "boom":
            raise RuntimeError("a bug in the sink")
        self.got.append(item.packet)

    def on_disconnect(self) -> None:
        self.got.append("disconnect")


def test_a_stuck_sink_never_blocks_capture_and_resumes_at_a_keyframe_with_the_drops_counted() -> None:
    metrics = WorkerMetrics(CollectorRegistry(), 7)
    inner = Recording()
    sink = QueuedSink(inner, name="clips", max_packets=3, on_dropped=metrics.sink_packet_dropped("clips"))
    inner.gate.clear()  # the sink hangs on its first packet
    sink.on_connect("stream")
    started = time.monotonic()
    sink.on_packet(packet(0, keyframe=True))  # taken by the sink's thread, which then hangs
    wait_for(lambda: sink.backlog == 0, interval=0.001)  # the thread holds packet 0
    for n in range(1, 10):  # 1..3 fit in the queue; 4..9 are dropped (no keyframe among them)
        sink.on_packet(packet(n))
    assert time.monotonic() - started < 1.0  # capture went on while the sink was stuck
    inner.gate.set()
    wait_for(lambda: sink.backlog == 0, interval=0.001)
    sink.on_packet(packet(10))  # room again, but not a keyframe: still dropped
    sink.on_packet(packet(11, keyframe=True))  # resumes here
    sink.on_packet(packet(12))
    sink.on_disconnect()  # returns once the sink had everything before it
    assert inner.got == [("connect", "stream"), 0, 1, 2, 3, 11, 12, "disconnect"]
    dropped = metrics.registry.get_sample_value(
        "cctv_sink_packets_dropped_total", {"camera": "7", "sink": "clips"}
    )
    assert dropped == 7
    sink.close()


def test_a_sinks_error_costs_that_packet_only() -> None:
    inner = Recording()
    sink = QueuedSink(inner, name="clips")
    sink.on_connect("stream")
    sink.on_packet(packet(0, keyframe=True))
    sink.on_packet(TimedPacket("boom", 1.0, 1, 1, Fraction(1, 30), False, 100))
    sink.on_packet(packet(2))
    sink.on_disconnect()
    sink.close()
    assert inner.got == [("connect", "stream"), 0, 2, "disconnect"]


def test_the_dropped_counter_starts_at_zero_for_each_sink() -> None:
    metrics = WorkerMetrics(CollectorRegistry(), 7)
    metrics.sink_packet_dropped("clips")
    labels = {"camera": "7", "sink": "clips"}
    assert metrics.registry.get_sample_value("cctv_sink_packets_dropped_total", labels) == 0


def test_a_batched_sink_gets_every_packet_in_order_in_a_few_turns_and_a_disconnect_still_waits() -> None:
    class Turns(Recording):
        """Counts the sink thread's turns: packets handed over between two waits are one batch."""

        def __init__(self) -> None:
            super().__init__()
            self.threads: set[int] = set()

        def on_packet(self, item: TimedPacket) -> None:
            self.threads.add(threading.get_ident())
            super().on_packet(item)

    sink = Turns()
    queued = QueuedSink(sink, name="batched", batch_seconds=0.2)
    woken = 0
    original = queued._cond.notify_all

    def counting_notify() -> None:
        nonlocal woken
        woken += 1
        original()

    queued._cond.notify_all = counting_notify  # type: ignore[method-assign]
    try:
        queued.on_connect("template")
        before = woken
        for n in range(60):
            queued.on_packet(packet(n, keyframe=n % 30 == 0))
        assert woken == before  # no wake-up per packet: the thread takes them at its next turn
        queued.on_disconnect()  # returns once the sink has handled the connection's packets
        assert sink.got == [("connect", "template"), *range(60), "disconnect"]
    finally:
        queued.close()


def test_a_batched_sink_is_woken_early_when_half_its_queue_is_full() -> None:
    sink = Recording()
    queued = QueuedSink(sink, name="batched", batch_seconds=30.0, max_packets=20)
    try:
        queued.on_connect("template")
        wait_for(lambda: sink.got == [("connect", "template")], 5)
        started = time.monotonic()
        for n in range(10):
            queued.on_packet(packet(n, keyframe=n == 0))
        wait_for(lambda: len(sink.got) == 11, 5, what="the half-full queue handled")
        assert time.monotonic() - started < 5  # long before the 30 s turn
    finally:
        queued.close()
