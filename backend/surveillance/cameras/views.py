"""The REST API: thin views that parse with an input serializer, call a selector or service, and answer
with an output serializer. Paths are the seed's (see urls.py); status codes are in docs/contracts.md."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from prometheus_client import Counter
from rest_framework import exceptions, status
from rest_framework.authtoken.models import Token
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from audit import streams as audit_streams
from audit.actions import AuditAction
from audit.services import audit_object
from surveillance import live, metrics, reviews, selectors, services, worker_settings
from surveillance.access import Action
from surveillance.clips import clip_started_at
from surveillance.errors import LocalPasswordsOff
from surveillance.exceptions import rejection_reason
from surveillance.pagination import AlertCursorPagination, PagePagination
from surveillance.parsers import spooled_clip
from surveillance.permissions import IsUserOrCamera, is_camera
from surveillance.serializers import (
    ActiveCameraOutputSerializer,
    AlertFilterSerializer,
    AlertInputSerializer,
    AlertOutputSerializer,
    AlertsAcknowledgeInputSerializer,
    AlertsAcknowledgeOutputSerializer,
    CameraCreatedOutputSerializer,
    CameraDetailOutputSerializer,
    CameraInputSerializer,
    CameraOutputSerializer,
    ClipOutputSerializer,
    ClipReferenceInputSerializer,
    EventUpdateInputSerializer,
    HeartbeatInputSerializer,
    IngestTokenOutputSerializer,
    LiveOutputSerializer,
    TokenInputSerializer,
    TokenOutputSerializer,
    paginated,
)
from surveillance.users import signed_in_user

IDEMPOTENCY_HEADER = "Idempotency-Key"


def _paginated(paginator, queryset, request: Request, view, serializer_class) -> Response:
    page = paginator.paginate_queryset(queryset, request, view=view)
    data = serializer_class(page, many=True, context={"request": request}).data
    return paginator.get_paginated_response(data)


# --- auth --------------------------------------------------------------------------------------------


class TokenObtainApi(APIView):
    """POST /api-token-auth/: a user's API token for their username and password (throttled)."""

    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(request=TokenInputSerializer, responses={200: TokenOutputSerializer}, auth=[])
    def post(self, request: Request) -> Response:
        if not settings.LOCAL_PASSWORDS:
            raise LocalPasswordsOff()
        data = TokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if user is None:
            raise exceptions.ValidationError(
                {"non_field_errors": ["Unable to log in with these credentials."]}
            )
        # A token is a login: the signal clears the client's failure count (django-axes) and sets last_login.
        user_logged_in.send(sender=user.__class__, request=request._request, user=user)
        token, _ = Token.objects.get_or_create(user=user)
        return Response(TokenOutputSerializer({"token": token.key}).data)


# --- cameras -----------------------------------------------------------------------------------------


class CameraListCreateApi(APIView):
    """GET /api/cameras/ (paginated, RTSP passwords masked), POST /api/cameras/."""

    @extend_schema(
        operation_id="api_cameras_list",
        responses={200: paginated(CameraOutputSerializer, name="PaginatedCameraList")},
    )
    def get(self, request: Request) -> Response:
        cameras = selectors.cameras_of(signed_in_user(request))
        return _paginated(PagePagination(), cameras, request, self, CameraOutputSerializer)

    @extend_schema(request=CameraInputSerializer, responses={201: CameraCreatedOutputSerializer})
    def post(self, request: Request) -> Response:
        data = CameraInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        camera = services.camera_create(user=signed_in_user(request), **data.validated_data)
        audit_object(request, AuditAction.CAMERA_CREATED, camera)
        return Response(CameraCreatedOutputSerializer(camera).data, status=status.HTTP_201_CREATED)


