"""The clearest view of each open event (its snapshot JPEG and the boxes drawn on it) and whether the
backend has it yet: the alert carries the best view so far, a later event update carries a clearer one
only once. Pure bookkeeping, keyed by event key."""

from __future__ import annotations

from dataclasses import dataclass, replace

from cctv_worker.detect.base import Detection


@dataclass(frozen=True, slots=True)
class BestView:
    jpeg: bytes
    detections: tuple[Detection, ...]
    sent: bool = False


class BestViews:
    def __init__(self) -> None:
        self._views: dict[str, BestView] = {}

    def offer(self, key: str, jpeg: bytes, detections: tuple[Detection, ...]) -> None:
        """A clearer view of the event (the event logic chose it): not sent yet."""
        self._views[key] = BestView(jpeg, tuple(detections))

    def take(self, key: str) -> BestView | None:
        """The event's best view, sent or not (for the alert that opens it); from now on it is sent."""
        view = self._views.get(key)
        if view is not None:
            self._views[key] = replace(view, sent=True)
        return view

    def take_unsent(self, key: str) -> BestView | None:
        """The event's best view if the backend does not have it yet (for an event update)."""
        view = self._views.get(key)
        return self.take(key) if view is not None and not view.sent else None

    def forget(self, key: str) -> None:
        """The event closed: nothing more will be sent for it."""
        self._views.pop(key, None)
