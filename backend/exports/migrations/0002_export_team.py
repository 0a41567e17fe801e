"""Issue 25: exports belong to a team; each existing one goes to its owner's personal team.

The column is made required in the next migration: on PostgreSQL a table whose rows were just updated
under a deferred foreign key cannot be altered in the same transaction."""

import django.db.models.deletion
from django.db import migrations, models

from teams.migration_fill import rows_into_personal_teams


class Migration(migrations.Migration):
    dependencies = [
        ("exports", "0001_initial"),
        ("teams", "0002_personal_teams"),
        ("surveillance", "0020_camera_team_required"),
    ]

    operations = [
        migrations.AddField(
            model_name="export",
            name="team",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="exports",
                to="teams.team",
            ),
        ),
        migrations.RunPython(rows_into_personal_teams("exports", "Export"), migrations.RunPython.noop),
    ]
