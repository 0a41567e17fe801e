"""Which shared detector a camera's worker calls. Pure.

A Camera's `detection.detector` is empty (the operator's default: WORKER_DETECTOR_URL, which may itself
be empty, meaning in the worker), ``local`` (in the worker, whatever the default) or the name of a
detector pool, which the operator knows from WORKER_DETECTOR_POOLS (the chart sets it from its
`detector.pools` values). The worker gets the answer as DETECTOR_URL; an empty answer leaves it out.
"""

from __future__ import annotations

from collections.abc import Mapping

#: The choice that keeps inference in the worker even where the operator has a default detector.
LOCAL = "local"


class UnknownDetector(ValueError):
    """The Camera names a detector pool this operator does not know; the message says which it knows."""


def detector_url(choice: str, *, pools: Mapping[str, str], default: str) -> str:
    """The gRPC address the worker should call ("" = in-process inference)."""
    if not choice:
        return default
    if choice == LOCAL:
        return ""
    try:
        return pools[choice]
    except KeyError:
        known = ", ".join(sorted(pools)) or "none"
        raise UnknownDetector(
            f"detection.detector {choice!r} is not a detector pool of this operator (known: {known}; "
            'the chart\'s detector.pools), nor "local" or empty'
        ) from None
