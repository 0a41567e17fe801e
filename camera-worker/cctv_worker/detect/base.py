"""What every detector returns, and the interface the worker calls."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from cctv_common.detector_states import UNAVAILABLE


@dataclass(frozen=True, slots=True)
class Detection:
    """One object: its class name, confidence and box ``(x1, y1, x2, y2)`` normalised to 0..1."""

    label: str
    confidence: float
    box: tuple[float, float, float, float]

    @property
    def area(self) -> float:
        x1, y1, x2, y2 = self.box
        return max(0.0, x2 - x1) * max(0.0, y2 - y1)

    @property
    def bottom_centre(self) -> tuple[float, float]:
        """Where the object stands: what zones are tested against."""
        x1, _, x2, y2 = self.box
        return ((x1 + x2) / 2.0, y2)

    def as_payload(self) -> dict[str, object]:
        return {
            "label": self.label,
            "confidence": round(self.confidence, 4),
            "box": [round(v, 4) for v in self.box],
        }


@dataclass(frozen=True, slots=True)
class DetectorHealth:
    """Where a worker's frames are analysed: ``state`` is one of ``cctv_common.detector_states`` (what
    ``/readyz`` and the operator report), ``reason`` says why while it is not the service."""

    state: str
    reason: str | None = None

    @property
    def analysing(self) -> bool:
        return self.state != UNAVAILABLE


class Detector(Protocol):
    backend: str
    names: Mapping[int, str]

    def detect(self, image: np.ndarray) -> list[Detection]:
        """Detections in a BGR frame with confidence >= the detector's floor."""
        ...

    def health(self) -> DetectorHealth | None:
        """The shared detector as this worker sees it; None for a model of the worker's own (nothing
        to report: no state in ``/readyz``, no service metrics)."""
        ...

    def watch(self, on_error: Callable[[str], None]) -> None:
        """Have ``on_error`` told why each frame the shared detector did not answer failed."""
        ...


class LocalModel:
    """What a detector with its own model answers for the service parts of ``Detector``."""

    def health(self) -> DetectorHealth | None:
        return None

    def watch(self, on_error: Callable[[str], None]) -> None:
        """A local model has no service whose errors could be counted."""


class DetectorUnavailable(RuntimeError):
    """The shared detector did not answer this frame; ``result`` says how (timeout, unreachable, rejected)."""

    def __init__(self, result: str, message: str) -> None:
        super().__init__(message)
        self.result = result
