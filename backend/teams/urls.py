"""Routes of the teams API (docs/contracts.md "Teams")."""

from django.urls import path

from teams import views

urlpatterns = [
    path("api/teams/", views.TeamListCreateApi.as_view(), name="team-list"),
    path("api/teams/<int:pk>/members/", views.MemberListCreateApi.as_view(), name="team-members"),
    path(
        "api/teams/<int:pk>/members/<int:user_id>/",
        views.MemberDetailApi.as_view(),
        name="team-member-detail",
    ),
    path("api/teams/<int:pk>/groups/", views.CameraGroupListCreateApi.as_view(), name="team-groups"),
    path(
        "api/teams/<int:pk>/groups/<int:group_id>/",
        views.CameraGroupDetailApi.as_view(),
        name="team-group-detail",
    ),
]
