"""One camera's recorded footage on the real backend, for the footage review page's browser test and its
playback bench (issue 24): 10-second real H.264 segments, back to back, uploaded through the worker's
upload route (``PUT .../recordings/segments/<ms>/`` with the camera's ingest token), and one event sent by
the camera through ``/api/send-alert/``; plus the page script both use to record the player's stalls.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from backend.images import jpeg_base64

from support.backend import RunningBackend, server_database, start_backend
from support.clips import make_mp4
from support.clock import iso, recent

SEGMENT_SECONDS = 10

# Run before the page's own scripts (``page.add_init_script``): every ``waiting`` of the timeline's main
# player opens a stall, ended by the next ``playing`` or the next ``timeupdate`` that finds the playhead
# past where it waited with data ahead of it (readyState HAVE_FUTURE_DATA: Chromium's timeupdate just
# after a waiting can report the playhead a little further on, still stalled). ``window.__stalls`` holds
# the ended ones ({at: the media second it waited at, length: ms, by: the event that ended it}),
# ``window.__stalling`` the open one ({at, began: performance.now()}).
STALL_RECORDER = """
window.__stalls = []; window.__stalling = null;
function __stallEnded(e) {
  var open = window.__stalling;
  if (!open || e.target.id !== 'tl-video') return;
  if (e.type === 'timeupdate' && !(e.target.readyState >= 3 && e.target.currentTime > open.at)) return;
  window.__stalls.push({ at: open.at, length: performance.now() - open.began, by: e.type });
  window.__stalling = null;
}
document.addEventListener('waiting', function (e) {
  if (e.target.id !== 'tl-video' || window.__stalling) return;
  window.__stalling = { at: e.target.currentTime, began: performance.now() };
}, true);
document.addEventListener('playing', __stallEnded, true);
document.addEventListener('timeupdate', __stallEnded, true);
"""
# The ended stalls, and the open one as long as it has lasted so far, in one JS turn.
STALLS_NOW = """() => {
  var all = window.__stalls.slice(), open = window.__stalling;
  if (open) all.push({ at: open.at, length: performance.now() - open.began, open: true });
  return all;
}"""


@dataclass(frozen=True)
class TimelineSite:
    backend: RunningBackend
    camera: dict[str, Any]  # as the API created it, plus "alert_id": the event sent by the camera
    t0: datetime  # the first segment's start (UTC); the footage runs without a gap to ``end``
    segments: int

    @property
    def end(self) -> datetime:
        return self.t0 + timedelta(seconds=SEGMENT_SECONDS * self.segments)

    @property
    def offset(self) -> float:
        """Where the footage starts on the player's clock (its ``currentTime`` counts from the UTC day's
        start)."""
        return (self.t0 - self.t0.replace(hour=0, minute=0, second=0, microsecond=0)).total_seconds()

    @property
    def timeline_path(self) -> str:
        return f"/dashboard/cameras/{self.camera['id']}/timeline/?day={self.t0:%Y-%m-%d}"


@contextlib.contextmanager
def recorded_camera(
    tmp: Path, *, segments: int, event_at: float, database_prefix: str = "cctv_timeline"
) -> Iterator[TimelineSite]:
    """The production server (on a scratch PostgreSQL database where DATABASE_URL names one) with one
    continuously recording camera, ``segments`` segments ending about 30 minutes ago inside one UTC day,
    and a person event ``event_at`` seconds into them."""
    t0 = recent(minutes=30)
    if (t0 + timedelta(seconds=SEGMENT_SECONDS * segments + 10)).date() != t0.date():
        t0 -= timedelta(seconds=SEGMENT_SECONDS * segments + 60)  # keep the footage inside one UTC day
    with (
        server_database(prefix=database_prefix) as database_url,
        start_backend(tmp / "b", database_url=database_url) as backend,
    ):
        camera = backend.create_camera("Yard", "rtsp://10.9.8.2/yard", record_mode="continuous")
        for index in range(segments):
            path = make_mp4(tmp / f"{index}.mp4", seconds=SEGMENT_SECONDS, size=(320, 240), seed=index)
            start = t0 + timedelta(seconds=SEGMENT_SECONDS * index)
            segment = f"/api/cameras/{camera['id']}/recordings/segments/{round(start.timestamp() * 1000)}/"
            answer = requests.put(
                f"{backend.url}{segment}",
                data=path.read_bytes(),
                headers={
                    "Authorization": f"Token {camera['ingest_token']}", "Content-Type": "video/mp4",
                    "X-Segment-Ended-At": iso(start + timedelta(seconds=SEGMENT_SECONDS)),
                    "X-Segment-Kind": "continuous",
                },
                timeout=30,
            )  # fmt: skip
            if answer.status_code != 201:
                raise AssertionError(f"segment {index} not stored: {answer.status_code} {answer.text}")
        sent = requests.post(
            f"{backend.url}/api/send-alert/",
            json={
                "camera_id": camera["id"], "alert_type": "person", "confidence": 0.9,
                "image_base64": jpeg_base64(), "description": f"at {event_at:g} s",
                "timestamp": iso(t0 + timedelta(seconds=event_at)),
            },
            headers={"Authorization": f"Token {camera['ingest_token']}"},
            timeout=30,
        )  # fmt: skip
        if sent.status_code != 201:
            raise AssertionError(f"event not stored: {sent.status_code} {sent.text}")
        yield TimelineSite(backend, {**camera, "alert_id": sent.json()["id"]}, t0, segments)
