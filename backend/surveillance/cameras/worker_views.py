"""What a camera's worker calls (its ingest token, or its owner's user token): heartbeat, live and restart
settings, alerts, event updates and clips. Each resolves the camera the caller speaks for once
(``_camera_for_ingest``); the event views hand on to ``surveillance.events.services``.
"""

from __future__ import annotations

import json

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from prometheus_client import Counter
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from surveillance import metrics
from surveillance.access import Action
from surveillance.accounts.permissions import IsUserOrCamera, is_camera
from surveillance.accounts.users import signed_in_user
from surveillance.cameras import selectors, worker_settings
from surveillance.cameras import services as camera_services
from surveillance.cameras.serializers import HeartbeatInputSerializer
from surveillance.events import services as event_services
from surveillance.events.clips import clip_started_at
from surveillance.events.serializers import (
    AlertInputSerializer,
    AlertOutputSerializer,
    ClipOutputSerializer,
    ClipReferenceInputSerializer,
    EventUpdateInputSerializer,
)
from surveillance.exceptions import rejection_reason
from surveillance.parsers import spooled_clip

IDEMPOTENCY_HEADER = "Idempotency-Key"


def _camera_for_ingest(request: Request, camera_id: int):
    """The addressed camera: an ingest token may only name its own camera, a user only their own."""
    if is_camera(request):
        if request.auth.pk != camera_id:
            raise exceptions.PermissionDenied(f"This ingest token belongs to camera {request.auth.pk}.")
        return request.auth
    return selectors.camera_of(user=signed_in_user(request), camera_id=camera_id, action=Action.CHANGE)


