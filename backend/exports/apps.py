from django.apps import AppConfig


class ExportsConfig(AppConfig):
    """Exports of recorded footage (issue 24): a camera's time range as one MP4, remuxed from the recorded
    packets by a background job (``manage.py run_exports``), kept until its owner deletes it."""

    name = "exports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The reconcile job (manage.py reconcile_media) compares the store's exports/ with these rows.
        from exports.models import Export
        from surveillance import media_reconcile

        def forget(names: list[str]) -> int:
            # A done export whose file the store lost: failed, with the reason, not silently gone.
            return Export.objects.filter(file__in=names).update(
                status="failed", file="", error="The exported file is no longer in the media store."
            )

        media_reconcile.register(
            media_reconcile.MediaKind(
                "exports/",
                lambda: Export.objects.exclude(file="").values_list("file", flat=True).iterator(),
                forget,
            )
        )
