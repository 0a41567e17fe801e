"""What the ownership migrations (issue 25) share: each user's personal team, made where missing, and the
fill that puts every existing row of a model into its user's personal team.

Migrations pass their historical ``apps``; nothing here imports a model class directly.
"""

from __future__ import annotations

PERSONAL_TEAM_NAME = "{username} (personal)"  # as teams.services names it
OWNER = "owner"


def personal_team_ids(apps, user_ids) -> dict[int, int]:
    """user id -> their personal team's id, making the missing teams (each with its user as owner)."""
    User = apps.get_model("auth", "User")
    Team = apps.get_model("teams", "Team")
    Membership = apps.get_model("teams", "Membership")
    wanted = set(user_ids)
    found = dict(Team.objects.filter(personal_of_id__in=wanted).values_list("personal_of_id", "id"))
    for user in User.objects.filter(pk__in=wanted - set(found)).order_by("pk"):
        team = Team.objects.create(
            name=PERSONAL_TEAM_NAME.format(username=user.username), personal_of_id=user.pk
        )
        Membership.objects.create(team_id=team.pk, user_id=user.pk, role=OWNER)
        found[user.pk] = team.pk
    return found


def give_every_user_a_personal_team(apps, schema_editor) -> None:
    personal_team_ids(apps, apps.get_model("auth", "User").objects.values_list("pk", flat=True))


def rows_into_personal_teams(app_label: str, model_name: str):
    """A RunPython function: every ``app_label.model_name`` row without a team goes to its user's team."""

    def fill(apps, schema_editor) -> None:
        Model = apps.get_model(app_label, model_name)
        rows = Model.objects.filter(team__isnull=True)
        teams = personal_team_ids(apps, rows.values_list("user_id", flat=True).distinct())
        for user_id, team_id in teams.items():
            rows.filter(user_id=user_id).update(team_id=team_id)

    return fill
