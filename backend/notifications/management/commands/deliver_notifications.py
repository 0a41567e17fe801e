"""``manage.py deliver_notifications``: the delivery process (scripts/run starts it; the chart deploys it).

Runs until SIGTERM/SIGINT, finishing the batch in hand. Several may run side by side on PostgreSQL.
"""

from __future__ import annotations

import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from prometheus_client import start_http_server

from notifications.dispatcher import Dispatcher

logger = logging.getLogger("notifications.deliver")


class Command(BaseCommand):
    help = "Send queued notifications (webhooks, MQTT, e-mail) until stopped."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Send what is due now, then exit (cron, tests)."
        )

    def handle(self, *args, once: bool = False, **options) -> None:
        dispatcher = Dispatcher()
        try:
            if once:
                while dispatcher.run_once():
                    pass
                return
            if settings.NOTIFY_METRICS_PORT:
                start_http_server(settings.NOTIFY_METRICS_PORT, addr=settings.NOTIFY_METRICS_HOST)
            stop = threading.Event()
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: stop.set())
            logger.warning(
                "delivering notifications (metrics on %s:%s, %s in parallel)",
                settings.NOTIFY_METRICS_HOST,
                settings.NOTIFY_METRICS_PORT,
                dispatcher.concurrency,
            )
            dispatcher.run(stop)
        finally:
            dispatcher.close()
