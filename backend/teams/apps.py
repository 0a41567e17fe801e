from django.apps import AppConfig


class TeamsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "teams"

    def ready(self) -> None:
        # Every new user gets a personal team (teams.receivers).
        from teams import receivers  # noqa: F401
