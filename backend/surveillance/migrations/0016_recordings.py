import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    """Recording settings of a camera (issue 23); the segments' index is the recordings app's."""

    dependencies = [
        ("surveillance", "0015_live_sub_stream_and_wall_layout"),
    ]

    operations = [
        migrations.AddField(
            model_name="camera",
            name="record_mode",
            field=models.CharField(
                choices=[
                    ("events", "Event clips only"),
                    ("motion", "Segments while something moves"),
                    ("continuous", "Segments always"),
                    ("off", "Nothing"),
                ],
                default="events",
                help_text="events: event clips only; motion: 10 s segments while something moves (with pre- and "
                "post-roll); continuous: 10 s segments always; off: nothing, not even event clips.",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="camera",
            name="retain_continuous_days",
            field=models.PositiveIntegerField(
                default=7,
                help_text="Days a continuous recording segment is kept.",
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(3650),
                ],
            ),
        ),
        migrations.AddField(
            model_name="camera",
            name="retain_motion_days",
            field=models.PositiveIntegerField(
                default=14,
                help_text="Days a motion recording segment is kept.",
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(3650),
                ],
            ),
        ),
        migrations.AddField(
            model_name="camera",
            name="retain_events_days",
            field=models.PositiveIntegerField(
                default=30,
                help_text="Days a recording segment that overlaps an event is kept (when longer than its kind's).",
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(3650),
                ],
            ),
        ),
    ]
