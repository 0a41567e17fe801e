"""The sender thread: sends the spool's oldest message (event opening, event update, clip) until the
backend acknowledges it, backing off with jitter while the backend is down or failing, and keeps the
spool-depth gauge current.

A backend that did not answer at all (down, unreachable, timing out) is probed every
``probe_interval`` seconds while the sender backs off, and a heartbeat the backend accepted wakes the
sender too: delivery resumes within a probe interval of the backend's return, not after the backoff
(which grows to RETRY_MAX_DELAY). A backend that answers with errors (5xx, 429) gets the full
backoff: it is up, and hammering it would not help it recover.
"""

from __future__ import annotations

import logging
import threading
import time

from cctv_worker.backoff import Backoff
from cctv_worker.delivery.client import BackendClient, Outcome
from cctv_worker.delivery.spool import CLIP, EVENT_UPDATE, Spool, SpooledMessage
from cctv_worker.metrics import WorkerMetrics

log = logging.getLogger(__name__)


class Sender(threading.Thread):
    def __init__(
        self,
        spool: Spool,
        client: BackendClient,
        metrics: WorkerMetrics,
        backoff: Backoff,
        *,
        probe_interval: float = 2.0,
    ) -> None:
        super().__init__(name="sender", daemon=True)
        self.probe_interval = probe_interval
        self._answered = threading.Event()  # the backend answered someone (a heartbeat): retry now
        self._unanswered = False  # the last attempt got no answer at all: probing helps
        self.spool = spool
        self.client = client
        self.metrics = metrics
        self.backoff = backoff
        self.stop_event = threading.Event()
        self._wake = threading.Event()
        self._failing = False
        # The last message the backend refused for good, while nothing sent since was delivered: data is
        # being lost, which /readyz, the heartbeat (the camera's state in the dashboard) and
        # cctv_alerts_failed_total{result="rejected"} say out loud. Replaced whole, read by other threads.
        self.rejection: str | None = None

    def wake(self) -> None:
        """A new alert was spooled: send now rather than at the next idle poll."""
        self._wake.set()

    def backend_answered(self) -> None:
        """Another thread heard from the backend (a heartbeat was accepted): end the backoff."""
        if self._failing:
            self._answered.set()

    def stop(self) -> None:
        self.stop_event.set()
        self._wake.set()

    def run(self) -> None:
        self.metrics.spool_depth.set(self.spool.depth())
        while not self.stop_event.is_set():
            try:
                delay = self.send_once()
            except Exception:
                # The alert stays spooled; a bug in one send must not stop delivery for good.
                log.exception("unexpected error while sending; retrying")
                delay = self.backoff.next_delay()
            if delay is None:
                self._wake.wait(1.0)
                self._wake.clear()
            else:
                self.wait_retry(delay)

    def wait_retry(self, delay: float) -> None:
        """Waits ``delay`` seconds, or less once the backend answers again."""
        deadline = time.monotonic() + delay
        while not self.stop_event.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if self._answered.wait(min(left, self.probe_interval)):
                self._answered.clear()
                log.info("backend answered a heartbeat; retrying now")
                return
            if self._unanswered and self.client.answers(timeout=min(2.0, self.probe_interval)):
                log.info("backend answers again; retrying now")
                return

    def send_once(self) -> float | None:
        """Sends the oldest alert; returns how long to wait before the next try, None when idle."""
        item = self.spool.head()
        if item is None:
            self.metrics.spool_depth.set(0)
            return None
        self.spool.attempted(item.key)
        self._answered.clear()
        result = self._deliver(item)
        alert_type = str(item.payload.get("alert_type"))
        delay: float | None = 0.0
        self._unanswered = result.failure in ("unreachable", "timeout")
        if result.outcome is Outcome.DELIVERED:
            self.spool.ack(item.key)
            self._count_sent(item)
            self.rejection = None
            self.backoff.reset()
            if self._failing:
                log.info("backend reachable again; delivering spooled alerts")
                self._failing = False
            log.info(
                "%s delivered",
                item.kind,
                extra={
                    "kind": item.kind,
                    "alert_type": alert_type,
                    "key": item.key,
                    "status": result.status,
                    "alert_id": result.alert_id,
                },
            )
        elif result.outcome is Outcome.REJECTED:
            self.spool.reject(item.key, f"{result.status}: {result.detail}")
            self.rejection = (
                f"the backend refused {item.kind} {item.key} (HTTP {result.status}): {result.detail}"
            )
            self.metrics.alert_failed("rejected")
            log.error(
                "backend rejected %s %s (HTTP %s): %s; kept in the spool's rejected table",
                item.kind,
                item.key,
                result.status,
                result.detail,
            )
        else:
            self.metrics.alert_failed(result.failure or "server_error")
            delay = self.backoff.next_delay()
            if result.retry_after is not None:
                delay = max(delay, min(result.retry_after, self.backoff.maximum))
            # One warning when trouble starts, then debug: a backend down for an hour is one line, not 3,600.
            level = logging.DEBUG if self._failing else logging.WARNING
            self._failing = True
            log.log(
                level,
                "%s not delivered (%s%s); retrying in %.1f s",
                item.kind,
                result.failure,
                f", HTTP {result.status}" if result.status else "",
                delay,
                extra={"spool_depth": self.spool.depth()},
            )
        self.metrics.spool_depth.set(self.spool.depth())
        return delay

    def _deliver(self, item: SpooledMessage):
        started = time.monotonic()
        if item.kind == CLIP:
            result = self.client.send_clip(item.payload)
            self.metrics.clip_upload_duration.observe(time.monotonic() - started)
            return result
        if item.kind == EVENT_UPDATE:
            return self.client.send_event_update(item.payload)
        result = self.client.send_alert(item.payload)
        self.metrics.alert_post_duration.observe(time.monotonic() - started)
        return result

    def _count_sent(self, item: SpooledMessage) -> None:
        if item.kind == CLIP:
            self.metrics.clips_sent.inc()
        elif item.kind == EVENT_UPDATE:
            self.metrics.event_updates_sent.inc()
        else:
            self.metrics.alert_sent(str(item.payload.get("alert_type")))

    def drain(self, deadline: float) -> bool:
        """Waits (until the monotonic ``deadline``) for the spool to empty; True when it did."""
        while time.monotonic() < deadline:
            if self.spool.depth() == 0:
                return True
            self._wake.set()
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
        return self.spool.depth() == 0
