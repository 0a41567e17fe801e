"""Routes of the exports API (exports.views)."""

from django.urls import path

from exports import views

urlpatterns = [
    path("api/exports/", views.ExportListApi.as_view(), name="exports"),
    path("api/exports/<int:pk>/", views.ExportDetailApi.as_view(), name="export"),
    path("api/exports/<int:pk>/download/", views.ExportDownloadApi.as_view(), name="export-download"),
]
