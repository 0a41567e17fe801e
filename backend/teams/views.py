"""The teams API: a user's teams and their roles, new teams, and members added, re-roled and removed by
the team's owners. Thin views over teams.selectors and teams.services; errors answer as everywhere
(docs/contracts.md "Teams")."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from teams import selectors, services
from teams.permissions import Action
from teams.serializers import (
    MemberInputSerializer,
    MemberOutputSerializer,
    MemberRoleInputSerializer,
    TeamInputSerializer,
    TeamOutputSerializer,
)


def _user(request: Request) -> User:
    # The default permission (surveillance.permissions.IsUser) already turned away anonymous callers and
    # camera ingest tokens; this states it where the type checker sees it.
    if not isinstance(request.user, User):
        raise PermissionDenied("A signed-in user is required.")
    return request.user


class _PagedListApi(APIView):
    # Pages as every list of the API; drf-spectacular reads ``pagination_class`` for the schema's shape.
    pagination_class: type[BasePagination] = cast(type[BasePagination], api_settings.DEFAULT_PAGINATION_CLASS)

    def _paginated(self, queryset, request: Request, serializer_class) -> Response:
        paginator = self.pagination_class()
        page: Any = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(serializer_class(page, many=True).data)


class TeamListCreateApi(_PagedListApi):
    """GET /api/teams/ (the caller's teams and role in each), POST /api/teams/ (the caller owns it)."""

    @extend_schema(operation_id="api_teams_list", responses={200: TeamOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return self._paginated(selectors.memberships_of(_user(request)), request, TeamOutputSerializer)

    @extend_schema(request=TeamInputSerializer, responses={201: TeamOutputSerializer})
    def post(self, request: Request) -> Response:
        user = _user(request)
        data = TeamInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        team = services.team_create(user=user, name=data.validated_data["name"], request=request)
        membership = selectors.memberships_of(user).get(team=team)
        return Response(TeamOutputSerializer(membership).data, status=status.HTTP_201_CREATED)


class MemberListCreateApi(_PagedListApi):
    """GET /api/teams/<id>/members/ (any member), POST (owners: adds an existing user with a role)."""

    @extend_schema(operation_id="api_team_members_list", responses={200: MemberOutputSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        team = selectors.team_of(user=_user(request), team_id=pk)
        return self._paginated(selectors.members_of(team), request, MemberOutputSerializer)

    @extend_schema(request=MemberInputSerializer, responses={201: MemberOutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        team = selectors.team_of(user=_user(request), team_id=pk, action=Action.MANAGE_MEMBERS)
        data = MemberInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.member_add(team=team, **data.validated_data, request=request)
        return Response(MemberOutputSerializer(membership).data, status=status.HTTP_201_CREATED)


class MemberDetailApi(APIView):
    """PATCH/DELETE /api/teams/<id>/members/<user_id>/ (owners; the last owner stays)."""

    @extend_schema(request=MemberRoleInputSerializer, responses={200: MemberOutputSerializer})
    def patch(self, request: Request, pk: int, user_id: int) -> Response:
        team = selectors.team_of(user=_user(request), team_id=pk, action=Action.MANAGE_MEMBERS)
        membership = selectors.membership_in(team=team, user_id=user_id)
        data = MemberRoleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        role = data.validated_data["role"]
        membership = services.member_set_role(membership=membership, role=role, request=request)
        return Response(MemberOutputSerializer(membership).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int, user_id: int) -> Response:
        team = selectors.team_of(user=_user(request), team_id=pk, action=Action.MANAGE_MEMBERS)
        membership = selectors.membership_in(team=team, user_id=user_id)
        services.member_remove(membership=membership, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)
