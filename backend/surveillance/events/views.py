"""The alerts API for users: the list, one alert, acknowledging (reviews: ``review_views``).
Thin views that parse with an input serializer, call a selector or service, and answer with an output
serializer; status codes are in docs/contracts.md.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from surveillance.access import Action
from surveillance.accounts.users import signed_in_user
from surveillance.events import reviews, selectors, services
from surveillance.events.serializers import (
    AlertFilterSerializer,
    AlertOutputSerializer,
    AlertsAcknowledgeInputSerializer,
    AlertsAcknowledgeOutputSerializer,
)
from surveillance.pagination import AlertCursorPagination, PagePagination, page_response
from surveillance.schema import paginated


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
        return page_response(queryset, request, self, AlertOutputSerializer, paginator=paginator)


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
