"""Routes of the API tokens API (api_tokens.views) and of teams' service accounts (api_tokens.team_views)."""

from django.urls import path

from api_tokens import team_views, views

urlpatterns = [
    path("api/tokens/", views.TokenListCreateApi.as_view(), name="api-tokens"),
    path("api/tokens/<int:pk>/", views.TokenDetailApi.as_view(), name="api-token"),
    # A team's service accounts (their tokens are these tokens, held by the account's user).
    path(
        "api/teams/<int:pk>/service-accounts/",
        team_views.ServiceAccountListCreateApi.as_view(),
        name="team-service-accounts",
    ),
    path(
        "api/teams/<int:pk>/service-accounts/<int:account_id>/",
        team_views.ServiceAccountDetailApi.as_view(),
        name="team-service-account",
    ),
    path(
        "api/teams/<int:pk>/service-accounts/<int:account_id>/tokens/",
        team_views.ServiceAccountTokenCreateApi.as_view(),
        name="team-service-account-tokens",
    ),
    path(
        "api/teams/<int:pk>/service-accounts/<int:account_id>/tokens/<int:token_id>/",
        team_views.ServiceAccountTokenDetailApi.as_view(),
        name="team-service-account-token",
    ),
]
