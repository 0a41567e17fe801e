"""The teams API: a user's teams and their roles, new teams, members added, re-roled, narrowed to camera
groups and removed by the team's owners, and the team's camera groups (sites) kept by its admins and
owners. Thin views over teams.selectors and teams.services; errors answer as everywhere
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
    CameraGroupInputSerializer,
    CameraGroupOutputSerializer,
    CameraGroupUpdateInputSerializer,
    MemberInputSerializer,
    MemberOutputSerializer,
    MemberUpdateInputSerializer,
    TeamInputSerializer,
    TeamOutputSerializer,
)


def _user(request: Request) -> User:
    # The default permission (surveillance.accounts.permissions.IsUser) already turned away anonymous
    # callers and camera ingest tokens; this states it where the type checker sees it.
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
    """PATCH/DELETE /api/teams/<id>/members/<user_id>/ (owners; the last owner stays). PATCH sets the role,
    the camera groups the role is narrowed to (``[]``: the whole team), or both."""

    @extend_schema(request=MemberUpdateInputSerializer, responses={200: MemberOutputSerializer})
    def patch(self, request: Request, pk: int, user_id: int) -> Response:
        team = selectors.team_of(user=_user(request), team_id=pk, action=Action.MANAGE_MEMBERS)
        membership = selectors.membership_in(team=team, user_id=user_id)
        data = MemberUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.member_update(membership=membership, request=request, **data.validated_data)
        return Response(MemberOutputSerializer(membership).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int, user_id: int) -> Response:
        team = selectors.team_of(user=_user(request), team_id=pk, action=Action.MANAGE_MEMBERS)
        membership = selectors.membership_in(team=team, user_id=user_id)
        services.member_remove(membership=membership, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CameraGroupListCreateApi(_PagedListApi):
    """GET /api/teams/<id>/groups/ (any member), POST (``change`` in the whole team: admins, owners)."""

    @extend_schema(
        operation_id="api_team_groups_list", responses={200: CameraGroupOutputSerializer(many=True)}
    )
    def get(self, request: Request, pk: int) -> Response:
        team = selectors.team_of(user=_user(request), team_id=pk)
        return self._paginated(selectors.groups_of(team), request, CameraGroupOutputSerializer)

    @extend_schema(request=CameraGroupInputSerializer, responses={201: CameraGroupOutputSerializer})
    def post(self, request: Request, pk: int) -> Response:
        team = selectors.team_of(user=_user(request), team_id=pk, action=Action.CHANGE)
        data = CameraGroupInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        group = services.camera_group_create(team=team, request=request, **data.validated_data)
        group = selectors.group_of(team=team, group_id=group.pk)
        return Response(CameraGroupOutputSerializer(group).data, status=status.HTTP_201_CREATED)


class CameraGroupDetailApi(APIView):
    """GET /api/teams/<id>/groups/<group_id>/ (any member), PATCH name and/or cameras, DELETE (``change``
    in the whole team; a group that narrows a membership is not deleted: 400)."""

    @extend_schema(responses={200: CameraGroupOutputSerializer})
    def get(self, request: Request, pk: int, group_id: int) -> Response:
        team = selectors.team_of(user=_user(request), team_id=pk)
        return Response(CameraGroupOutputSerializer(selectors.group_of(team=team, group_id=group_id)).data)

    @extend_schema(request=CameraGroupUpdateInputSerializer, responses={200: CameraGroupOutputSerializer})
    def patch(self, request: Request, pk: int, group_id: int) -> Response:
        team = selectors.team_of(user=_user(request), team_id=pk, action=Action.CHANGE)
        group = selectors.group_of(team=team, group_id=group_id)
        data = CameraGroupUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.camera_group_update(group=group, request=request, **data.validated_data)
        return Response(CameraGroupOutputSerializer(selectors.group_of(team=team, group_id=group_id)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int, group_id: int) -> Response:
        team = selectors.team_of(user=_user(request), team_id=pk, action=Action.CHANGE)
        services.camera_group_delete(group=selectors.group_of(team=team, group_id=group_id), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)
