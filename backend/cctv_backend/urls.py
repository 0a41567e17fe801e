"""Root URL map: the seed's API paths, admin, dashboard, API schema/docs, health and metrics."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

urlpatterns = [
    path("admin/", admin.site.urls),
    path("dashboard/", include("dashboard.urls")),
    path("", include("surveillance.urls")),
]

if settings.DEBUG or settings.SERVE_MEDIA:
    # Snapshots are served by Django only for local runs; production puts a web server or object store
    # in front (see README "Limits").
    urlpatterns += [re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})]
