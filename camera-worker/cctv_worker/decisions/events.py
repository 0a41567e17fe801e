"""Event lifecycle: when an event opens, who joins it, when it closes. Pure; the clock is an argument.

- An event opens when a tracked object of an enabled alert type is confirmed (seen on ``min_frames``
  analysed frames, and its track's score has reached its type's ``min_score``: object_filters.py, so
  that one lucky frame does not open an event); the worker creates its alert at once.
- Every confirmed object of that type that appears while the event is open joins it. One that appears
  within ``cooldown`` seconds after the event closed reopens it: nothing seen is dropped, and the
  cooldown only limits how often a camera opens *new* events.
- The event closes when none of its objects has been seen for ``grace`` seconds; its end is the last
  time one was seen. ``max_length`` splits a very long event (a parked car) so that clips stay bounded:
  the event closes and a new one continues with the objects still in view.
- Updates (objects joined, more at once, a clearer view) are coalesced to one per ``update_interval``;
  the close carries the final state.

Times are Unix seconds (the frames' capture times), so they are the alert's timestamps as they are.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from cctv_worker.decisions.filters import Candidate
from cctv_worker.decisions.object_filters import track_score
from cctv_worker.decisions.tracking import Track, Tracker
from cctv_worker.detect.base import Detection


class Change(StrEnum):
    OPENED = "opened"
    UPDATED = "updated"
    REOPENED = "reopened"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class EventObject:
    track_id: int
    label: str
    alert_type: str
    first_seen: float
    last_seen: float
    confidence: float  # the best seen
    zones: tuple[str, ...]  # entered, in order


@dataclass(frozen=True, slots=True)
class EventState:
    """What the backend gets: one immutable view of an event at one moment."""

    key: str  # the alert's idempotency key
    alert_type: str
    started_at: float
    ended_at: float | None  # None while open
    last_seen: float
    peak_count: int
    objects: tuple[EventObject, ...]
    confidence: float
    description: str
    revision: int  # grows with every change: the backend keeps the newest, whatever order they arrive in
    continues: str | None = None  # the key of the event this one continues after a split

    @property
    def open(self) -> bool:
        return self.ended_at is None


@dataclass(frozen=True, slots=True)
class EventChange:
    change: Change
    event: EventState
    detections: tuple[Detection, ...] = ()  # this frame's objects of the event (snapshot of an opening)


@dataclass(frozen=True, slots=True)
class FrameResult:
    changes: tuple[EventChange, ...]
    # Events for which this frame is the clearest view so far, with the boxes to draw.
    best_views: tuple[tuple[str, tuple[Detection, ...]], ...] = ()
    # The tracks seen on this frame (confirmed or not): the live view's overlay draws them.
    seen: tuple[Track, ...] = ()


_NOUNS = {
    "person": ("person", "people"),
    "vehicle": ("vehicle", "vehicles"),
    "intrusion": ("intruder", "intruders"),
    "suspicious": ("suspicious object", "suspicious objects"),
    "violence": ("person fighting", "people fighting"),
    "fire": ("fire", "fires"),
    "smoke": ("smoke cloud", "smoke clouds"),
}


def describe(alert_type: str, *, peak: int, total: int, zones: Sequence[str]) -> str:
    """``3 people in zone Porch``: the alert type and counts, never the model's raw class names."""
    one, many = _NOUNS.get(alert_type, (alert_type, alert_type))
    text = f"{peak} {one if peak == 1 else many}"
    if total > peak:
        text += f" ({total} seen in all)"
    if zones:
        text += f" in zone{'s' if len(zones) > 1 else ''} {', '.join(zones)}"
    return text


def view_score(detection: Detection) -> float:
    """How clear a view is: confident and large (the square root keeps size from outweighing certainty)."""
    return detection.confidence * max(detection.area, 0.0) ** 0.5


