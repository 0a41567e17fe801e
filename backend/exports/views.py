"""The exports API: thin views over ``exports.selectors`` / ``exports.services``; the owner only.

- ``GET /api/exports/``: the caller's exports, newest first (pages); ``POST``: ask for one (201, pending),
  or one per camera of ``cameras`` (201 ``{"exports": [...]}``).
- ``GET /api/exports/<id>/``: one export, its status and progress; ``DELETE``: it and its file.
- ``GET /api/exports/<id>/download/``: the MP4 once done (range requests), as an attachment.
"""

from __future__ import annotations

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.actions import AuditAction
from audit.services import audit_export_downloaded, audit_object
from exports import selectors, services
from exports.models import ExportStatus
from exports.serializers import ExportBatchOutputSerializer, ExportInputSerializer, ExportOutputSerializer
from surveillance import media_store
from surveillance.accounts.users import signed_in_user
from surveillance.pagination import PagePagination
from surveillance.schema import paginated

_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._ -]+")


class ExportListApi(APIView):
    @extend_schema(
        operation_id="api_exports_list",
        parameters=[
            OpenApiParameter("page", int, description="Page number."),
            OpenApiParameter("page_size", int, description="Items per page (up to 500)."),
        ],
        responses={200: paginated(ExportOutputSerializer, name="PaginatedExportList")},
    )
    def get(self, request: Request) -> Response:
        paginator = PagePagination()
        page = paginator.paginate_queryset(selectors.exports_of(signed_in_user(request)), request, view=self)
        data = ExportOutputSerializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        request=ExportInputSerializer,
        responses={
            201: PolymorphicProxySerializer(
                component_name="ExportCreated",
                serializers=[ExportOutputSerializer, ExportBatchOutputSerializer],
                resource_type_field_name=None,
            )
        },
    )
    def post(self, request: Request) -> Response:
        data = ExportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        several = "cameras" in fields
        exports = services.exports_create(
            user=signed_in_user(request),
            camera_ids=fields["cameras"] if several else [fields["camera"]],
            start=fields["start"],
            end=fields["end"],
            name=fields["name"],
            camera_field="cameras" if several else "camera",
        )
        for export in exports:
            audit_object(request, AuditAction.EXPORT_CREATED, export)
        made = ExportOutputSerializer(exports, many=True, context={"request": request}).data
        return Response({"exports": made} if several else made[0], status=status.HTTP_201_CREATED)


class ExportDetailApi(APIView):
    @extend_schema(responses={200: ExportOutputSerializer})
    def get(self, request: Request, pk: int) -> Response:
        export = selectors.export_of(user=signed_in_user(request), export_id=pk)
        return Response(ExportOutputSerializer(export, context={"request": request}).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.export_delete(user=signed_in_user(request), export_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ExportDownloadApi(APIView):
    @extend_schema(
        responses={(200, "video/mp4"): OpenApiTypes.BINARY, (206, "video/mp4"): OpenApiTypes.BINARY}
    )
    def get(self, request: Request, pk: int):
        export = selectors.export_of(user=signed_in_user(request), export_id=pk)
        if export.status != ExportStatus.DONE:
            return Response(
                {"detail": f"The export is {export.status}; its file is there once it is done."},
                status=status.HTTP_409_CONFLICT,
            )
        response = media_store.serve(request, export.file.name, content_type="video/mp4")
        audit_export_downloaded(request, export)
        # The user's name, reduced to characters every browser and header parser takes.
        filename = _UNSAFE_FILENAME.sub("_", export.name).strip(" .") or f"export-{export.pk}"
        response["Content-Disposition"] = f'attachment; filename="{filename[:100]}.mp4"'
        return response
