"""The cameras API for users: list, create, read, change, delete, (de)activate, rotate the ingest token,
and the operator's active cameras. Thin views that parse with an input serializer, call a selector or
service, and answer with an output serializer; status codes are in docs/contracts.md.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.actions import AuditAction
from audit.services import audit_object
from surveillance.access import Action
from surveillance.accounts.users import signed_in_user
from surveillance.cameras import selectors, services
from surveillance.cameras.serializers import (
    ActiveCameraOutputSerializer,
    CameraCreatedOutputSerializer,
    CameraDetailOutputSerializer,
    CameraInputSerializer,
    CameraOutputSerializer,
    IngestTokenOutputSerializer,
)
from surveillance.pagination import page_response
from surveillance.schema import paginated


class CameraListCreateApi(APIView):
    """GET /api/cameras/ (paginated, RTSP passwords masked), POST /api/cameras/."""

    @extend_schema(
        operation_id="api_cameras_list",
        responses={200: paginated(CameraOutputSerializer, name="PaginatedCameraList")},
    )
    def get(self, request: Request) -> Response:
        cameras = selectors.cameras_of(signed_in_user(request))
        return page_response(cameras, request, self, CameraOutputSerializer)

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


class ActiveCamerasApi(APIView):
    """GET /api/active-cameras/: the operator's view (every user's, with the permission), else your own.

    Not paginated (docs/contracts.md): the operator needs the whole desired state in one read.
    """

    @extend_schema(responses={200: ActiveCameraOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        cameras = selectors.active_cameras_of(signed_in_user(request))
        return Response(ActiveCameraOutputSerializer(cameras, many=True).data)
