"""The tokens API: ``GET/POST /api/tokens/`` (the caller's own), ``DELETE /api/tokens/<id>/`` (revoke)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api_tokens import selectors, services
from api_tokens.models import ApiToken
from api_tokens.serializers import (
    ApiTokenCreatedOutputSerializer,
    ApiTokenCreateInputSerializer,
    ApiTokenOutputSerializer,
)
from audit.actions import AuditAction
from audit.serializers import page_of
from audit.services import audit_object
from audit.views import default_paginator


class TokenListCreateApi(APIView):
    @extend_schema(
        operation_id="api_tokens_list",
        parameters=[
            OpenApiParameter("page", int, description="Page number."),
            OpenApiParameter("page_size", int, description="Items per page (up to 500)."),
        ],
        responses={200: page_of(ApiTokenOutputSerializer, name="PaginatedApiTokenList")},
    )
    def get(self, request: Request) -> Response:
        paginator = default_paginator()
        page = paginator.paginate_queryset(selectors.tokens_of(request.user), request, view=self)
        return paginator.get_paginated_response(ApiTokenOutputSerializer(page, many=True).data)

    @extend_schema(request=ApiTokenCreateInputSerializer, responses={201: ApiTokenCreatedOutputSerializer})
    def post(self, request: Request) -> Response:
        if isinstance(request.auth, ApiToken):
            # A leaked token must not mint itself a longer-lived successor.
            raise exceptions.PermissionDenied("An API token cannot create API tokens: sign in to do that.")
        data = ApiTokenCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            created = services.token_create(user=request.user, **data.validated_data)
        except DjangoValidationError as error:
            raise exceptions.ValidationError(error.message_dict) from None
        audit_object(request, AuditAction.TOKEN_CREATED, created.token)
        body = ApiTokenCreatedOutputSerializer(created.token).data | {"token": created.secret}
        return Response(body, status=status.HTTP_201_CREATED)


class TokenDetailApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        token = services.token_revoke(user=request.user, token_id=pk)
        audit_object(request, AuditAction.TOKEN_REVOKED, token)
        return Response(status=status.HTTP_204_NO_CONTENT)
