"""Which frames are analysed: every FRAME_SKIP-th one, or DETECT_FPS per second.

Pure: the capture loop asks before each frame. While the motion gate has the capture decode keyframes
only (nothing moves), ``keyframe_due`` picks the first keyframe at or past each sampling period: an idle
camera is checked no more often than it would be analysed without the gate, and a keyframe that is not
due is not even decoded. Frames answered True are ``read`` (converted to BGR and
handed to the detector); the rest are only ``grab``bed: FFmpeg still decodes them (H.264 frames depend
on each other) but the colour conversion and copy, most of the per-frame cost in Python, are skipped.
"""

from __future__ import annotations


class FrameSampler:
    def __init__(self, frame_skip: int, detect_fps: float | None = None) -> None:
        if frame_skip < 1:
            raise ValueError("frame_skip must be >= 1")
        self.frame_skip = frame_skip
        self.interval = 1.0 / detect_fps if detect_fps else None
        self._next: float | None = None
        self._last_key: float | None = None  # the last due keyframe: its index, or its time with detect_fps

    def should_decode(self, frame_index: int, now: float) -> bool:
        """``frame_index`` counts from 0 per connection; ``now`` is a monotonic time in seconds."""
        if self.interval is None:
            return frame_index % self.frame_skip == 0
        # Due times follow a fixed grid (no drift from frame jitter); a few ms of tolerance keep a
        # frame that arrives a hair early from being skipped; after a gap the grid restarts at now.
        if self._next is None or now >= self._next - 0.005:
            behind = self._next is None or now - self._next >= self.interval
            self._next = (now if behind else self._next) + self.interval
            return True
        return False

    def keyframe_due(self, frame_index: int, now: float) -> bool:
        if self.interval is None:
            due = self._last_key is None or frame_index - self._last_key >= self.frame_skip
            mark: float = frame_index
        else:
            due = self._last_key is None or now >= self._last_key + self.interval - 0.005
            mark = now
        if due:
            self._last_key = mark
        return due

    def reset(self) -> None:
        self._next = None
        self._last_key = None
