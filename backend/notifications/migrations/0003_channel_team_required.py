"""Issue 25: every channel has a team (the previous migration filled them)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_channel_team")]

    operations = [
        migrations.AlterField(
            model_name="channel",
            name="team",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="channels", to="teams.team"
            ),
        ),
    ]
