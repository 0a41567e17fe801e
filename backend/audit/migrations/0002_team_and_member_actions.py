"""Issue 25: each audit record names the team of the object acted on (``team_id``), filled here for the
records made before it where the object still says (an export's or channel's team by its id, else the
camera's team); the member actions join the list; the list's indexes end with the team and the user.
Sign-ins and API tokens belong to no team (null)."""

from django.db import migrations, models
from django.db.models import BigIntegerField, OuterRef, Subquery
from django.db.models.functions import Cast

_REBUILT = ("audit_at_id", "audit_user_at_id", "audit_camera_at_id", "audit_action_at_id")
_ID = r"^[0-9]{1,18}$"  # object_id is text; only a plain id is cast (PostgreSQL refuses anything else)


def fill_team_ids(apps, schema_editor) -> None:
    Record = apps.get_model("audit", "AuditRecord")
    by_object = {
        "export": apps.get_model("exports", "Export"),
        "channel": apps.get_model("notifications", "Channel"),
    }
    for object_type, Model in by_object.items():
        Record.objects.filter(team_id__isnull=True, object_type=object_type, object_id__regex=_ID).update(
            team_id=Subquery(
                Model.objects.filter(pk=Cast(OuterRef("object_id"), BigIntegerField())).values("team_id")[:1]
            )
        )
    Camera = apps.get_model("surveillance", "Camera")
    Record.objects.filter(team_id__isnull=True, camera_id__isnull=False).update(
        team_id=Subquery(Camera.objects.filter(pk=OuterRef("camera_id")).values("team_id")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        # The teams the records are filled from.
        ("surveillance", "0020_camera_team_required"),
        ("notifications", "0003_channel_team_required"),
        ("exports", "0003_export_team_required"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditrecord",
            name="team_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="auditrecord",
            name="action",
            field=models.CharField(
                choices=[
                    ("sign_in", "Signed in"),
                    ("sign_in_failed", "Sign-in failed"),
                    ("sign_out", "Signed out"),
                    ("live_started", "Live view started"),
                    ("live_stopped", "Live view stopped"),
                    ("footage_played", "Footage played"),
                    ("export_created", "Export made"),
                    ("export_downloaded", "Export downloaded"),
                    ("camera_created", "Camera created"),
                    ("camera_updated", "Camera changed"),
                    ("camera_deleted", "Camera deleted"),
                    ("channel_created", "Channel created"),
                    ("channel_updated", "Channel changed"),
                    ("channel_deleted", "Channel deleted"),
                    ("token_created", "API token created"),
                    ("token_revoked", "API token revoked"),
                    ("member_added", "Member added"),
                    ("member_role_changed", "Member's role changed"),
                    ("member_removed", "Member removed"),
                ],
                max_length=32,
            ),
        ),
        migrations.RunPython(fill_team_ids, migrations.RunPython.noop, elidable=True),
        # After the fill (one build of each index rather than an update of it per row): the list's
        # indexes end with the team and the user (who may read a record, decided from the index).
        *[migrations.RemoveIndex(model_name="auditrecord", name=name) for name in _REBUILT],
        migrations.AddIndex(
            model_name="auditrecord",
            index=models.Index(fields=["at", "id", "team_id", "user_id"], name="audit_at_id"),
        ),
        migrations.AddIndex(
            model_name="auditrecord",
            index=models.Index(fields=["user_id", "at", "id", "team_id"], name="audit_user_at_id"),
        ),
        migrations.AddIndex(
            model_name="auditrecord",
            index=models.Index(
                fields=["camera_id", "at", "id", "team_id", "user_id"], name="audit_camera_at_id"
            ),
        ),
        migrations.AddIndex(
            model_name="auditrecord",
            index=models.Index(
                fields=["action", "at", "id", "team_id", "user_id"], name="audit_action_at_id"
            ),
        ),
        migrations.AddIndex(
            model_name="auditrecord",
            index=models.Index(fields=["team_id", "at", "id"], name="audit_team_at_id"),
        ),
    ]
