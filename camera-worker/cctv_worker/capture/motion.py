"""The motion gate: the detector runs only on frames where something moved, plus one frame every
``forced_interval`` seconds regardless.

Pure apart from OpenCV arithmetic; time comes in as an argument. The check is cheap on purpose: the
frame is shrunk to ``width`` pixels wide, turned grey and blurred (sensor noise and compression
blocks must not count as motion), then compared with a running-average background. A pixel has
changed when it differs from the background by more than ``pixel_threshold`` grey levels; the frame
has motion when the changed pixels cover at least ``min_area`` of the unmasked frame. The background
follows the scene at ``background_rate`` per checked frame, so a slow change (a cloud, dusk) fades
into it instead of counting as motion for ever.

Masks are polygons in normalised 0..1 coordinates, like zones: what moves inside them (trees, a
clock, the road outside the fence) never opens the gate. They hide motion only; a person standing
in a mask is still detected on the forced frames and whenever motion elsewhere opens the gate.

The forced detection keeps what does not move visible: a person standing still in a zone, and an
open event that must see its object go to end on time. It comes every ``forced_interval`` seconds while
something is being followed (the caller says so: an open event, or an object seen recently), and only
every ``idle_interval`` seconds while nothing is (an empty scene, most of a camera's day): there it only
catches what came in without any motion the gate could see (inside a mask, or too small), and an
inference costs a hundred times the motion check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np

Polygon = Sequence[tuple[float, float]]


@dataclass(frozen=True, slots=True)
class MotionSettings:
    width: int = 320  # pixels; the check's cost grows with its square, its sensitivity barely
    pixel_threshold: int = 25  # grey levels (0..255) a pixel must differ from the background by
    min_area: float = 0.002  # fraction of the unmasked frame that must change: 0.2 %
    background_rate: float = 0.05  # weight of each new frame in the running background
    masks: tuple[tuple[tuple[float, float], ...], ...] = ()


class Reason(StrEnum):
    MOTION = "motion"
    FORCED = "forced"  # nothing moved, but the periodic detection is due
    STILL = "still"  # nothing moved: the detector is skipped


@dataclass(frozen=True, slots=True)
class GateDecision:
    reason: Reason
    changed: float  # fraction of the unmasked frame that changed

    @property
    def detect(self) -> bool:
        return self.reason is not Reason.STILL

    @property
    def motion(self) -> bool:
        return self.reason is Reason.MOTION


class MotionDetector:
    """Measures how much of a frame changed against a running background."""

    def __init__(self, settings: MotionSettings) -> None:
        self.settings = settings
        self._background: np.ndarray | None = None
        self._mask: np.ndarray | None = None  # 255 where motion counts; None: everywhere
        self._usable = 0  # pixels where motion counts

    def reset(self) -> None:
        """Forget the background (after a reconnect the picture may have changed completely)."""
        self._background = None

    def changed_fraction(self, image: np.ndarray) -> float | None:
        """Returns the changed fraction of the unmasked frame; None for the first frame (no background)."""
        grey = self._prepare(image)
        if self._background is None or self._background.shape != grey.shape:
            self._background = grey.astype(np.float32)
            self._build_mask(grey.shape)
            return None
        diff = cv2.absdiff(grey, cv2.convertScaleAbs(self._background))
        _, changed = cv2.threshold(diff, self.settings.pixel_threshold, 255, cv2.THRESH_BINARY)
        if self._mask is not None:
            changed = cv2.bitwise_and(changed, self._mask)
        cv2.accumulateWeighted(grey, self._background, self.settings.background_rate)
        if self._usable == 0:
            return 0.0  # the masks cover the whole frame
        return cv2.countNonZero(changed) / self._usable

    def _prepare(self, image: np.ndarray) -> np.ndarray:
        height, width = image.shape[:2]
        target_w = min(self.settings.width, width)
        target_h = max(1, round(height * target_w / width))
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
        # INTER_AREA averages the pixels it drops: a built-in denoise at no extra cost.
        if width != target_w:  # a grey copy made small already (Frame.grey) is used as it is
            grey = cv2.resize(grey, (target_w, target_h), interpolation=cv2.INTER_AREA)
        return cv2.GaussianBlur(grey, (5, 5), 0)

    def _build_mask(self, shape: tuple[int, ...]) -> None:
        height, width = shape[:2]
        if not self.settings.masks:
            self._mask, self._usable = None, height * width
            return
        mask = np.full((height, width), 255, dtype=np.uint8)
        scale = np.array([width, height], dtype=np.float64)
        polygons = [np.round(np.array(poly, dtype=np.float64) * scale).astype(np.int32)
                    for poly in self.settings.masks]  # fmt: skip
        cv2.fillPoly(mask, polygons, 0)
        self._mask, self._usable = mask, cv2.countNonZero(mask)


class MotionGate:
    """Decides per frame whether the detector runs. ``forced_interval`` 0 forces nothing, whatever
    ``idle_interval`` says; ``idle_interval`` 0 forces nothing while nothing is followed, and None (or one
    shorter than ``forced_interval``) is ``forced_interval``."""

    def __init__(
        self, detector: MotionDetector, *, forced_interval: float, idle_interval: float | None = None
    ) -> None:
        self.detector = detector
        self.forced_interval = forced_interval
        if forced_interval <= 0 or idle_interval == 0:
            self.idle_interval = 0.0
        else:
            self.idle_interval = max(forced_interval, idle_interval or 0.0)
        self._last_detect: float | None = None

    def decide(self, image: np.ndarray, now: float, *, following: bool = True) -> GateDecision:
        """``now`` is a monotonic time in seconds; ``following``: an event is open or an object was seen
        recently (the forced detection then comes every ``forced_interval``, else every
        ``idle_interval``). The first frame (after a reset) is always analysed: there is no background to
        compare it with, and what is already there must be seen."""
        measured = self.detector.changed_fraction(image)
        changed = 0.0 if measured is None else measured
        interval = self.forced_interval if following else self.idle_interval
        if measured is None:
            reason = Reason.FORCED
        elif changed >= self.detector.settings.min_area and changed > 0.0:
            reason = Reason.MOTION
        elif interval > 0 and (self._last_detect is None or now - self._last_detect >= interval):
            reason = Reason.FORCED
        else:
            reason = Reason.STILL
        if reason is not Reason.STILL:
            self._last_detect = now
        return GateDecision(reason, changed)

    def reset(self) -> None:
        self.detector.reset()
