"""The notifications REST API under /api/notifications/: thin views over selectors and services."""

from __future__ import annotations

import threading

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.actions import AuditAction
from audit.services import audit_object
from notifications import selectors, services
from notifications.senders import send as send_message
from notifications.serializers import (
    ChannelCreatedOutputSerializer,
    ChannelInputSerializer,
    ChannelOutputSerializer,
    DeliveryFilterSerializer,
    DeliveryOutputSerializer,
)
from surveillance.access import Action
from surveillance.accounts.users import signed_in_user
from surveillance.pagination import page_response
from surveillance.schema import paginated

_test_slots = threading.BoundedSemaphore(settings.CHANNEL_TEST_CONCURRENCY)


class ChannelListCreateApi(APIView):
    """GET/POST /api/notifications/channels/."""

    @extend_schema(
        operation_id="api_notification_channels_list",
        responses={200: paginated(ChannelOutputSerializer, name="PaginatedChannelList")},
    )
    def get(self, request: Request) -> Response:
        return page_response(
            selectors.channels_of(signed_in_user(request)), request, self, ChannelOutputSerializer
        )

    @extend_schema(request=ChannelInputSerializer, responses={201: ChannelCreatedOutputSerializer})
    def post(self, request: Request) -> Response:
        data = ChannelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        channel = services.channel_create(user=signed_in_user(request), **data.validated_data)
        audit_object(request, AuditAction.CHANNEL_CREATED, channel)
        return Response(ChannelCreatedOutputSerializer(channel).data, status=status.HTTP_201_CREATED)


class ChannelDetailApi(APIView):
    """GET/PUT/PATCH/DELETE /api/notifications/channels/<id>/: the owner's only; others answer 404."""

    @extend_schema(responses={200: ChannelOutputSerializer})
    def get(self, request: Request, pk: int) -> Response:
        channel = selectors.channel_of(user=signed_in_user(request), channel_id=pk)
        return Response(ChannelOutputSerializer(channel).data)

    def _update(self, request: Request, pk: int, *, partial: bool) -> Response:
        channel = selectors.channel_of(user=signed_in_user(request), channel_id=pk, action=Action.CHANGE)
        data = ChannelInputSerializer(data=request.data, partial=partial, context={"channel": channel})
        data.is_valid(raise_exception=True)
        channel = services.channel_update(channel=channel, **data.validated_data)
        audit_object(request, AuditAction.CHANNEL_UPDATED, channel)
        return Response(ChannelOutputSerializer(channel).data)

    @extend_schema(request=ChannelInputSerializer, responses={200: ChannelOutputSerializer})
    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=False)

    @extend_schema(request=ChannelInputSerializer, responses={200: ChannelOutputSerializer})
    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=True)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        channel = selectors.channel_of(user=signed_in_user(request), channel_id=pk, action=Action.CHANGE)
        services.channel_delete(channel=channel)
        audit_object(request, AuditAction.CHANNEL_DELETED, channel, pk=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChannelTestApi(APIView):
    """POST /api/notifications/channels/<id>/test/: send a test message now; answers its delivery record."""

    @extend_schema(request=None, responses={200: DeliveryOutputSerializer, 503: None})
    def post(self, request: Request, pk: int) -> Response:
        channel = selectors.channel_of(user=signed_in_user(request), channel_id=pk, action=Action.CHANGE)
        # The attempt runs in this request's thread: at most CHANNEL_TEST_CONCURRENCY of a process at once
        # (the others answer 503 at once), so slow receivers cannot hold every request thread; the
        # sender's one deadline per attempt bounds how long each is held.
        if not _test_slots.acquire(blocking=False):
            return Response(
                {"detail": "Other channel tests are running; retry shortly."},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
                headers={"Retry-After": "5"},
            )
        try:
            delivery = services.channel_send_test(channel=channel, send=send_message)
        finally:
            _test_slots.release()
        return Response(DeliveryOutputSerializer(delivery).data)


class DeliveryListApi(APIView):
    """GET /api/notifications/deliveries/: the delivery log, newest first (?channel=, ?status=)."""

    @extend_schema(
        operation_id="api_notification_deliveries_list",
        parameters=[DeliveryFilterSerializer],
        responses={200: paginated(DeliveryOutputSerializer, name="PaginatedDeliveryList")},
    )
    def get(self, request: Request) -> Response:
        filters = DeliveryFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = selectors.deliveries_of(
            signed_in_user(request),
            channel_id=filters.validated_data.get("channel"),
            status=filters.validated_data.get("status"),
        )
        return page_response(queryset, request, self, DeliveryOutputSerializer)


class DeliveryDetailApi(APIView):
    """GET /api/notifications/deliveries/<id>/."""

    @extend_schema(responses={200: DeliveryOutputSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(
            DeliveryOutputSerializer(selectors.delivery_of(user=signed_in_user(request), delivery_id=pk)).data
        )
