from django.apps import AppConfig


class SurveillanceConfig(AppConfig):
    name = "surveillance"
    verbose_name = "Surveillance"
    default_auto_field = "django.db.models.BigAutoField"
