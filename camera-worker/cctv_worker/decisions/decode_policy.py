"""Whether the capture may decode keyframes only: while the scene is quiet (no motion, no open event)
for ``hold_seconds``, it may; as soon as something moves, every frame is decoded again. A person pausing
for a moment should not cost the next group of pictures' frames. Pure: time comes in as an argument."""

from __future__ import annotations

# After the last motion (or the last open event), keep decoding every frame this long.
MOTION_HOLD_SECONDS = 3.0


class DecodePolicy:
    def __init__(self, *, now: float, hold_seconds: float = MOTION_HOLD_SECONDS) -> None:
        self.hold_seconds = hold_seconds
        self._last_busy = now

    def keyframes_only(self, *, motion: bool, events_open: bool, now: float) -> bool:
        if motion or events_open:
            self._last_busy = now
        return now - self._last_busy >= self.hold_seconds
