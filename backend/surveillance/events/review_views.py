"""The review API (issue 24): thin views over ``surveillance.events.reviews``.

- ``POST /api/alerts/<id>/review/``: the caller has reviewed the alert (idempotent); ``DELETE``: not.
- ``POST /api/alerts/review/ {"ids": [...]}``: several at once; answers how many changed.
- ``GET /api/alerts/to-review/``: how many of the caller's alerts since the last shift they have not reviewed.
The first two answer the alert(s) as the caller sees them; another user's alert is a 404 (or not counted).
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from surveillance.access import Action
from surveillance.accounts.users import signed_in_user
from surveillance.events import reviews, selectors
from surveillance.events.serializers import (
    AlertOutputSerializer,
    AlertsAcknowledgeInputSerializer,
    AlertsReviewOutputSerializer,
    AlertsToReviewOutputSerializer,
)


class AlertReviewApi(APIView):
    @extend_schema(request=None, responses={200: AlertOutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        user = signed_in_user(request)
        alert = selectors.alert_of(user=user, alert_id=pk, action=Action.REVIEW)
        reviews.alerts_review(user=user, alert_ids=[alert.pk])
        return self._answer(request, pk)

    @extend_schema(request=None, responses={200: AlertOutputSerializer})
    def delete(self, request: Request, pk: int) -> Response:
        user = signed_in_user(request)
        alert = selectors.alert_of(user=user, alert_id=pk, action=Action.REVIEW)
        reviews.alert_unreview(user=user, alert=alert)
        return self._answer(request, pk)

    def _answer(self, request: Request, pk: int) -> Response:
        user = signed_in_user(request)
        alert = reviews.with_review_state(selectors.alerts_of(user), user).get(pk=pk)
        return Response(AlertOutputSerializer(alert, context={"request": request}).data)


class AlertsReviewApi(APIView):
    @extend_schema(
        operation_id="alerts_review_many",
        request=AlertsAcknowledgeInputSerializer,
        responses={200: AlertsReviewOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        data = AlertsAcknowledgeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        count = reviews.alerts_review(user=signed_in_user(request), alert_ids=data.validated_data["ids"])
        return Response({"reviewed": count})


class AlertsToReviewApi(APIView):
    """No parameters: the window is the site's shift rota (``REVIEW_SHIFT_STARTS``), not the caller's."""

    @extend_schema(responses={200: AlertsToReviewOutputSerializer})
    def get(self, request: Request) -> Response:
        since = reviews.review_backlog_since(timezone.now())
        count = reviews.unreviewed_count(user=signed_in_user(request), since=since)
        return Response(AlertsToReviewOutputSerializer({"count": count, "since": since}).data)
