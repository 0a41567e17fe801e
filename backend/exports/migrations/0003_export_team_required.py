"""Issue 25: every export has a team (the previous migration filled them)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("exports", "0002_export_team")]

    operations = [
        migrations.AlterField(
            model_name="export",
            name="team",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="exports", to="teams.team"
            ),
        ),
    ]
