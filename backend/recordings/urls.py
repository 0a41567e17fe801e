"""Routes of the recordings API (recordings.views)."""

from django.urls import path

from recordings import playback, views

urlpatterns = [
    path("api/cameras/<int:pk>/recordings/", views.RecordingsApi.as_view(), name="camera-recordings"),
    path(
        "api/cameras/<int:pk>/recordings/segments/<int:start_ms>/",
        views.SegmentApi.as_view(),
        name="recording-segment",
    ),
    path("api/cameras/<int:pk>/recordings/motion/", views.MotionApi.as_view(), name="recordings-motion"),
    path("api/recordings/usage/", views.RecordingUsageApi.as_view(), name="recordings-usage"),
    # HLS playback (recordings.playback, issue 24).
    path(
        "api/cameras/<int:pk>/recordings/playlist.m3u8",
        playback.PlaylistApi.as_view(),
        name="recordings-playlist",
    ),
    path(
        "api/cameras/<int:pk>/recordings/segments/<int:start_ms>/hls/init.mp4",
        playback.SegmentHlsApi.as_view(part="init"),
        name="recording-segment-hls-init",
    ),
    path(
        "api/cameras/<int:pk>/recordings/segments/<int:start_ms>/hls/media.m4s",
        playback.SegmentHlsApi.as_view(part="media"),
        name="recording-segment-hls-media",
    ),
]
