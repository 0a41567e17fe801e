"""Object filters per alert type: box area, box shape, and a score the object must hold over its
track's life before it opens an event. Pure.

They cut the false alerts a detector makes on every site: a "person" the size of the whole frame (a
bug on the lens), a "car" one pixel high, a shadow scored 0.9 on one frame and never again.

- ``min_area`` / ``max_area``: the box's area as a fraction of the frame.
- ``min_ratio`` / ``max_ratio``: the box's width / height in pixels (a standing person is about 0.4,
  a car side-on about 2).
- ``min_score``: the track's score must reach it before its event opens. The track's score is the
  median of its last ``SCORE_HISTORY`` confidences, padded with zeros up to ``MIN_SCORE_FRAMES``
  (Frigate's rule): one frame alone scores 0, so a single lucky detection never opens an event,
  while a real object seen on two analysed frames at or above the score does.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cctv_worker.detect.base import Detection

SCORE_HISTORY = 10
MIN_SCORE_FRAMES = 3


class ObjectFilter(BaseModel):
    """One alert type's filter; every bound is optional (the defaults let everything through)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_area: float = Field(0.0, ge=0.0, le=1.0)
    max_area: float = Field(1.0, ge=0.0, le=1.0)
    min_ratio: float = Field(0.0, ge=0.0, le=100.0)
    max_ratio: float = Field(100.0, ge=0.0, le=100.0)
    min_score: float = Field(0.0, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> ObjectFilter:
        if self.min_area > self.max_area:
            raise ValueError(f"min_area {self.min_area} is larger than max_area {self.max_area}")
        if self.min_ratio > self.max_ratio:
            raise ValueError(f"min_ratio {self.min_ratio} is larger than max_ratio {self.max_ratio}")
        return self


def aspect_ratio(det: Detection, frame_aspect: float) -> float:
    """Width / height of the box in pixels; ``frame_aspect`` is the frame's width / height."""
    x1, y1, x2, y2 = det.box
    height = max(y2 - y1, 1e-9)
    return (x2 - x1) / height * frame_aspect


def box_passes(det: Detection, flt: ObjectFilter, frame_aspect: float) -> bool:
    """Whether the box's size and shape are plausible for its type (the score is the track's)."""
    if not flt.min_area <= det.area <= flt.max_area:
        return False
    return flt.min_ratio <= aspect_ratio(det, frame_aspect) <= flt.max_ratio


def track_score(scores: Sequence[float]) -> float:
    """The median of the last confidences, padded with zeros to ``MIN_SCORE_FRAMES`` entries."""
    recent = list(scores[-SCORE_HISTORY:])
    recent += [0.0] * (MIN_SCORE_FRAMES - len(recent))
    return statistics.median(recent)