class CameraHeartbeatApi(APIView):
    """POST /api/cameras/<id>/heartbeat/: the worker reports its stream state (ingest or user token)."""

    permission_classes = [IsUserOrCamera]

    @extend_schema(request=HeartbeatInputSerializer, responses={204: None})
    def post(self, request: Request, pk: int) -> Response:
        camera = _camera_for_ingest(request, pk)
        data = HeartbeatInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        camera_services.camera_record_heartbeat(
            camera=camera,
            stream_state=data.validated_data["stream_state"],
            fps=data.validated_data.get("fps"),
            problem=data.validated_data.get("problem"),
            producible_types=data.validated_data.get("producible_types"),
            # Only the camera's worker (its ingest token) says where the backend may dial: a user's token
            # reports the stream state, never an address for the backend to connect to.
            live=data.validated_data.get("live") if is_camera(request) else None,
        )
        if "open_events" in data.validated_data:
            event_services.events_close_orphans(camera=camera, open_keys=data.validated_data["open_events"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class CameraWorkerSettingsApi(APIView):
    """GET /api/cameras/<id>/settings/: what the camera's worker applies live, and whether a restart is
    coming (docs/contracts.md, "Live and restart settings"). The camera's own ingest token only: it is
    the worker's read, and the answer's fingerprints cover the stream URLs. ``?handover=1`` adds the open
    events a new worker continues. ``If-None-Match`` with the last ETag answers 304 without a body: the
    worker asks every few seconds."""

    permission_classes = [IsUserOrCamera]

    @extend_schema(
        parameters=[OpenApiParameter("handover", bool, description="Add the camera's open events.")],
        responses={200: OpenApiTypes.OBJECT, 304: None},
    )
    def get(self, request: Request, pk: int) -> Response:
        camera = _camera_for_ingest(request, pk)  # another user's camera: 404, as everywhere
        if not is_camera(request):
            raise exceptions.PermissionDenied("Only the camera's worker (its ingest token) reads this.")
        answer = worker_settings.worker_settings(
            camera=camera, handover=request.query_params.get("handover") in ("1", "true")
        )
        tag = worker_settings.etag(answer)
        if request.headers.get("If-None-Match") == tag:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": tag})
        return Response(answer, headers={"ETag": tag, "Cache-Control": "no-store"})


class CountsRejections(APIView):
    """An ingest view: every refused request is counted in ``rejections`` here, once, by the error map's
    reason, whichever layer refused it (the services raise and count nothing). A body over the size
    limit never reaches a view: the middleware counts that one."""

    rejections: Counter

    def handle_exception(self, exc: Exception) -> Response:
        reason = rejection_reason(exc)
        if reason is not None:
            self.rejections.labels(reason=reason).inc()
        return super().handle_exception(exc)


class AlertIngestApi(CountsRejections):
    """POST /api/send-alert/: a worker's alert with its snapshot; idempotent with a key."""

    permission_classes = [IsUserOrCamera]
    rejections = metrics.ALERTS_REJECTED

    @extend_schema(
        request=AlertInputSerializer,
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                str,
                OpenApiParameter.HEADER,
                description="A key unique per alert; a replay returns the first alert.",
            )
        ],
        responses={200: AlertOutputSerializer, 201: AlertOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        # The body's size was checked by RequestBodyLimitMiddleware before this view ran.
        data = AlertInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        key = self._idempotency_key(request, fields.get("idempotency_key"))
        camera = _camera_for_ingest(request, fields["camera_id"])
        alert, created = event_services.alert_ingest(
            camera=camera,
            alert_type=fields["alert_type"],
            confidence=fields["confidence"],
            description=fields["description"],
            image_base64=fields["image_base64"],
            detections=fields.get("detections"),
            occurred_at=fields.get("timestamp"),
            idempotency_key=key,
            only_enabled_types=is_camera(request),
            status=fields.get("status"),
            started_at=fields.get("started_at"),
            ended_at=fields.get("ended_at"),
            peak_count=fields.get("peak_count"),
            objects=fields.get("objects"),
            revision=fields.get("revision"),
        )
        return Response(
            AlertOutputSerializer(alert, context={"request": request}).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @staticmethod
    def _idempotency_key(request: Request, field: str | None) -> str | None:
        header = request.headers.get(IDEMPOTENCY_HEADER)
        if header is not None:
            header = header.strip().strip('"')  # the IETF draft sends the key as a quoted string
            if not header or len(header) > 255:
                message = "The Idempotency-Key header must be 1..255 characters."
                raise exceptions.ValidationError({"idempotency_key": [message]})
        if header and field and header != field:
            raise exceptions.ValidationError(
                {"idempotency_key": ["The Idempotency-Key header and the idempotency_key field differ."]}
            )
        return header or field


class EventUpdateApi(APIView):
    """PUT /api/cameras/<id>/events/<key>/: the event's state at a revision (ingest or user token)."""

    permission_classes = [IsUserOrCamera]

    @extend_schema(request=EventUpdateInputSerializer, responses={200: AlertOutputSerializer})
    def put(self, request: Request, pk: int, key: str) -> Response:
        camera = _camera_for_ingest(request, pk)
        data = EventUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        alert = event_services.alert_event_update(camera=camera, key=key, **data.validated_data)
        return Response(AlertOutputSerializer(alert, context={"request": request}).data)


class ClipUploadApi(CountsRejections):
    """PUT /api/cameras/<id>/events/<key>/clips/<segment>/: the clip's MP4 bytes as the body, streamed
    to a temporary file (never held in memory, never base64), checked, then stored once."""

    permission_classes = [IsUserOrCamera]
    rejections = metrics.CLIPS_REJECTED
    parser_classes: list = []  # the body is read here, in chunks

    @extend_schema(
        request={"video/mp4": OpenApiTypes.BINARY, "application/json": ClipReferenceInputSerializer},
        responses={200: ClipOutputSerializer, 201: ClipOutputSerializer},
    )
    def put(self, request: Request, pk: int, key: str, segment: int) -> Response:
        camera = _camera_for_ingest(request, pk)
        if (request.content_type or "").split(";")[0].strip() == "application/json":
            return self._reference(request, camera, key, segment)
        started_at = clip_started_at(segment=segment, header=request.headers.get("X-Clip-Started-At"))
        with spooled_clip(request) as upload:
            clip, created = event_services.clip_store(
                camera=camera, key=key, segment=segment, upload=upload, started_at=started_at
            )
        return Response(
            ClipOutputSerializer(clip, context={"request": request}).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def _reference(self, request: Request, camera, key: str, segment: int) -> Response:
        """The JSON form (issue 23): the recording segments hold the clip; its span, not its bytes."""
        clip_started_at(segment=segment, header=None)  # the segment number's bound
        try:
            body = json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError):
            raise exceptions.ParseError("The body is not JSON.") from None
        data = ClipReferenceInputSerializer(data=body)
        data.is_valid(raise_exception=True)
        span = data.validated_data["recordings"]
        clip, created = event_services.clip_store_reference(
            camera=camera,
            key=key,
            segment=segment,
            start=span["start"],
            end=span["end"],
            duration=data.validated_data["duration"],
            size=data.validated_data["size"],
            cut={"first": span["first"], "last": span["last"]}
            if "first" in span and "last" in span
            else None,
        )
        return Response(
            ClipOutputSerializer(clip, context={"request": request}).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
