"""The camera contract (docs/contracts.md): detect_fps up to 120 as in the Camera CRD and the worker,
and every stored zone carries `intrusion` explicitly.

A zone without `intrusion` already meant true to the REST API and the dashboard (and so to workers
started from the backend) but false in a hand-applied Camera and in the worker's ZONES variable. The
reference now says true everywhere; writing the key into stored zones keeps each zone's meaning
independent of any default.
"""

import django.core.validators
from django.db import migrations, models

import surveillance.validators


def write_intrusion(apps, schema_editor):
    Camera = apps.get_model("surveillance", "Camera")
    for camera in Camera.objects.only("id", "zones").iterator():
        zones = camera.zones if isinstance(camera.zones, list) else []
        filled = [{"intrusion": True, **zone} if isinstance(zone, dict) else zone for zone in zones]
        if filled != zones:
            Camera.objects.filter(pk=camera.pk).update(zones=filled)


class Migration(migrations.Migration):

    dependencies = [
        ("surveillance", "0003_alert_snapshot_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="camera",
            name="detect_fps",
            field=models.FloatField(
                blank=True,
                help_text="Frames analysed per second; overrides frame skip when set.",
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(0.01),
                    django.core.validators.MaxValueValidator(120.0),
                ],
            ),
        ),
        migrations.AlterField(
            model_name="camera",
            name="confidence_threshold",
            field=models.FloatField(
                default=0.5,
                help_text="Detections below this confidence (0 to 1) are ignored.",
                validators=[
                    django.core.validators.MinValueValidator(0.0),
                    django.core.validators.MaxValueValidator(1.0),
                ],
            ),
        ),
        migrations.AlterField(
            model_name="camera",
            name="zones",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text=(
                    'Polygons in 0..1 coordinates: [{"name": "door", "points": [[x, y], ...], '
                    '"intrusion": true}]; intrusion is true when left out.'
                ),
                validators=[surveillance.validators.validate_zones],
            ),
        ),
        migrations.RunPython(write_intrusion, migrations.RunPython.noop),
    ]
