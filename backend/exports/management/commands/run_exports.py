"""``manage.py run_exports``: the export job (scripts/run starts it; the chart runs it beside the backend).

Runs until SIGTERM/SIGINT, finishing the export in hand. Several may run side by side (each export is
claimed by one of them, exports.jobs).
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

from django.core.management.base import BaseCommand

from exports import jobs

logger = logging.getLogger("exports.jobs")


class Command(BaseCommand):
    help = "Make the exports users asked for (MP4s of recorded footage) until stopped."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="Make what is waiting now, then exit.")
        parser.add_argument(
            "--alive-file",
            type=Path,
            help="Touched while the job works or waits (a liveness probe checks its age).",
        )

    def handle(self, *args, once: bool = False, alive_file: Path | None = None, **options) -> None:
        if once:
            while jobs.run_once():
                pass
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        logger.warning("making exports")
        jobs.run_forever(stop, beat=alive_file.touch if alive_file else jobs.no_beat)
