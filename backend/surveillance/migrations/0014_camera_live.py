from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("surveillance", "0013_camera_event_update_rate"),
    ]

    operations = [
        migrations.AddField(
            model_name="camera",
            name="live_host",
            field=models.GenericIPAddressField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="camera",
            name="live_port",
            field=models.PositiveIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="camera",
            name="live_key",
            field=models.CharField(blank=True, default="", editable=False, max_length=128),
        ),
        migrations.AddField(
            model_name="camera",
            name="live_codec",
            field=models.CharField(blank=True, default="", editable=False, max_length=64),
        ),
    ]
