"""The API tokens app: the model, its authentication class, its API."""

from django.apps import AppConfig


class ApiTokensConfig(AppConfig):
    name = "api_tokens"
    verbose_name = "API tokens"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from api_tokens import schema  # noqa: F401  (registers the OpenAPI auth extension)
