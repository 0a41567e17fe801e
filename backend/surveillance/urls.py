"""API routes: the seed README's paths exactly, plus heartbeat, rotate-token, schema/docs, probes."""

from django.urls import path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from surveillance import health
from surveillance.accounts import views as account_views
from surveillance.cameras import live_views as camera_live_views
from surveillance.cameras import views as camera_views
from surveillance.cameras import worker_views as camera_worker_views
from surveillance.events import review_views
from surveillance.events import views as event_views

urlpatterns = [
    path("api-token-auth/", account_views.TokenObtainApi.as_view(), name="api-token-auth"),
    path("api/cameras/", camera_views.CameraListCreateApi.as_view(), name="camera-list"),
    path("api/cameras/<int:pk>/", camera_views.CameraDetailApi.as_view(), name="camera-detail"),
    path("api/cameras/<int:pk>/activate/", camera_views.CameraActivateApi.as_view(), name="camera-activate"),
    path(
        "api/cameras/<int:pk>/deactivate/",
        camera_views.CameraDeactivateApi.as_view(),
        name="camera-deactivate",
    ),
    path(
        "api/cameras/<int:pk>/rotate-token/",
        camera_views.CameraRotateTokenApi.as_view(),
        name="camera-rotate-token",
    ),
    path("api/cameras/<int:pk>/live/", camera_live_views.CameraLiveApi.as_view(), name="camera-live"),
    path(
        "api/cameras/<int:pk>/live/stream/",
        camera_live_views.CameraLiveStreamApi.as_view(),
        name="camera-live-stream",
    ),
    # The names are checked against surveillance.cameras.live.HLS_NAME (anything else: 404).
    path(
        "api/cameras/<int:pk>/live/hls/<str:name>",
        camera_live_views.CameraLiveHlsApi.as_view(),
        name="camera-live-hls",
    ),
    path(
        "api/cameras/<int:pk>/live/sub/hls/<str:name>",
        camera_live_views.CameraLiveSubHlsApi.as_view(),
        name="camera-live-sub-hls",
    ),
    path(
        "api/cameras/<int:pk>/live/detections/",
        camera_live_views.CameraLiveDetectionsApi.as_view(),
        name="camera-live-detections",
    ),
    path(
        "api/cameras/<int:pk>/live/sub/stream/",
        camera_live_views.CameraLiveSubStreamApi.as_view(),
        name="camera-live-sub",
    ),
    path(
        "api/cameras/<int:pk>/heartbeat/",
        camera_worker_views.CameraHeartbeatApi.as_view(),
        name="camera-heartbeat",
    ),
    path(
        "api/cameras/<int:pk>/settings/",
        camera_worker_views.CameraWorkerSettingsApi.as_view(),
        name="camera-worker-settings",
    ),
    path(
        "api/cameras/<int:pk>/events/<str:key>/",
        camera_worker_views.EventUpdateApi.as_view(),
        name="camera-event-update",
    ),
    path(
        "api/cameras/<int:pk>/events/<str:key>/clips/<int:segment>/",
        camera_worker_views.ClipUploadApi.as_view(),
        name="camera-event-clip",
    ),
    path("api/active-cameras/", camera_views.ActiveCamerasApi.as_view(), name="active-cameras"),
    path("api/send-alert/", camera_worker_views.AlertIngestApi.as_view(), name="send-alert"),
    path("api/alerts/", event_views.AlertListApi.as_view(), name="alert-list"),
    path("api/alerts/acknowledge/", event_views.AlertsAcknowledgeApi.as_view(), name="alerts-acknowledge"),
    path("api/alerts/<int:pk>/", event_views.AlertDetailApi.as_view(), name="alert-detail"),
    path(
        "api/alerts/<int:pk>/acknowledge/",
        event_views.AlertAcknowledgeApi.as_view(),
        name="alert-acknowledge",
    ),
    path("api/alerts/review/", review_views.AlertsReviewApi.as_view(), name="alerts-review"),
    path("api/alerts/to-review/", review_views.AlertsToReviewApi.as_view(), name="alerts-to-review"),
    path("api/alerts/<int:pk>/review/", review_views.AlertReviewApi.as_view(), name="alert-review"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start script as a file: the Content-Security-Policy allows no
    # inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    # No ReDoc page: its script loads fonts from outside and starts from an inline script, both refused
    # by the Content-Security-Policy (issue 19). Old links land on Swagger UI.
    path("api/redoc/", RedirectView.as_view(pattern_name="swagger-ui"), name="redoc"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics_view, name="metrics"),
]