@dataclass(slots=True)
class _Event:
    key: str
    alert_type: str
    started_at: float
    last_seen: float
    objects: dict[int, EventObject] = field(default_factory=dict)
    peak_count: int = 0
    ended_at: float | None = None
    revision: int = 0
    best_score: float = 0.0
    dirty: bool = False
    last_update: float = 0.0
    continues: str | None = None

    def state(self) -> EventState:
        objects = tuple(sorted(self.objects.values(), key=lambda o: (o.first_seen, o.track_id)))
        zones = list(dict.fromkeys(z for o in objects for z in o.zones))
        return EventState(
            key=self.key,
            alert_type=self.alert_type,
            started_at=self.started_at,
            ended_at=self.ended_at,
            last_seen=self.last_seen,
            peak_count=self.peak_count,
            objects=objects,
            confidence=max((o.confidence for o in objects), default=0.0),
            description=describe(self.alert_type, peak=self.peak_count, total=len(objects), zones=zones),
            revision=self.revision,
            continues=self.continues,
        )


class EventLogic:
    def __init__(
        self,
        *,
        cooldown: float,
        max_age: float,
        grace: float = 10.0,
        max_length: float = 600.0,
        min_frames: int = 1,
        update_interval: float = 5.0,
        new_key: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self.cooldown = cooldown
        self.grace = grace
        self.max_length = max_length
        self.min_frames = min_frames
        self.update_interval = update_interval
        self.new_key = new_key
        self.tracker = Tracker(max_age=max(max_age, grace))
        self.open: dict[str, _Event] = {}  # by alert type
        self.closed: dict[str, _Event] = {}  # the last closed event per type (reopened within the cooldown)
        self._now = float("-inf")

    def following(self, now: float) -> bool:
        """An event is open, or an object (confirmed or not yet) was seen within the tracker's memory:
        the motion gate then forces detections often enough to see a still object and end events on
        time."""
        return bool(self.open) or any(now - t.last_seen <= self.tracker.max_age for t in self.tracker.tracks)

    def on_frame(self, candidates: Sequence[Candidate], now: float) -> FrameResult:
        changes: list[EventChange] = []
        seen = self.tracker.update(candidates, now)
        by_type: dict[str, list[Track]] = {}
        for track in seen:
            if self._confirmed(track):
                by_type.setdefault(track.alert_type, []).append(track)
        best_views: list[tuple[str, tuple[Detection, ...]]] = []
        for alert_type, tracks in sorted(by_type.items()):
            event, change = self._event_for(alert_type, now)
            detections = tuple(t.candidate.detection for t in tracks if t.candidate)
            joined = self._observe(event, tracks, now)
            count = len(tracks)
            if count > event.peak_count:
                event.peak_count = count
                event.dirty = True
            score = max((view_score(d) for d in detections), default=0.0)
            if score > event.best_score * 1.1:
                event.best_score = score
                best_views.append((event.key, detections))
                event.dirty = event.dirty or change is None
            if change is not None:
                event.revision += 1
                event.dirty = False
                event.last_update = now
                changes.append(EventChange(change, event.state(), detections))
            elif joined:
                event.dirty = True
        changes.extend(self.tick(now, _seen_types=set(by_type)))
        return FrameResult(tuple(changes), tuple(best_views), tuple(seen))

    def tick(self, now: float, *, _seen_types: set[str] | None = None) -> list[EventChange]:
        """Closes events nobody was seen in for ``grace``, splits long ones, sends coalesced updates.
        ``on_frame`` runs it at each frame's time; the worker also calls it when no frame comes (a
        stream that died ends its events too). Time never runs backwards here."""
        now = max(now, self._now)
        self._now = now
        changes: list[EventChange] = []
        for alert_type, event in sorted(self.open.items()):
            if now - event.last_seen >= self.grace:
                changes.append(self._close(event, ended_at=event.last_seen))
            elif now - event.started_at >= self.max_length:
                changes.append(self._close(event, ended_at=now))
                follow = self._new(alert_type, now, continues=event.key)
                # The objects in view carry over, so that the continuation is not empty.
                for obj in event.objects.values():
                    if now - obj.last_seen < self.grace:
                        follow.objects[obj.track_id] = replace(obj, first_seen=now)
                follow.peak_count = max(1, len(follow.objects))
                follow.last_seen = max((o.last_seen for o in follow.objects.values()), default=now)
                follow.revision = 1
                follow.last_update = now
                # Their last boxes: the worker draws them on its last frame, the continuation's snapshot
                # (a real event from its first second: the backend refuses an alert without one).
                boxes = tuple(
                    t.candidate.detection
                    for t in self.tracker.tracks
                    if t.id in follow.objects and t.candidate is not None
                )
                changes.append(EventChange(Change.OPENED, follow.state(), boxes))
            elif event.dirty and now - event.last_update >= self.update_interval:
                event.revision += 1
                event.dirty = False
                event.last_update = now
                changes.append(EventChange(Change.UPDATED, event.state()))
        return changes

    def close_all(self, now: float) -> list[EventChange]:
        """Shutdown: every open event ends at its last sighting."""
        return [self._close(e, ended_at=min(e.last_seen, now)) for _, e in sorted(self.open.items())]

    def hand_over_all(self) -> list[EventChange]:
        """Shutdown for a restart: every open event stays open, its latest state sent once more, for the
        next worker to continue (``adopt``)."""
        changes = []
        for _, event in sorted(self.open.items()):
            event.revision += 1
            event.dirty = False
            changes.append(EventChange(Change.UPDATED, event.state()))
        return changes

    def adopt(
        self,
        *,
        key: str,
        alert_type: str,
        started_at: float,
        revision: int,
        peak_count: int,
        objects: Sequence[EventObject],
        now: float,
    ) -> bool:
        """Continue an event that the previous worker handed over: same key, revisions above its last.
        Its grace runs from ``now`` (the restart is no absence of its objects): seen again in time, it goes
        on; else it closes then. False (nothing adopted) when an event of that type is open already."""
        if alert_type in self.open:
            return False
        event = _Event(key, alert_type, started_at=min(started_at, now), last_seen=now, revision=revision)
        event.objects = {obj.track_id: obj for obj in objects}
        event.peak_count = max(peak_count, 1)
        event.last_update = now
        self.open[alert_type] = event
        self.tracker.reserve_ids(max(event.objects, default=0))
        self._now = max(self._now, now)
        return True

    # ---- internals ----

    def _confirmed(self, track: Track) -> bool:
        """Once confirmed, a track stays confirmed: a dip in its score does not leave the event."""
        if not track.confirmed and track.hits >= self.min_frames:
            min_score = track.candidate.min_score if track.candidate else 0.0
            track.confirmed = min_score <= 0.0 or track_score(track.scores) >= min_score
        return track.confirmed

    def _event_for(self, alert_type: str, now: float) -> tuple[_Event, Change | None]:
        event = self.open.get(alert_type)
        if event is not None:
            return event, None
        closed = self.closed.get(alert_type)
        if closed is not None and closed.ended_at is not None and now - closed.ended_at <= self.cooldown:
            closed.ended_at = None
            del self.closed[alert_type]
            self.open[alert_type] = closed
            return closed, Change.REOPENED
        return self._new(alert_type, now), Change.OPENED

    def _new(self, alert_type: str, now: float, *, continues: str | None = None) -> _Event:
        event = _Event(self.new_key(), alert_type, started_at=now, last_seen=now, continues=continues)
        self.open[alert_type] = event
        return event

    def _observe(self, event: _Event, tracks: Sequence[Track], now: float) -> bool:
        joined = False
        for track in tracks:
            cand = track.candidate
            conf = cand.detection.confidence if cand else 0.0
            zone = cand.zone if cand else None
            obj = event.objects.get(track.id)
            if obj is None:
                joined = True
                zones = (zone,) if zone else ()
                obj = EventObject(track.id, track.label, track.alert_type, now, now, conf, zones)
            else:
                entered = bool(zone) and zone not in obj.zones
                joined = joined or entered  # a zone entered is news: the next update carries it
                zones = obj.zones + ((zone,) if entered and zone else ())
                best = max(obj.confidence, conf)
                obj = replace(obj, label=track.label, last_seen=now, confidence=best, zones=zones)
            event.objects[track.id] = obj
        event.last_seen = now
        return joined

    def _close(self, event: _Event, *, ended_at: float) -> EventChange:
        event.ended_at = ended_at
        event.revision += 1
        event.dirty = False
        del self.open[event.alert_type]
        self.closed[event.alert_type] = event
        return EventChange(Change.CLOSED, event.state())
