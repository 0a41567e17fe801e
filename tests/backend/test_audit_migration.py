"""The audit migration that adds each record's team (issue 25): records made before it get the team of the
export or channel they name, else of their camera; what names no team that still exists stays null.
Runs on PostgreSQL and SQLite (marked ``database`` by support.database_marks)."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from support.clock import recent

BEFORE = [("audit", "0001_initial")]


def test_existing_records_get_the_team_of_their_export_channel_or_camera(transactional_db, make_user):
    from audit.models import AuditRecord
    from exports.models import Export
    from notifications import services as notification_services
    from surveillance.cameras import services
    from teams.services import personal_team_of, team_create

    carol = make_user("carol")
    shared = team_create(user=carol, name="Warehouse")
    camera = services.camera_create(user=carol, name="Door", rtsp_url="rtsp://10.0.0.1/d")
    gate = services.camera_create(user=carol, team=shared.pk, name="Gate", rtsp_url="rtsp://10.0.0.1/g")
    channel = notification_services.channel_create(
        user=carol, team=shared.pk, kind="email", name="Mail", addresses=["a@example.com"]
    )
    moment = recent(hours=1)
    export = Export.objects.create(user=carol, camera=gate, name="x", start=moment, end=moment)

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    Old = executor.loader.project_state(BEFORE).apps.get_model("audit", "AuditRecord")
    made: dict[str, int] = {}

    def record(summary: str, action: str, object_type: str, object_id: object, **ids) -> None:
        made[summary] = Old.objects.create(
            action=action, summary=summary, object_type=object_type, object_id=str(object_id), **ids
        ).pk

    record("camera", "camera_updated", "camera", camera.pk, camera_id=camera.pk)
    record("gate live", "live_started", "camera", gate.pk, camera_id=gate.pk)
    record("channel", "channel_updated", "channel", channel.pk)
    record("export", "export_created", "export", export.pk, camera_id=gate.pk)
    record("gone camera", "camera_deleted", "camera", 99999, camera_id=99999)
    record("gone channel", "channel_deleted", "channel", 99999)
    record("odd id", "channel_updated", "channel", "not-an-id")
    record("sign-in", "sign_in", "user", carol.pk, user_id=carol.pk)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    teams = dict(AuditRecord.objects.filter(pk__in=made.values()).values_list("summary", "team_id"))
    assert teams == {
        "camera": personal_team_of(carol).pk,
        "gate live": shared.pk,
        "channel": shared.pk,
        "export": shared.pk,
        "gone camera": None,
        "gone channel": None,
        "odd id": None,
        "sign-in": None,
    }
