"""Migration 0004 writes `intrusion` into stored zones, keeping what each zone meant to the API."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("surveillance", "0003_alert_snapshot_index")]
AFTER = [("surveillance", "0004_camera_contract")]


@pytest.mark.django_db(transaction=True)
def test_stored_zones_without_intrusion_become_explicit_intrusion_zones():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    user = old.get_model("auth", "User").objects.create(username="migrating")
    zones = [
        {"name": "door", "points": [[0, 0], [1, 0], [1, 1]]},
        {"name": "yard", "points": [[0, 0], [1, 0], [0, 1]], "intrusion": False},
    ]
    camera = old.get_model("surveillance", "Camera").objects.create(
        user=user, name="c", rtsp_url="rtsp://cam/1", zones=zones
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    stored = new.get_model("surveillance", "Camera").objects.get(pk=camera.pk).zones
    assert [zone["intrusion"] for zone in stored] == [True, False]
    assert [zone["points"] for zone in stored] == [zone["points"] for zone in zones]

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_a_camera_stores_its_zones_with_every_key(alice):
    from surveillance.cameras.services import camera_create

    camera = camera_create(
        user=alice,
        name="c",
        rtsp_url="rtsp://cam/1",
        zones=[{"name": "door", "points": [[0, 0], [1, 0], [1, 1]]}],
    )
    camera.refresh_from_db()
    assert camera.zones == [
        {"intrusion": True, "exclusive": True, "name": "door", "points": [[0, 0], [1, 0], [1, 1]]}
    ]


@pytest.mark.django_db(transaction=True)
def test_stored_zones_without_exclusive_become_explicitly_exclusive():
    # Migration 0012 (issue 19): what a zone meant until then (objects outside every zone ignored).
    before, after = (
        [("surveillance", "0011_forced_detect_interval_help")],
        [("surveillance", "0012_camera_problem")],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    user = old.get_model("auth", "User").objects.create(username="migrating")
    zones = [{"name": "door", "points": [[0, 0], [1, 0], [1, 1]], "intrusion": False}]
    camera = old.get_model("surveillance", "Camera").objects.create(
        user=user, name="c", rtsp_url="rtsp://cam/1", zones=zones
    )
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    stored = (
        executor.loader.project_state(after)
        .apps.get_model("surveillance", "Camera")
        .objects.get(pk=camera.pk)
    )
    assert stored.zones == [{**zones[0], "exclusive": True}]
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
