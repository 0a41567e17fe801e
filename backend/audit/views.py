"""The audit API: ``GET /api/audit/`` (filtered, paginated like every list) and its CSV form
(``?format=csv`` or ``/api/audit.csv``), streamed. Read-only: no route changes or deletes a record."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import cast

from asgiref.sync import sync_to_async
from django.db.models import Q, QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from audit import selectors
from audit.models import AuditRecord
from audit.serializers import CSV_COLUMNS, AuditFilterSerializer, AuditRecordOutputSerializer, page_of

FORMATS = ("json", "csv")
PAGINATIONS = ("page", "cursor")
CSV_CHUNK_ROWS = 2000
# A spreadsheet runs a cell that starts with one of these as a formula; a failed sign-in's username is
# whatever the caller typed, so such a cell is written with a leading apostrophe (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class AuditCursorPagination(CursorPagination):
    """``?pagination=cursor``: pages without a count (the count of an unfiltered million records is most of
    a page's time), as the alert list offers."""

    ordering = ("-at", "-id")
    page_size_query_param = "page_size"
    max_page_size = 500


class _JsonOnly(DefaultContentNegotiation):
    """``?format=csv`` is this view's own switch (and errors stay JSON), not DRF's renderer override."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class AuditListApi(APIView):
    """GET /api/audit/: the audit records ``audit_visible_to`` lets the caller read, newest first."""

    content_negotiation_class = _JsonOnly
    csv_route = False

    @extend_schema(
        operation_id="api_audit_list",
        parameters=[
            AuditFilterSerializer,
            OpenApiParameter("page", int, description="Page number."),
            OpenApiParameter("page_size", int, description="Items per page (up to 500)."),
            OpenApiParameter("pagination", str, enum=["page", "cursor"], description="Pagination style."),
            OpenApiParameter("cursor", str, description="A previous cursor page's next or previous."),
            OpenApiParameter("format", str, enum=list(FORMATS), description="csv: every match as CSV."),
        ],
        responses={
            200: page_of(AuditRecordOutputSerializer, name="PaginatedAuditRecordList"),
            (200, "text/csv"): OpenApiTypes.BINARY,
        },
    )
    def get(self, request: Request):
        filters = AuditFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        wanted = request.query_params.get("format", "csv" if self.csv_route else "json")
        if wanted not in FORMATS:
            raise exceptions.ValidationError({"format": [f"format is one of {', '.join(FORMATS)}."]})
        if request.query_params.get("pagination", "page") not in PAGINATIONS:
            raise exceptions.ValidationError({"pagination": ["pagination is page or cursor."]})
        args = filters.validated_data
        visible = selectors.audit_visible_to(request.user, team_id=args.get("team"))
        if visible is None:  # the API's default permission turns anonymous callers away before this
            raise exceptions.PermissionDenied("Reading the audit trail needs a signed-in user.")
        records = selectors.audit_records(
            visible,
            user_id=args.get("user"),
            action=args.get("action"),
            camera_id=args.get("camera"),
            since=args.get("since"),
            until=args.get("until"),
        )
        if wanted == "csv":
            return _csv_response(records)
        cursor = request.query_params.get("pagination") == "cursor" or "cursor" in request.query_params
        paginator = AuditCursorPagination() if cursor else default_paginator()
        page = paginator.paginate_queryset(records, request, view=self)
        return paginator.get_paginated_response(AuditRecordOutputSerializer(page, many=True).data)


class AuditCsvApi(AuditListApi):
    """GET /api/audit.csv: the same as ``/api/audit/?format=csv``."""

    csv_route = True

    @extend_schema(operation_id="api_audit_csv", responses={(200, "text/csv"): OpenApiTypes.BINARY})
    def get(self, request: Request):
        return super().get(request)


def _csv_response(records: QuerySet[AuditRecord]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_csv_lines(records), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{timezone.now():%Y%m%dT%H%M%SZ}.csv"'
    response["Cache-Control"] = "no-store"
    return response


async def _csv_lines(records: QuerySet[AuditRecord]) -> AsyncIterator[str]:
    """The header, then the records a chunk at a time, each chunk its own short query after the last
    row's (at, id): a slow reader holds no cursor or transaction open between chunks, and nothing is
    built whole in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield _drain(buffer)
    after: tuple | None = None
    while True:
        chunk = await sync_to_async(_chunk)(records, after)
        for row in chunk:
            writer.writerow(_cells(row))
        yield _drain(buffer)
        if len(chunk) < CSV_CHUNK_ROWS:
            return
        after = (chunk[-1].at, chunk[-1].pk)


def _chunk(records: QuerySet[AuditRecord], after: tuple | None) -> list[AuditRecord]:
    if after is not None:
        at, pk = after
        records = records.filter(Q(at__lt=at) | Q(at=at, id__lt=pk))
    return list(records[:CSV_CHUNK_ROWS])


_AT = serializers.DateTimeField()  # the JSON list's spelling of a time, without a serializer per row
# Each CSV column's model attribute (the output serializer's field names, in its order).
_ATTRIBUTES = {"user": "user_id", "camera": "camera_id", "team": "team_id"}


def _cells(record: AuditRecord) -> list[str]:
    cells = []
    for column in CSV_COLUMNS:
        value = getattr(record, _ATTRIBUTES.get(column, column))
        text = "" if value is None else _AT.to_representation(value) if column == "at" else str(value)
        cells.append("'" + text if text.startswith(_FORMULA_START) else text)
    return cells


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def default_paginator() -> PageNumberPagination:
    """The project's list pagination (REST_FRAMEWORK's DEFAULT_PAGINATION_CLASS: pages with a count)."""
    return cast(type[PageNumberPagination], api_settings.DEFAULT_PAGINATION_CLASS)()
