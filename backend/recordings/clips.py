"""Event clips that the recording segments hold (issue 23): one copy of the bytes, in the segments.

A worker recording continuously (or on motion, when the motion segments hold the whole event) sends an
event's clip as the span of its first and last packet (``Clip.recording_start`` / ``recording_end``)
instead of its bytes. The backend builds the clip's MP4 when it is asked for: the packets of the
segments overlapping the span, from the last keyframe at or before its start to the first packet at or
after its end, remuxed (no decoding, no re-encoding) into one MP4 with the index first, on one
continuous timeline. The build is kept in a local cache folder (``RECORDING_CLIP_CACHE_DIR``, bounded by
``RECORDING_CLIP_CACHE_BYTES``, oldest used first out) so that a player's range requests read one file;
its name carries the segments it was built from, so a segment arriving later (or deleted by retention)
makes a new build. The cache is scratch, never a second copy kept: any replica rebuilds what it lacks,
and the same segments give the same bytes.

The segments were checked when they were stored (box walk, FFmpeg in a capped child), so they are
opened here in the process.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import threading
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from pathlib import Path

import av
from django.conf import settings
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET

from recordings.models import RecordingSegment
from surveillance import media_store
from surveillance.events import selectors, snapshot_files
from surveillance.models import Clip

log = logging.getLogger(__name__)

_build_lock = threading.Lock()  # one build at a time per process: a player's burst of ranges waits


class ClipGone(Exception):
    """No recording segment holds any of the clip's span any more (retention, a storage cap)."""


@dataclass(frozen=True, slots=True)
class BuiltClip:
    path: Path
    size: int
    duration: float


def covering_segments(clip: Clip) -> list[RecordingSegment]:
    """The camera's segments that overlap the clip's span, oldest first."""
    assert clip.recording_start is not None and clip.recording_end is not None
    return list(
        RecordingSegment.objects.filter(
            camera_id=clip.alert.camera_id, start__lte=clip.recording_end, end__gt=clip.recording_start
        ).order_by("start")
    )


def build(clip: Clip) -> BuiltClip:
    """The clip's MP4 in the cache folder (built now unless the same segments built it before)."""
    segments = covering_segments(clip)
    if not segments:
        raise ClipGone(f"no recording segment holds clip {clip.segment} of alert {clip.alert_id} any more")
    cache = Path(settings.RECORDING_CLIP_CACHE_DIR)
    key = hashlib.sha256(
        repr(
            (
                # Backends of several databases may share a host's scratch folder (tests, a laptop).
                settings.DATABASES["default"]["NAME"],
                clip.pk,
                clip.recording_start,
                clip.recording_end,
                clip.recording_cut,
                [(s.pk, s.size) for s in segments],
            )
        ).encode()
    ).hexdigest()[:24]
    path = cache / f"clip-{clip.pk}-{key}.mp4"
    with _build_lock:
        if not path.is_file():
            cache.mkdir(parents=True, exist_ok=True)
            _evict(cache, keep=settings.RECORDING_CLIP_CACHE_BYTES)
            _remux(segments, clip.recording_start, clip.recording_end, path, cut=clip.recording_cut)  # type: ignore[arg-type]
        os.utime(path)  # used now: the last to leave the cache
    with av.open(str(path)) as built:
        duration = float(built.duration or 0) / av.time_base
    size = path.stat().st_size
    if clip.size != size or abs(clip.duration - duration) > 0.0005:
        # The worker's cut of the same packets was shown until now: the built file's figures from here on.
        Clip.objects.filter(pk=clip.pk).update(size=size, duration=round(duration, 3))
    return BuiltClip(path, size, duration)


@require_GET
def clip_file(request: HttpRequest, path: str) -> HttpResponseBase:
    """``/media/clips/recordings/...`` (the alert's ``clip.url``): who may see the alert gets the built
    clip, whole or one byte range; 401 without credentials, 404 for anyone else and once no segment of
    it is left. Access is decided before anything is built (``surveillance.events.selectors.clip_of``)."""
    user = snapshot_files.caller(request)
    if user is None:
        return snapshot_files.unauthenticated()
    clip = selectors.clip_of(user=user, name=path)
    if not clip.from_recordings:
        raise Http404("No such media file.")
    try:
        built = build(clip)
    except ClipGone as gone:
        raise Http404(str(gone)) from None
    return media_store.serve_file(request, built.path, content_type="video/mp4")


