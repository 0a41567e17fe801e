"""A team's service accounts over the API (issue 25): ``/api/teams/<id>/service-accounts/`` (list, create
with a first token), ``.../<account_id>/`` (delete), ``.../<account_id>/tokens/`` (another token) and
``.../tokens/<token_id>/`` (revoke). Owners and admins of the team (``Action.MANAGE_SERVICE_ACCOUNTS``);
another team is a 404. Thin views over teams.service_accounts and api_tokens.services (docs/contracts.md
"Team service accounts")."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api_tokens import services
from api_tokens.models import ApiToken
from api_tokens.serializers import (
    ApiTokenCreatedOutputSerializer,
    ApiTokenCreateInputSerializer,
    ServiceAccountCreatedOutputSerializer,
    ServiceAccountCreateInputSerializer,
    ServiceAccountOutputSerializer,
)
from audit.actions import AuditAction
from audit.serializers import page_of
from audit.services import audit_object
from audit.views import default_paginator
from teams import selectors as team_selectors
from teams import service_accounts
from teams.models import ServiceAccount, Team
from teams.permissions import Action


def _team(request: Request, pk: int) -> Team:
    if not isinstance(request.user, User):
        raise PermissionDenied("A signed-in user is required.")
    return team_selectors.team_of(user=request.user, team_id=pk, action=Action.MANAGE_SERVICE_ACCOUNTS)


def _no_minting_by_token(request: Request) -> None:
    if isinstance(request.auth, ApiToken):
        # As for /api/tokens/: a leaked token must not mint itself (or an account) a longer-lived successor.
        raise exceptions.PermissionDenied("An API token cannot create API tokens: sign in to do that.")


def _account(request: Request, pk: int, account_id: int) -> ServiceAccount:
    return service_accounts.service_account_in(team=_team(request, pk), account_id=account_id)


def _validation(error: DjangoValidationError) -> exceptions.ValidationError:
    return exceptions.ValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages)


class ServiceAccountListCreateApi(APIView):
    @extend_schema(
        operation_id="api_team_service_accounts_list",
        responses={200: page_of(ServiceAccountOutputSerializer, name="PaginatedServiceAccountList")},
    )
    def get(self, request: Request, pk: int) -> Response:
        paginator = default_paginator()
        accounts = service_accounts.service_accounts_of(_team(request, pk))
        page = paginator.paginate_queryset(accounts, request, view=self)
        return paginator.get_paginated_response(ServiceAccountOutputSerializer(page, many=True).data)

    @extend_schema(
        request=ServiceAccountCreateInputSerializer, responses={201: ServiceAccountCreatedOutputSerializer}
    )
    def post(self, request: Request, pk: int) -> Response:
        team = _team(request, pk)
        _no_minting_by_token(request)
        data = ServiceAccountCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        try:
            made = services.service_account_create_with_token(
                team=team, created_by=request.user, role=fields.pop("role"), request=request, **fields
            )
        except DjangoValidationError as error:
            raise _validation(error) from None
        audit_object(request, AuditAction.TOKEN_CREATED, made.created.token, detail=made.account.name)
        token = ApiTokenCreatedOutputSerializer(made.created.token).data | {"token": made.created.secret}
        account = service_accounts.service_accounts_of(team).get(pk=made.account.pk)
        body = ServiceAccountCreatedOutputSerializer(account, context={"token": token}).data
        return Response(body, status=status.HTTP_201_CREATED)


class ServiceAccountDetailApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int, account_id: int) -> Response:
        service_accounts.service_account_delete(account=_account(request, pk, account_id), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ServiceAccountTokenCreateApi(APIView):
    @extend_schema(request=ApiTokenCreateInputSerializer, responses={201: ApiTokenCreatedOutputSerializer})
    def post(self, request: Request, pk: int, account_id: int) -> Response:
        account = _account(request, pk, account_id)
        _no_minting_by_token(request)
        data = ApiTokenCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            created = services.token_create(user=account.user, **data.validated_data)
        except DjangoValidationError as error:
            raise _validation(error) from None
        audit_object(request, AuditAction.TOKEN_CREATED, created.token, detail=account.name)
        body = ApiTokenCreatedOutputSerializer(created.token).data | {"token": created.secret}
        return Response(body, status=status.HTTP_201_CREATED)


class ServiceAccountTokenDetailApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int, account_id: int, token_id: int) -> Response:
        account = _account(request, pk, account_id)
        token = services.token_revoke(user=account.user, token_id=token_id)
        audit_object(request, AuditAction.TOKEN_REVOKED, token, detail=account.name)
        return Response(status=status.HTTP_204_NO_CONTENT)
