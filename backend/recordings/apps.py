from django.apps import AppConfig


class RecordingsConfig(AppConfig):
    """Recording segments of the cameras (issue 23): their index, upload, playback, gaps and retention."""

    name = "recordings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from recordings import metrics, receivers
        from surveillance import body_limits

        # The segment upload gets the clip upload's pre-auth body rule, with its own limit and counter.
        body_limits.register_upload(
            "recording-segment",
            body_limits.VideoUpload("RECORDING_SEGMENT_MAX_BYTES", "segment", metrics.SEGMENTS_REJECTED),
        )
        receivers.connect()