def _remux(
    segments: list[RecordingSegment], start: datetime, end: datetime, target: Path, *, cut: dict | None = None
) -> None:
    """The packets from the keyframe that arrived at ``start`` to the first at or after ``end``, on the
    stream's own timeline: touching segments play on as one, a gap between two adds its wall time (the
    last picture held).

    A packet's arrival time is estimated from its segment: the segment's end (its wall clock) less the
    stream time still to come, never before the segment's start. Anchored at the end because a
    connection's first segment may hold seconds of stream a server sent in one burst at its start. Where
    the worker said in which segment and how far into it the first and last packet lie (``cut``), those
    places are used instead: exact, however the stream arrived."""
    first_wall, last_wall = start.timestamp(), end.timestamp()
    with ExitStack() as stack, tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        # (estimated arrival, output dts and pts in seconds, packet, its segment's start in ms, its offset)
        packets: list[tuple[float, float, float, av.Packet, int, float]] = []
        template = None
        timeline = 0.0  # where the next segment starts on the output's timeline
        previous_end: float | None = None
        for index, segment in enumerate(segments):
            container = stack.enter_context(av.open(_local(segment, Path(scratch), index)))
            stream = container.streams.video[0]
            template = template or stream
            time_base = stream.time_base or Fraction(1, 90_000)
            own = [p for p in container.demux(stream) if p.dts is not None and p.size]
            if not own:
                continue
            seg_start, seg_end = segment.start.timestamp(), segment.end.timestamp()
            if previous_end is not None and seg_start > previous_end:
                timeline += seg_start - previous_end
            base = int(own[0].dts or 0)
            length = max(float((int(own[-1].dts or 0) - base) * time_base) + _frame(own[-1], time_base), 0.0)
            for packet in own:
                dts = int(packet.dts or 0)
                pts = int(packet.pts if packet.pts is not None else dts)
                at = float((dts - base) * time_base)
                arrival = max(seg_start, seg_end - (length - at))
                place = (round(segment.start.timestamp() * 1000), at)
                packets.append(
                    (arrival, timeline + at, timeline + float((pts - base) * time_base), packet, *place)
                )
            timeline += length
            previous_end = seg_end
        if template is None:
            raise ClipGone("the clip's segments hold no video")
        keyframes = [i for i, item in enumerate(packets) if item[3].is_keyframe]
        begin, stop = _placed(packets, keyframes, cut)
        if begin is None or stop is None or stop <= begin:
            # The keyframe that arrived closest to the span's start; of equals (a burst), the earliest.
            begin = (
                min(keyframes, key=lambda i: (round(abs(packets[i][0] - first_wall), 3), i))
                if keyframes
                else 0
            )
            stop = next(
                (i + 1 for i in range(begin, len(packets)) if packets[i][0] >= last_wall - 0.0005),
                len(packets),
            )
        partial = target.with_name(target.name + ".part")
        out = av.open(str(partial), "w", format="mp4", options={"movflags": "+faststart"})
        try:
            out_stream = out.add_stream_from_template(template)
            out_base = Fraction(1, 90_000)
            zero = packets[begin][1]
            last_dts = -1
            for _, dts_at, pts_at, packet, _, _ in packets[begin:stop]:
                dts = max(round((dts_at - zero) / out_base), last_dts + 1)  # muxers refuse a step back
                packet.dts = dts
                packet.pts = max(dts, round((pts_at - zero) / out_base))
                packet.time_base = out_base
                packet.stream = out_stream
                out.mux(packet)
                last_dts = dts
        finally:
            out.close()
        os.replace(partial, target)


def _placed(packets: list, keyframes: list[int], cut: dict | None) -> tuple[int | None, int | None]:
    """The first and one past the last packet's indexes from the worker's places (segment start in ms,
    seconds into it), each matched within 1 ms; None where a place is missing or matches nothing."""
    if not cut:
        return None, None

    def find(place: dict, candidates) -> int | None:
        try:
            segment, offset = int(place["segment"]), float(place["offset"])
        except (KeyError, TypeError, ValueError):
            return None
        return next(
            (i for i in candidates if packets[i][4] == segment and abs(packets[i][5] - offset) < 0.001), None
        )

    first = find(cut.get("first") or {}, keyframes)
    last = find(cut.get("last") or {}, range(len(packets)))
    return first, None if last is None else last + 1


def _frame(packet: av.Packet, time_base: Fraction) -> float:
    """A packet's picture duration in seconds (one frame), 0 when the file does not say."""
    return max(0.0, min(float((packet.duration or 0) * time_base), 1.0))


def _local(segment: RecordingSegment, scratch: Path, index: int) -> str:
    """A path FFmpeg can open: the file itself on the filesystem store, a copy from a bucket."""
    name = str(segment.file.name)
    root = media_store.local_root()
    if root is not None:
        return str(root / name)
    copy = scratch / f"{index}.mp4"
    with media_store.store().open(name, "rb") as source, copy.open("wb") as sink:
        shutil.copyfileobj(source, sink, 1024 * 1024)
    return str(copy)


def _evict(cache: Path, *, keep: int) -> None:
    """Removes the least recently used builds until the folder holds less than ``keep`` bytes."""
    builds = sorted(
        (entry.stat().st_mtime, entry.stat().st_size, entry) for entry in cache.glob("clip-*.mp4")
    )
    total = sum(size for _, size, _ in builds)
    for _, size, entry in builds:
        if total < keep:
            break
        entry.unlink(missing_ok=True)
        total -= size
