"""Every existing user gets a personal team, with themselves as its owner (issue 25)."""

from django.db import migrations

from teams.migration_fill import give_every_user_a_personal_team


class Migration(migrations.Migration):
    dependencies = [("teams", "0001_initial")]

    operations = [migrations.RunPython(give_every_user_a_personal_team, migrations.RunPython.noop)]
