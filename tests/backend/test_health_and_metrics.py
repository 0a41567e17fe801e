"""/healthz, /readyz and /metrics (names pinned in docs/contracts.md)."""

from unittest import mock

import pytest
from django.db import OperationalError
from prometheus_client.parser import text_string_to_metric_families

from surveillance.cameras import services

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_credentials(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_answers_ok_while_the_database_answers(client):
    assert client.get("/readyz").json() == {"status": "ok", "database": "ok"}


def test_readyz_answers_503_when_the_database_does_not(client):
    # A database that refuses connections cannot be arranged inside a test's transaction: fake the cursor.
    refused = OperationalError("connection refused")
    with (
        mock.patch("surveillance.health.connection.cursor", side_effect=refused),
        mock.patch("surveillance.health.logger") as logger,
    ):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}
    logger.warning.assert_called_once_with("readyz: database unreachable: %s", refused)


def _samples(client) -> dict:
    text = client.get("/metrics").content.decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_carry_the_contract_names(client, alice_camera, camera_client, alert_payload):
    camera_client.post("/api/send-alert/", alert_payload(alert_type="person"), format="json")
    camera_client.post("/api/send-alert/", alert_payload(alert_type="tiger"), format="json")
    samples = _samples(client)
    names = {name for name, _ in samples}
    assert {
        "cctv_backend_alerts_ingested_total",
        "cctv_backend_alerts_rejected_total",
        "cctv_backend_alert_replays_total",
        "cctv_backend_cameras",
    } <= names
    assert samples[("cctv_backend_alerts_ingested_total", (("alert_type", "person"),))] >= 1
    assert samples[("cctv_backend_alerts_rejected_total", (("reason", "invalid"),))] >= 1


def test_the_camera_gauge_counts_cameras_by_state(client, alice_camera, bob_camera, make_camera, alice):
    make_camera(alice, name="Off")
    services.camera_record_heartbeat(camera=alice_camera, stream_state="up", fps=5)
    samples = _samples(client)
    states = {
        labels[0][1]: value for (name, labels), value in samples.items() if name == "cctv_backend_cameras"
    }
    assert states == {"inactive": 1.0, "online": 1.0, "offline": 1.0}
