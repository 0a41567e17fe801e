from django.apps import AppConfig


class TeamsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "teams"

    def ready(self) -> None:
        from audit.selectors import read_teams_through
        from teams import receivers  # noqa: F401  (every new user gets a personal team)
        from teams.permissions import Action
        from teams.selectors import team_ids_allowing

        # The audit trail (below this app in the layers) shows a user the records of the teams where their
        # role holds view_audit (owner, auditor): this app says which teams those are.
        read_teams_through(lambda user: team_ids_allowing(user, Action.VIEW_AUDIT))
