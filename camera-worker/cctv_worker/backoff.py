"""Exponential backoff with jitter, capped, forever (reconnects and alert retries)."""

from __future__ import annotations

import random
from collections.abc import Callable


class Backoff:
    """Delays ``initial, initial*f, initial*f^2, ...`` up to ``maximum``, each shortened by up to
    ``jitter`` (a fraction) so that many workers restarted together do not retry in lockstep."""

    def __init__(
        self,
        initial: float,
        maximum: float,
        *,
        factor: float = 2.0,
        jitter: float = 0.2,
        rand: Callable[[], float] = random.random,
    ) -> None:
        if not 0.0 <= jitter < 1.0:
            raise ValueError("jitter must be in [0, 1)")
        self.initial = initial
        self.maximum = maximum
        self.factor = factor
        self.jitter = jitter
        self._rand = rand
        self.attempts = 0

    def next_delay(self) -> float:
        # RECONNECT_DELAY=0 means "retry at once", not "retry in a busy loop forever".
        base = self.initial if self.initial > 0 else 0.5
        raw = self.initial if self.attempts == 0 else base * self.factor**self.attempts
        self.attempts += 1
        delay = min(self.maximum, raw)
        return delay * (1.0 - self.jitter * self._rand())

    def reset(self) -> None:
        self.attempts = 0
