"""The live view's API: a camera's live state and its stream, relayed from its worker (``cameras.live``)."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit import streams as audit_streams
from surveillance.access import Action
from surveillance.accounts.users import signed_in_user
from surveillance.cameras import live, selectors
from surveillance.cameras.serializers import LiveOutputSerializer


class CameraLiveApi(APIView):
    """GET /api/cameras/<id>/live/: the camera's live state, codec and stream URLs (docs/contracts.md)."""

    @extend_schema(responses={200: LiveOutputSerializer})
    def get(self, request: Request, pk: int) -> Response:
        camera = selectors.camera_of(user=signed_in_user(request), camera_id=pk, action=Action.VIEW_MEDIA)
        state = live.live_state(camera)
        is_live = state == live.STATE_LIVE

        def urls(base: str) -> dict[str, str | None]:
            http = request.build_absolute_uri(base)
            # The WebSocket of the same stream (surveillance.cameras.live_ws): ws(s) for http(s).
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
    until the viewer leaves (a user's token or session only; ``surveillance.cameras.live``)."""

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
    the playlist starts (``surveillance.cameras.live``, ``cctv_worker.capture.hls``). The same callers as the
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
