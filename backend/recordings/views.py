"""The recordings API: thin views over ``recordings.selectors`` / ``recordings.services``.

- ``GET /api/cameras/<id>/recordings/?start=&end=``: segments and gaps of a window (the owner).
- ``PUT /api/cameras/<id>/recordings/segments/<start_ms>/``: a worker's segment upload (the camera's
  ingest token or its owner's token), the MP4 as the body; idempotent by camera and start.
- ``GET`` of that same path: the segment's MP4 with range requests, for whoever may see the camera.
- ``GET /api/recordings/usage/``: what the caller's recordings take, per camera and in all.
- ``GET /api/cameras/<id>/recordings/motion/?start=&end=``: the window's motion activity (the owner).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from recordings import metrics, motion, selectors, services
from recordings.serializers import (
    WINDOW_PARAMETERS,
    MotionOutputSerializer,
    RecordingsOutputSerializer,
    RecordingsQuerySerializer,
    StoredSegmentOutputSerializer,
    UsageOutputSerializer,
)
from surveillance import media_store
from surveillance.access import Action
from surveillance.accounts.permissions import IsUser, IsUserOrCamera, is_camera
from surveillance.accounts.users import signed_in_user
from surveillance.cameras.selectors import camera_of
from surveillance.cameras.worker_views import CountsRejections
from surveillance.parsers import spooled_clip
from surveillance.validators import parse_aware


def _start_ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


class MotionApi(APIView):
    """The runs of motion-mode segments in a window (recordings.motion), by the recordings list's rules."""

    @extend_schema(parameters=WINDOW_PARAMETERS, responses={200: MotionOutputSerializer})
    def get(self, request: Request, pk: int) -> Response:
        # 404 before anything else for another team's camera, 403 for a role that may not watch.
        camera_of(user=signed_in_user(request), camera_id=pk, action=Action.VIEW_MEDIA)
        query = RecordingsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        runs = motion.motion_runs(user=signed_in_user(request), camera_id=pk, **query.validated_data)
        return Response(MotionOutputSerializer({"runs": [{"start": a, "end": b} for a, b in runs]}).data)


class RecordingsApi(APIView):
    @extend_schema(
        parameters=WINDOW_PARAMETERS,
        responses={200: RecordingsOutputSerializer},
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        # 404 before anything else for another team's camera, 403 for a role that may not watch.
        camera_of(user=signed_in_user(request), camera_id=pk, action=Action.VIEW_MEDIA)
        query = RecordingsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        iso = _iso_formatter()
        url = _segment_url_prefix(request, pk)
        document = selectors.camera_recordings_document(
            user=signed_in_user(request), camera_id=pk, url_prefix=url, **query.validated_data
        )
        if document is not None:
            gaps_json = json.dumps(
                [{"start": iso(gap.start), "end": iso(gap.end), "cause": gap.cause} for gap in document.gaps]
            )
            return HttpResponse(
                f'{{"segments":{document.segments_json},"gaps":{gaps_json}}}', content_type="application/json"
            )
        found = selectors.camera_recordings(
            user=signed_in_user(request), camera_id=pk, **query.validated_data
        )
        # A camera-day is 8,640 segments: the JSON is built here from plain rows (the fields and formats
        # RecordingsOutputSerializer documents), not by a serializer and a reverse() per row, which took
        # longer than the query itself. tests/backend/test_recordings.py holds the two to the same output.
        segments = [
            {
                "start": iso(selectors.moment_of(segment.start_us)),
                "end": iso(selectors.moment_of(segment.end_us)),
                "duration": segment.duration,
                "size": segment.size,
                "url": f"{url}{round(segment.start_us / 1000)}/",
            }
            for segment in found.segments
        ]
        gaps = [{"start": iso(gap.start), "end": iso(gap.end), "cause": gap.cause} for gap in found.gaps]
        return Response({"segments": segments, "gaps": gaps})


def _iso_formatter() -> Callable[[datetime], str]:
    """DRF's DateTimeField output (ISO 8601 in the current time zone, UTC as ``Z``) without a field per
    value."""
    zone = timezone.get_current_timezone()

    def iso(moment: datetime) -> str:
        text = moment.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return iso


def _segment_url_prefix(request: Request, camera_id: int) -> str:
    """The absolute URL of the camera's segments up to the start (``…/segments/``): reverse() once."""
    one = request.build_absolute_uri(reverse("recording-segment", kwargs={"pk": camera_id, "start_ms": 1}))
    assert one.endswith("/1/")
    return one[: -len("1/")]


class SegmentApi(CountsRejections):
    rejections = metrics.SEGMENTS_REJECTED
    parser_classes: list = []  # the upload's body is read in chunks by spooled_clip

    def get_permissions(self):
        return [IsUserOrCamera()] if self.request.method == "PUT" else [IsUser()]

    @extend_schema(
        responses={(200, "video/mp4"): OpenApiTypes.BINARY, (206, "video/mp4"): OpenApiTypes.BINARY}
    )
    def get(self, request: Request, pk: int, start_ms: int):
        start = services.segment_start(start_ms)
        segment = selectors.segment_of(user=signed_in_user(request), camera_id=pk, start=start)
        return media_store.serve(request, segment.file.name, content_type="video/mp4")

    @extend_schema(
        request={"video/mp4": OpenApiTypes.BINARY},
        parameters=[
            OpenApiParameter(
                "X-Segment-Ended-At",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="ISO 8601 with a zone: the segment's end (wall clock).",
            ),
            OpenApiParameter(
                "X-Segment-Kind",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="continuous or motion.",
            ),
        ],
        responses={200: StoredSegmentOutputSerializer, 201: StoredSegmentOutputSerializer},
    )
    def put(self, request: Request, pk: int, start_ms: int) -> Response:
        camera = _camera_for_upload(request, pk)
        start = services.segment_start(start_ms)
        end = parse_aware(request.headers.get("X-Segment-Ended-At", "").strip())
        kind = request.headers.get("X-Segment-Kind", "").strip()
        with spooled_clip(
            request,
            setting="RECORDING_SEGMENT_MAX_BYTES",
            what="segment",
            rejections=metrics.SEGMENTS_REJECTED,
        ) as upload:
            stored = services.segment_store(camera=camera, start=start, end=end, kind=kind, upload=upload)
        return Response(
            StoredSegmentOutputSerializer(stored.segment).data,
            status=status.HTTP_201_CREATED if stored.created else status.HTTP_200_OK,
        )


def _camera_for_upload(request: Request, camera_id: int):
    """An ingest token may only name its own camera, a user one their role lets them change (as for clips)."""
    if is_camera(request):
        if request.auth.pk != camera_id:
            raise exceptions.PermissionDenied(f"This ingest token belongs to camera {request.auth.pk}.")
        return request.auth
    return camera_of(user=signed_in_user(request), camera_id=camera_id, action=Action.CHANGE)


class RecordingUsageApi(APIView):
    @extend_schema(responses={200: UsageOutputSerializer})
    def get(self, request: Request) -> Response:
        usage = selectors.recordings_usage(user=signed_in_user(request))
        return Response(UsageOutputSerializer(usage).data)
