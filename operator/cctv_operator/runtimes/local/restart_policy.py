"""When a dead worker process may start again: pure decisions, no processes, no clock of its own."""

from __future__ import annotations

from dataclasses import dataclass

from cctv_operator.backoff import doubling_delay


@dataclass(frozen=True)
class RestartPolicy:
    """Exponential backoff for crashing workers, forgiven once a worker has run long enough.

    A camera whose worker crashes at once (bad model file, port taken) must not spin a CPU core, and
    one that crashed once a day ago must not wait minutes to come back.
    """

    initial_delay: float = 1.0
    max_delay: float = 60.0
    stable_after: float = 60.0

    def delay(self, consecutive_failures: int) -> float:
        """Seconds to wait before start number ``consecutive_failures + 1`` (0 failures: no wait)."""
        if consecutive_failures <= 0:
            return 0.0
        return doubling_delay(consecutive_failures - 1, initial=self.initial_delay, maximum=self.max_delay)

    def failures_after_exit(self, consecutive_failures: int, ran_for: float) -> int:
        """The failure count after a worker exits having run ``ran_for`` seconds."""
        if ran_for >= self.stable_after:
            return 1
        return consecutive_failures + 1