class CameraDetailApi(APIView):
    """GET/PUT/PATCH/DELETE /api/cameras/<id>/: only the owner's cameras; others answer 404."""

    @extend_schema(responses={200: CameraDetailOutputSerializer})
    def get(self, request: Request, pk: int) -> Response:
        camera = selectors.camera_of(user=signed_in_user(request), camera_id=pk)
        return Response(CameraDetailOutputSerializer(camera).data)

    def _update(self, request: Request, pk: int, *, partial: bool) -> Response:
        camera = selectors.camera_of(user=signed_in_user(request), camera_id=pk, action=Action.CHANGE)
        data = CameraInputSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        camera = services.camera_update(camera=camera, **data.validated_data)
        audit_object(request, AuditAction.CAMERA_UPDATED, camera)
        return Response(CameraDetailOutputSerializer(camera).data)

    @extend_schema(request=CameraInputSerializer, responses={200: CameraDetailOutputSerializer})
    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=False)

    @extend_schema(request=CameraInputSerializer, responses={200: CameraDetailOutputSerializer})
    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=True)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        camera = selectors.camera_of(user=signed_in_user(request), camera_id=pk, action=Action.CHANGE)
        services.camera_delete(camera=camera)
        audit_object(request, AuditAction.CAMERA_DELETED, camera, pk=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CameraActivateApi(APIView):
    """POST /api/cameras/<id>/activate/: the operator starts a worker for it on its next sync."""

    active = True

    @extend_schema(request=None, responses={200: CameraDetailOutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        camera = selectors.camera_of(user=signed_in_user(request), camera_id=pk, action=Action.CHANGE)
        camera = services.camera_set_active(camera=camera, active=self.active)
        audit_object(
            request, AuditAction.CAMERA_UPDATED, camera, detail="activated" if self.active else "deactivated"
        )
        return Response(CameraDetailOutputSerializer(camera).data)


class CameraDeactivateApi(CameraActivateApi):
    """POST /api/cameras/<id>/deactivate/: the operator stops its worker on its next sync."""

    active = False


class CameraRotateTokenApi(APIView):
    """POST /api/cameras/<id>/rotate-token/: a new ingest token (shown here); the old one stops working."""

    @extend_schema(request=None, responses={200: IngestTokenOutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        camera = selectors.camera_of(user=signed_in_user(request), camera_id=pk, action=Action.CHANGE)
        token = services.camera_rotate_ingest_token(camera=camera)
        audit_object(request, AuditAction.CAMERA_UPDATED, camera, detail="ingest token rotated")
        return Response(IngestTokenOutputSerializer({"camera_id": camera.pk, "ingest_token": token}).data)


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
        services.camera_record_heartbeat(
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
            services.events_close_orphans(camera=camera, open_keys=data.validated_data["open_events"])
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


class CameraLiveApi(APIView):
    """GET /api/cameras/<id>/live/: the camera's live state, codec and stream URLs (docs/contracts.md)."""

    @extend_schema(responses={200: LiveOutputSerializer})
    def get(self, request: Request, pk: int) -> Response:
        camera = selectors.camera_of(user=signed_in_user(request), camera_id=pk, action=Action.VIEW_MEDIA)
        state = live.live_state(camera)
        is_live = state == live.STATE_LIVE

        def urls(base: str) -> dict[str, str | None]:
            http = request.build_absolute_uri(base)
            # The WebSocket of the same stream (surveillance.live_ws): ws(s) for http(s).
            ws = "ws" + http.removeprefix("http")
            hls = http.replace("/stream/", "/hls/index.m3u8")
            return {"mse": ws.replace("/stream/", "/ws/"), "http": http, "hls": hls}

        body: dict[str, object] = {
            "state": state,
            "codec": (camera.live_codec or None) if is_live else None,
            **urls(f"/api/cameras/{camera.pk}/live/stream/"),
            "sub": None,
        }
        if camera.detect_rtsp_url:
            # Served apart where the worker reads both streams; else the one stream it reads (the same codec).
            body["sub"] = {
                "codec": (camera.live_sub_codec or camera.live_codec or None) if is_live else None,
                **urls(f"/api/cameras/{camera.pk}/live/sub/stream/"),
            }
        return Response(LiveOutputSerializer(body).data)


class CameraLiveStreamApi(APIView):
    """GET /api/cameras/<id>/live/stream/: the camera live, as fragmented MP4, relayed from its worker
    until the viewer leaves (a user's token or session only; ``surveillance.live``)."""

    sub = False  # the detection sub-stream (CameraLiveSubStreamApi)

    @extend_schema(responses={(200, "video/mp4"): OpenApiTypes.BINARY, 503: None})
    def get(self, request: Request, pk: int):
        camera = selectors.camera_of(user=signed_in_user(request), camera_id=pk, action=Action.VIEW_MEDIA)
        try:
            stream = live.open_stream(camera, sub=self.sub)
        except live.LiveUnavailable as exc:
            return Response({"detail": exc.detail, "state": exc.state}, status=exc.status)
        watched = audit_streams.watched(stream, request=request, camera=camera, sub=self.sub)  # audit trail
        response = StreamingHttpResponse(watched, content_type="video/mp4")
        response["X-Codec"] = stream.codec
        response["Cache-Control"] = "no-store"
        response["X-Accel-Buffering"] = "no"  # a proxy in front must pass fragments on as they come
        return response


class CameraLiveHlsApi(APIView):
    """GET /api/cameras/<id>/live/hls/<name>: the camera live as HLS with fMP4 segments (Safari, iOS): the
    playlist ``index.m3u8`` (LL-HLS: ``?_HLS_msn=&_HLS_part=`` blocks until that part), ``init.mp4``,
    ``seg-<n>.m4s`` and ``part-<n>.<p>.m4s``, relayed from its worker, whose HLS session
    the playlist starts (``surveillance.live``, ``cctv_worker.capture.hls``). The same callers as the
    stream; the playlist's URIs are relative, so a player sends the same credentials for the segments."""

    sub = False

    @extend_schema(responses={(200, "application/vnd.apple.mpegurl"): OpenApiTypes.BINARY, 503: None})
    def get(self, request: Request, pk: int, name: str):
        camera = selectors.camera_of(user=signed_in_user(request), camera_id=pk, action=Action.VIEW_MEDIA)
        try:
            query = live.hls_query(
                name, request.query_params.get("_HLS_msn"), request.query_params.get("_HLS_part")
            )
        except ValueError as exc:
            return Response({"detail": str(exc)}, status=400)
        try:
            stream = live.open_hls(camera, name, sub=self.sub, query=query)
        except live.LiveUnavailable as exc:
            return Response({"detail": exc.detail, "state": exc.state}, status=exc.status)
        response = StreamingHttpResponse(stream, content_type=stream.content_type)
        response["Cache-Control"] = "no-store"
        response["X-Accel-Buffering"] = "no"
        return response


class CameraLiveSubHlsApi(CameraLiveHlsApi):
    """GET /api/cameras/<id>/live/sub/hls/<name>: the detection sub-stream as HLS."""

    sub = True


class CameraLiveSubStreamApi(CameraLiveStreamApi):
    """GET /api/cameras/<id>/live/sub/stream/: the detection sub-stream live (the camera wall's); the main
    stream where the camera has none."""

    sub = True


class CameraLiveDetectionsApi(APIView):
    """GET /api/cameras/<id>/live/detections/: the objects on the last frame the camera's worker analysed,
    for the live view's overlay (the same callers as the live stream; docs/contracts.md)."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 503: None})
    def get(self, request: Request, pk: int) -> Response:
        camera = selectors.camera_of(user=signed_in_user(request), camera_id=pk, action=Action.VIEW_MEDIA)
        try:
            body = live.read_detections(camera)
        except live.LiveUnavailable as exc:
            return Response({"detail": exc.detail, "state": exc.state}, status=exc.status)
        return Response(body, headers={"Cache-Control": "no-store"})


class ActiveCamerasApi(APIView):
    """GET /api/active-cameras/: the operator's view (every user's, with the permission), else your own.

    Not paginated (docs/contracts.md): the operator needs the whole desired state in one read.
    """

    @extend_schema(responses={200: ActiveCameraOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        cameras = selectors.active_cameras_of(signed_in_user(request))
        return Response(ActiveCameraOutputSerializer(cameras, many=True).data)


# --- alerts ------------------------------------------------------------------------------------------


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
        alert, created = services.alert_ingest(
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


class AlertListApi(APIView):
    """GET /api/alerts/: the user's alerts, newest first, filtered and paginated.

    ``?page=`` pages with a total count (the seed's shape); ``?pagination=cursor`` switches to cursor
    pages without a count, which stay fast at any depth.
    """

    @extend_schema(
        operation_id="api_alerts_list",
        parameters=[
            AlertFilterSerializer,
            OpenApiParameter("page", int, description="Page number (page pagination)."),
            OpenApiParameter("page_size", int, description="Items per page (up to 500)."),
            OpenApiParameter("pagination", str, enum=["page", "cursor"], description="Pagination style."),
            OpenApiParameter(
                "cursor", str, description="Cursor from a previous cursor page's next/previous."
            ),
        ],
        responses={200: paginated(AlertOutputSerializer, name="PaginatedAlertList")},
    )
    def get(self, request: Request) -> Response:
        filters = AlertFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        args = filters.validated_data
        queryset = selectors.alerts_of(
            signed_in_user(request),
            camera_id=args.get("camera"),
            alert_type=args.get("alert_type"),
            acknowledged=args.get("acknowledged"),
            since=args.get("since"),
            until=args.get("until"),
            reviewed=args.get("reviewed"),
            zone=args.get("zone"),
        )
        queryset = reviews.with_review_state(queryset, signed_in_user(request))
        cursor = request.query_params.get("pagination") == "cursor" or "cursor" in request.query_params
        paginator = AlertCursorPagination() if cursor else PagePagination()
        return _paginated(paginator, queryset, request, self, AlertOutputSerializer)


class AlertDetailApi(APIView):
    """GET /api/alerts/<id>/."""

    @extend_schema(responses={200: AlertOutputSerializer})
    def get(self, request: Request, pk: int) -> Response:
        alert = selectors.alert_of(user=signed_in_user(request), alert_id=pk)
        return Response(AlertOutputSerializer(alert, context={"request": request}).data)


class AlertAcknowledgeApi(APIView):
    """POST /api/alerts/<id>/acknowledge/: idempotent; the first acknowledgement's who and when stay."""

    @extend_schema(request=None, responses={200: AlertOutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        user = signed_in_user(request)
        alert = selectors.alert_of(user=user, alert_id=pk, action=Action.ACKNOWLEDGE)
        alert = services.alert_acknowledge(alert=alert, user=user)
        return Response(AlertOutputSerializer(alert, context={"request": request}).data)


class AlertsAcknowledgeApi(APIView):
    """POST /api/alerts/acknowledge/ {"ids": [...]}: acknowledge several; answers how many changed."""

    @extend_schema(
        operation_id="alerts_acknowledge_many",
        request=AlertsAcknowledgeInputSerializer,
        responses={200: AlertsAcknowledgeOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        data = AlertsAcknowledgeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        count = services.alerts_acknowledge(
            user=signed_in_user(request), alert_ids=data.validated_data["ids"]
        )
        return Response({"acknowledged": count})


# --- events and clips (the worker's calls) -----------------------------------------------------------


class EventUpdateApi(APIView):
    """PUT /api/cameras/<id>/events/<key>/: the event's state at a revision (ingest or user token)."""

    permission_classes = [IsUserOrCamera]

    @extend_schema(request=EventUpdateInputSerializer, responses={200: AlertOutputSerializer})
    def put(self, request: Request, pk: int, key: str) -> Response:
        camera = _camera_for_ingest(request, pk)
        data = EventUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        alert = services.alert_event_update(camera=camera, key=key, **data.validated_data)
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
            clip, created = services.clip_store(
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
        clip, created = services.clip_store_reference(
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
