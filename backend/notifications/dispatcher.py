"""The delivery process's loop: claim due deliveries, send them in parallel, record each outcome.

Only this loop's thread touches the database; senders run in a thread pool and get plain ``Message``s.
Time comes from ``clock`` so that tests can move it (retry windows, heartbeats that stop) without sleeping.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from notifications import services
from notifications.messages import message_for
from notifications.models import Delivery
from notifications.senders import Message, Outcome
from notifications.senders import send as send_message

logger = logging.getLogger(__name__)

Sender = Callable[[Message], Outcome]


def _send_safely(send: Sender, message: Message) -> Outcome:
    try:
        return send(message)
    except Exception as error:  # a sender bug must not kill the loop: the row is retried and logged
        logger.exception("sender for %s crashed", message.kind)
        return Outcome.retry(f"internal error: {type(error).__name__}: {error}")


@dataclass
class Dispatcher:
    send: Sender = send_message
    clock: Callable[[], datetime] = timezone.now
    batch_size: int = field(default_factory=lambda: settings.NOTIFY_BATCH_SIZE)
    concurrency: int = field(default_factory=lambda: settings.NOTIFY_CONCURRENCY)
    lease_seconds: float = field(default_factory=lambda: settings.NOTIFY_LEASE_SECONDS)
    poll_seconds: float = field(default_factory=lambda: settings.NOTIFY_POLL_SECONDS)
    # Availability is checked this often (heartbeats come every 15 s; a few seconds late is fine).
    sweep_seconds: float = 5.0

    def __post_init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="notify")
        self._last_sweep: datetime | None = None

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def run_once(self) -> int:
        """One round: the availability sweep when due, then one claimed batch sent. Returns the count."""
        now = self.clock()
        if self._last_sweep is None or (now - self._last_sweep).total_seconds() >= self.sweep_seconds:
            services.availability_sweep(now=now)
            self._last_sweep = now
        claimed = services.outbox_claim(now=now, limit=self.batch_size, lease_seconds=self.lease_seconds)
        if not claimed:
            return 0
        futures = {}
        for delivery in claimed:
            if not delivery.channel.enabled:
                services.delivery_record(
                    delivery=delivery, outcome=Outcome.final("the channel is disabled"), now=self.clock()
                )
                continue
            futures[self._pool.submit(_send_safely, self.send, message_for(delivery))] = delivery
        results: list[tuple[Delivery, Outcome, datetime]] = []
        for future in as_completed(futures):
            results.append((futures[future], future.result(), self.clock()))
        # The batch's results in two statements (not one commit per row); the sends happened outside any
        # transaction, so SQLite's writer lock is never held while waiting on a receiver.
        services.deliveries_record(results=results)
        return len(claimed)

    def run(self, stop: threading.Event) -> None:
        """Until ``stop`` is set: send while there is work, poll every ``poll_seconds`` when idle."""
        try:
            while not stop.is_set():
                try:
                    sent = self.run_once()
                except Exception:
                    # A database hiccup: log, drop the connection, try again after a poll interval.
                    logger.exception("delivery round failed")
                    close_old_connections()
                    sent = 0
                if not sent:
                    stop.wait(self.poll_seconds)
        finally:
            connection.close()  # this thread's connection (a loop may run in a thread of its own)
