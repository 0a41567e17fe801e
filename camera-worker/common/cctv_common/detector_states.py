"""The states of a worker's detector, as the worker reports them (``/readyz``'s ``detector``) and the
operator reads them into the Camera's status: one spelling for both."""

from __future__ import annotations

from typing import Final

SERVICE: Final = "service"  # the shared detector answers
FALLBACK: Final = "local fallback"  # the shared detector is down; the worker's own model answers
UNAVAILABLE: Final = "unavailable"  # neither: no detection
STATES: Final = (SERVICE, FALLBACK, UNAVAILABLE)
