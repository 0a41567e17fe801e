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
        # The reconcile job (manage.py reconcile_media) compares the store's recordings/ with these rows.
        from recordings.models import RecordingSegment
        from surveillance import media_reconcile

        def forget(names: list[str]) -> int:
            deleted, _ = RecordingSegment.objects.filter(file__in=names).delete()
            return deleted

        media_reconcile.register(
            media_reconcile.MediaKind(
                "recordings/",
                lambda: RecordingSegment.objects.values_list("file", flat=True).iterator(),
                forget,
            )
        )
