"""Routes of the recordings API (recordings.views)."""

from django.urls import path

from recordings import views

urlpatterns = [
    path("api/cameras/<int:pk>/recordings/", views.RecordingsApi.as_view(), name="camera-recordings"),
    path(
        "api/cameras/<int:pk>/recordings/segments/<int:start_ms>/",
        views.SegmentApi.as_view(),
        name="recording-segment",
    ),
    path("api/recordings/usage/", views.RecordingUsageApi.as_view(), name="recordings-usage"),
]
