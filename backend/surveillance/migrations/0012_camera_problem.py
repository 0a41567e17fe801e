"""Issue 19: the camera's ``problem`` (why its worker's events do not arrive, from heartbeats) and
``producible_types`` (the alert types its worker's model can raise, from heartbeats), and every
stored zone carries ``exclusive`` explicitly (true: what a zone meant until now, objects outside every
zone ignored), so that no reader depends on a default."""

from django.db import migrations, models

import surveillance.validators


def write_exclusive(apps, schema_editor):
    Camera = apps.get_model("surveillance", "Camera")
    for camera in Camera.objects.only("id", "zones").iterator():
        zones = camera.zones if isinstance(camera.zones, list) else []
        filled = [{"exclusive": True, **zone} if isinstance(zone, dict) else zone for zone in zones]
        if filled != zones:
            Camera.objects.filter(pk=camera.pk).update(zones=filled)


class Migration(migrations.Migration):
    dependencies = [
        ("surveillance", "0011_forced_detect_interval_help"),
    ]

    operations = [
        migrations.AddField(
            model_name="camera",
            name="problem",
            field=models.CharField(blank=True, default="", max_length=300),
        ),
        migrations.AddField(
            model_name="camera",
            name="producible_types",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AlterField(
            model_name="camera",
            name="zones",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text='Polygons in 0..1 coordinates: [{"name": "door", "points": [[x, y], ...], "intrusion": '
                'true, "exclusive": true}]; both are true when left out. Objects outside every exclusive zone '
                "are ignored; a zone that is not exclusive mutes nothing.",
                validators=[surveillance.validators.validate_zones],
            ),
        ),
        migrations.RunPython(write_exclusive, migrations.RunPython.noop),
    ]
