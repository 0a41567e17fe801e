"""The operator's one retry schedule: a delay that doubles per consecutive failure, capped. Pure.

The sync waits this long after failed passes, and the local runtime before restarting a crashed worker.
"""

from __future__ import annotations

#: Past this many doublings the delay is at its cap anyway; bounding the exponent avoids huge floats.
_MAX_DOUBLINGS = 60


def doubling_delay(doublings: int, *, initial: float, maximum: float) -> float:
    """``initial * 2**doublings``, never more than ``maximum`` (negative ``doublings`` count as 0)."""
    return min(maximum, initial * 2.0 ** min(max(doublings, 0), _MAX_DOUBLINGS))
