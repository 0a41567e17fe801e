"""Routes of the API tokens API (api_tokens.views)."""

from django.urls import path

from api_tokens import views

urlpatterns = [
    path("api/tokens/", views.TokenListCreateApi.as_view(), name="api-tokens"),
    path("api/tokens/<int:pk>/", views.TokenDetailApi.as_view(), name="api-token"),
]
