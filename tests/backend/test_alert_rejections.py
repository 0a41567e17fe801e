"""Each refused /api/send-alert/ request is counted once in cctv_backend_alerts_rejected_total, with its
reason, whichever layer refused it (serializer, permission, service, quota, body-size middleware)."""

import base64

import pytest

from backend.images import jpeg_base64, jpeg_bytes
from surveillance import metrics

pytestmark = pytest.mark.django_db

REASONS = (
    metrics.REJECT_INVALID,
    metrics.REJECT_TOO_LARGE,
    metrics.REJECT_CONFLICT,
    metrics.REJECT_FORBIDDEN,
    metrics.REJECT_RATE_LIMITED,
    metrics.REJECT_NO_STORAGE,
    metrics.REJECT_BUSY,
)


def rejected() -> dict[str, float]:
    return {reason: metrics.ALERTS_REJECTED.labels(reason=reason)._value.get() for reason in REASONS}


def counted(before: dict[str, float]) -> dict[str, float]:
    """What changed since ``before``: {reason: increment}."""
    return {reason: value - before[reason] for reason, value in rejected().items() if value != before[reason]}


def send(client, payload, **headers):
    return client.post("/api/send-alert/", payload, format="json", **headers)


def test_an_invalid_field_counts_once_as_invalid(camera_client, alert_payload):
    before = rejected()
    assert send(camera_client, alert_payload(alert_type="tiger")).status_code == 400
    assert counted(before) == {metrics.REJECT_INVALID: 1}


def test_a_bad_idempotency_header_counts_once_as_invalid(camera_client, alert_payload):
    before = rejected()
    assert send(camera_client, alert_payload(), HTTP_IDEMPOTENCY_KEY='""').status_code == 400
    assert counted(before) == {metrics.REJECT_INVALID: 1}


def test_another_cameras_id_counts_once_as_forbidden(camera_client, alert_payload, bob_camera):
    before = rejected()
    assert send(camera_client, alert_payload(camera_id=bob_camera.pk)).status_code == 403
    assert counted(before) == {metrics.REJECT_FORBIDDEN: 1}


def test_a_reused_key_counts_once_as_a_conflict(camera_client, alert_payload):
    assert send(camera_client, alert_payload(idempotency_key="k-1")).status_code == 201
    before = rejected()
    assert send(camera_client, alert_payload(idempotency_key="k-1", confidence=0.4)).status_code == 422
    assert counted(before) == {metrics.REJECT_CONFLICT: 1}


def test_a_snapshot_over_the_limit_counts_once_as_too_large(camera_client, alert_payload, settings):
    image = jpeg_bytes(640, 480, quality=95)
    settings.ALERT_IMAGE_MAX_BYTES = len(image) - 1
    before = rejected()
    response = send(camera_client, alert_payload(image_base64=base64.b64encode(image).decode()))
    assert response.status_code == 413
    assert counted(before) == {metrics.REJECT_TOO_LARGE: 1}


def test_a_body_over_the_upload_limit_counts_once_as_too_large(camera_client, alert_payload, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    before = rejected()
    assert (
        send(camera_client, alert_payload(image_base64=jpeg_base64(width=640, height=480))).status_code == 413
    )
    assert counted(before) == {metrics.REJECT_TOO_LARGE: 1}


def test_the_rate_limit_counts_once_as_rate_limited(camera_client, alert_payload, settings):
    settings.ALERT_RATE_PER_MINUTE = 1
    assert send(camera_client, alert_payload()).status_code == 201
    before = rejected()
    assert send(camera_client, alert_payload()).status_code == 429
    assert counted(before) == {metrics.REJECT_RATE_LIMITED: 1}


def test_a_heartbeat_for_another_camera_is_no_rejected_alert(camera_client, bob_camera):
    before = rejected()
    response = camera_client.post(
        f"/api/cameras/{bob_camera.pk}/heartbeat/", {"stream_state": "up"}, format="json"
    )
    assert response.status_code == 403
    assert counted(before) == {}
