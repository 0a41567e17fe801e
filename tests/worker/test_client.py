"""The backend client classifies every answer: delivered, retry later, or rejected for good."""

import pytest

from cctv_worker.delivery.client import BackendClient, Outcome

from .backend_double import AlertBackend, Faults

GOOD = {
    "camera_id": 1, "alert_type": "person", "confidence": 0.9, "image_base64": "", "description": "d",
    "idempotency_key": "k1",
}  # fmt: skip


def client_for(backend: AlertBackend, token: str = "cam_1_secret", timeout: float = 5) -> BackendClient:  # noqa: S107
    return BackendClient(backend.url, token, timeout=timeout)


def test_a_new_alert_is_delivered_and_a_replay_returns_the_first(backend: AlertBackend) -> None:
    client = client_for(backend)
    first = client.send_alert(GOOD)
    again = client.send_alert(GOOD)
    assert (first.outcome, first.status) == (Outcome.DELIVERED, 201)
    assert (again.outcome, again.status, again.alert_id) == (Outcome.DELIVERED, 200, first.alert_id)
    assert len(backend.alerts) == 1


def test_the_same_key_with_another_payload_is_rejected(backend: AlertBackend) -> None:
    client = client_for(backend)
    client.send_alert(GOOD)
    result = client.send_alert({**GOOD, "confidence": 0.5})
    assert (result.outcome, result.status, result.failure) == (Outcome.REJECTED, 422, "rejected")


def test_invalid_input_is_rejected(backend: AlertBackend) -> None:
    result = client_for(backend).send_alert({**GOOD, "alert_type": "dragon"})
    assert (result.outcome, result.status) == (Outcome.REJECTED, 400)


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_server_errors_are_retried(backend: AlertBackend, status: int) -> None:
    backend.faults = Faults(status=status)
    result = client_for(backend).send_alert(GOOD)
    assert (result.outcome, result.failure) == (Outcome.RETRY, "server_error")


def test_a_wrong_token_is_retried_as_unauthorized_and_keeps_the_alert(backend: AlertBackend) -> None:
    result = client_for(backend, token="cam_1_wrong").send_alert(GOOD)
    assert (result.outcome, result.failure, result.status) == (Outcome.RETRY, "unauthorized", 401)


def test_a_slow_backend_is_a_timeout(backend: AlertBackend) -> None:
    backend.faults = Faults(delay_after_store=1.0)
    result = client_for(backend, timeout=0.2).send_alert(GOOD)
    assert (result.outcome, result.failure) == (Outcome.RETRY, "timeout")


def test_a_backend_that_is_down_is_unreachable(backend: AlertBackend) -> None:
    backend.stop()
    result = client_for(backend).send_alert(GOOD)
    assert (result.outcome, result.failure) == (Outcome.RETRY, "unreachable")


def test_heartbeats_post_state_and_fps(backend: AlertBackend) -> None:
    assert client_for(backend).heartbeat(1, "up", 9.876)
    assert client_for(backend).heartbeat(1, "up", 9.876, problem="refused " * 60, producible_types=["person"])
    # problem "" clears what the camera shows; a long one is cut to the backend's 300 characters.
    assert backend.heartbeats == [
        {"camera": 1, "stream_state": "up", "fps": 9.88, "problem": ""},
        {
            "camera": 1,
            "stream_state": "up",
            "fps": 9.88,
            "problem": ("refused " * 60)[:300],
            "producible_types": ["person"],
        },
    ]


def test_heartbeats_carry_the_open_events_when_given(backend: AlertBackend) -> None:
    assert client_for(backend).heartbeat(1, "up", 5.0, ["k1", "k2"])
    assert client_for(backend).heartbeat(1, "up", 5.0, [])
    assert [h.get("open_events") for h in backend.heartbeats] == [["k1", "k2"], []]
