"""Playback of the recordings as HLS VOD (issue 24), generated from the segment index:

- ``GET /api/cameras/<id>/recordings/playlist.m3u8?start=&end=``: the camera owner's playlist of the
  window (the recordings list's access and window rules): per segment its wall-clock time
  (``EXT-X-PROGRAM-DATE-TIME``), its initialisation section (``EXT-X-MAP``) and its media, a
  discontinuity where the recordings have a gap.
- ``GET /api/cameras/<id>/recordings/segments/<start_ms>/hls/init.mp4`` and ``…/hls/media.m4s``: the
  segment remuxed to fragmented MP4 (``recordings.fmp4``), to whoever may see the camera's media (as the
  segment's own URL).

Why fMP4 and not byte ranges of the stored MP4: an HLS media segment is MPEG-TS or fMP4 (``moof`` +
``mdat`` after an ``EXT-X-MAP``); a plain MP4 keeps its sample tables in one ``moov`` for the whole file,
so no byte range of it is a segment a player can append (hls.js and Safari refuse it). The remux is a
copy of packets in memory (a segment is at most RECORDING_SEGMENT_MAX_BYTES), at most
PLAYBACK_REMUX_CONCURRENCY at a time per process (503 + Retry-After past it); the init and media of the
last few segments are kept, since a player asks for both back to back.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from audit.services import audit_footage_played
from recordings import selectors, services
from recordings.fmp4 import Fragmented, NotFragmentable, fragment
from recordings.models import RecordingSegment
from recordings.serializers import WINDOW_PARAMETERS, RecordingsQuerySerializer
from surveillance import media_store
from surveillance.access import Action
from surveillance.accounts.users import signed_in_user
from surveillance.cameras.selectors import camera_of
from surveillance.errors import ApplicationError, StoreUnavailable
from surveillance.metrics import REJECT_BUSY

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
# Recordings further apart than this are a gap: the playlist marks a discontinuity there.
GAP_SECONDS = 1.0


class PlaybackBusy(ApplicationError, status_code=503, reason=REJECT_BUSY):
    """PLAYBACK_REMUX_CONCURRENCY segments are being remuxed by this process."""


def _iso(moment) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def playlist(rows: list[selectors.SegmentRow], *, camera_id: int) -> str:
    """The VOD playlist of these segments (in time order). Segment URLs are relative to the playlist's."""
    longest = max((row.duration for row in rows), default=1.0)
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        f"#EXT-X-TARGETDURATION:{max(1, math.ceil(longest))}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    previous_end: int | None = None
    for row in rows:
        if previous_end is not None and row.start_us - previous_end > GAP_SECONDS * 1_000_000:
            lines.append("#EXT-X-DISCONTINUITY")
        previous_end = row.end_us
        name = f"segments/{round(row.start_us / 1000)}/hls"
        lines += [
            f"#EXT-X-PROGRAM-DATE-TIME:{_iso(row.start)}",
            f'#EXT-X-MAP:URI="{name}/init.mp4"',
            f"#EXTINF:{row.duration:.3f},",
            f"{name}/media.m4s",
        ]
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


class PlaylistApi(APIView):
    @extend_schema(
        parameters=WINDOW_PARAMETERS,
        responses={(200, PLAYLIST_TYPE): OpenApiTypes.STR},
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        user = signed_in_user(request)
        # 404 for another team's camera, 403 for a role that may not watch.
        camera = camera_of(user=user, camera_id=pk, action=Action.VIEW_MEDIA)
        query = RecordingsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = selectors.camera_recordings(user=user, camera_id=pk, **query.validated_data)
        audit_footage_played(request, camera=camera, window=query.validated_data)
        return HttpResponse(
            playlist(found.segments, camera_id=pk),
            content_type=PLAYLIST_TYPE,
            headers={"Cache-Control": "private, no-cache"},
        )


class _Recent:
    """The fMP4 of the last few segments remuxed by this process (a player asks for init, then media)."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self.items: OrderedDict[tuple[str, int], Fragmented] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[str, int]) -> Fragmented | None:
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
            return found

    def put(self, key: tuple[str, int], value: Fragmented) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


_recent = _Recent()
_slots: threading.BoundedSemaphore | None = None
_slots_lock = threading.Lock()


def _remux_slots() -> threading.BoundedSemaphore:
    global _slots
    with _slots_lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(settings.PLAYBACK_REMUX_CONCURRENCY)
        return _slots


def fragmented_segment(segment: RecordingSegment) -> Fragmented:
    name = segment.file.name or ""
    key = (name, segment.size)
    found = _recent.get(key)
    if found is not None:
        return found
    slots = _remux_slots()
    if not slots.acquire(blocking=False):
        raise PlaybackBusy(
            f"{settings.PLAYBACK_REMUX_CONCURRENCY} recording segments are being prepared for playback "
            "(PLAYBACK_REMUX_CONCURRENCY); retry in a moment.",
            retry_after=1,
        )
    try:
        store = media_store.store()
        source = store.path(name) if isinstance(store, FileSystemStorage) else store.open(name, "rb")
        made = fragment(source, start_seconds=segment.start.timestamp())
    finally:
        slots.release()
    _recent.put(key, made)
    return made


class SegmentHlsApi(APIView):
    part = "media"  # or "init"

    @extend_schema(responses={(200, "video/mp4"): OpenApiTypes.BINARY})
    def get(self, request: Request, pk: int, start_ms: int) -> HttpResponse:
        start = services.segment_start(start_ms)
        segment = selectors.segment_of(user=signed_in_user(request), camera_id=pk, start=start)
        try:
            made = fragmented_segment(segment)
        except FileNotFoundError:
            return HttpResponse("The segment is no longer stored.", status=404, content_type="text/plain")
        except StoreUnavailable as error:
            return HttpResponse(str(error), status=503, headers={"Retry-After": str(error.retry_after or 5)})
        except NotFragmentable as error:
            return HttpResponse(
                f"The segment cannot be played as HLS: {error}", status=422, content_type="text/plain"
            )
        body = made.init if self.part == "init" else made.media
        # A segment never changes once stored (its key is its start): the browser may keep it.
        return HttpResponse(
            body,
            content_type="video/mp4" if self.part == "init" else "video/iso.segment",
            headers={"Cache-Control": "private, max-age=86400"},
        )
