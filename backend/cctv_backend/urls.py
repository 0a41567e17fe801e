"""Root URL map: the seed's API paths, admin, dashboard, API schema/docs, health and metrics."""

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from recordings.clips import clip_file as recording_clip_file

from surveillance.events.snapshot_files import clip_file, snapshot_file

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("dashboard/", include("dashboard.urls")),
    path("sso/", include("sso.urls")),
    path("api/notifications/", include("notifications.urls")),
    path("", include("recordings.urls")),
    path("", include("exports.urls")),
    path("", include("teams.urls")),
    path("", include("audit.urls")),
    path("", include("api_tokens.urls")),
    path("", include("surveillance.urls")),
]

if settings.SERVE_MEDIA:
    # Snapshots, each checked against who may see its alert (surveillance.events.snapshot_files).
    urlpatterns += [
        re_path(r"^media/(?P<path>snapshots/.+)$", snapshot_file, name="snapshot-file"),
        # An event clip the recording segments hold, built from them (issue 23); before the stored ones.
        re_path(r"^media/(?P<path>clips/recordings/.+)$", recording_clip_file, name="recording-clip-file"),
        re_path(r"^media/(?P<path>clips/.+)$", clip_file, name="clip-file"),
    ]
