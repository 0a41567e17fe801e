"""Routes of the audit API (audit.views)."""

from django.urls import path

from audit import views

urlpatterns = [
    path("api/audit/", views.AuditListApi.as_view(), name="audit-list"),
    path("api/audit.csv", views.AuditCsvApi.as_view(), name="audit-csv"),
]
