"""Issue 25: every camera has a team (the previous migration filled them)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("surveillance", "0019_camera_team")]

    operations = [
        migrations.AlterField(
            model_name="camera",
            name="team",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="cameras", to="teams.team"
            ),
        ),
    ]
