from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("surveillance", "0011_forced_detect_interval_help"),
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
