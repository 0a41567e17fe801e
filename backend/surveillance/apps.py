"""The surveillance app: cameras, alerts, their API, admin and management commands."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SurveillanceConfig(AppConfig):
    name = "surveillance"
    verbose_name = "Surveillance"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from surveillance import schema  # noqa: F401  (registers the OpenAPI auth extension)

        # The cctv-operator group exists after every migrate.
        post_migrate.connect(_ensure_operator_group, sender=self, dispatch_uid="cctv-operator-group")


def _ensure_operator_group(sender, using="default", **kwargs) -> None:
    from surveillance.accounts.services import operator_group_ensure

    operator_group_ensure(using=using)
