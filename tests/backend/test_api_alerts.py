"""Alert endpoints: send-alert (idempotency, every bad input), list filters/pagination, acknowledge."""

import base64
from datetime import timedelta

import pytest

from backend.images import files_under, jpeg_base64, jpeg_bytes
from support.clock import iso, recent
from surveillance.events import services
from surveillance.models import Alert

pytestmark = pytest.mark.django_db


def send(client, payload, **headers):
    return client.post("/api/send-alert/", payload, format="json", **headers)


def test_the_seed_payload_with_a_user_token_answers_201(alice_client, alert_payload, media_root):
    response = send(alice_client, alert_payload())
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["alert_type"], body["confidence"], body["description"]) == (
        "intrusion",
        0.85,
        "Person detected",
    )
    assert body["snapshot_url"].startswith("http://testserver/media/snapshots/")
    assert len(files_under(media_root)) == 1


def test_the_worker_payload_with_the_ingest_token_stores_detections_and_time(camera_client, alert_payload):
    detections = [{"label": "person", "confidence": 0.91, "box": [0.1, 0.2, 0.3, 0.9]}]
    when = recent(hours=1)
    response = send(camera_client, alert_payload(detections=detections, timestamp=iso(when)))
    assert response.status_code == 201, response.content
    alert = Alert.objects.get()
    assert alert.detections == detections
    assert alert.occurred_at == when


def test_a_replay_by_header_answers_200_with_the_first_alert(camera_client, alert_payload, media_root):
    payload = alert_payload()
    first = send(camera_client, payload, HTTP_IDEMPOTENCY_KEY="evt-1")
    again = send(camera_client, payload, HTTP_IDEMPOTENCY_KEY="evt-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Alert.objects.count() == 1 and len(files_under(media_root)) == 1


def test_a_replay_by_field_answers_200_and_another_payload_answers_422(
    camera_client, alert_payload, media_root
):
    assert send(camera_client, alert_payload(idempotency_key="evt-2")).status_code == 201
    assert send(camera_client, alert_payload(idempotency_key="evt-2")).status_code == 200
    conflict = send(camera_client, alert_payload(idempotency_key="evt-2", confidence=0.5))
    assert conflict.status_code == 422
    assert "already used for a different alert" in conflict.json()["detail"]
    assert Alert.objects.count() == 1 and len(files_under(media_root)) == 1


def test_the_quoted_header_form_of_the_ietf_draft_is_accepted(camera_client, alert_payload):
    send(camera_client, alert_payload(), HTTP_IDEMPOTENCY_KEY='"evt-3"')
    assert Alert.objects.get().idempotency_key == "evt-3"


def test_disagreeing_header_and_field_keys_answer_400(camera_client, alert_payload):
    response = send(camera_client, alert_payload(idempotency_key="a"), HTTP_IDEMPOTENCY_KEY="b")
    assert response.status_code == 400 and "idempotency_key" in response.json()


def _not_an_image() -> str:
    return base64.b64encode(b"\x00\x01 plain bytes, not a picture").decode()


def _truncated_jpeg() -> str:
    return base64.b64encode(jpeg_bytes(320, 240)[:500]).decode()


BAD_INPUTS = [
    # (case, overrides, status, field, message fragment)
    ("unknown alert type", {"alert_type": "tiger"}, 400, "alert_type", "not a valid choice"),
    ("confidence above 1", {"confidence": 1.5}, 400, "confidence", "less than or equal to 1"),
    ("confidence below 0", {"confidence": -0.1}, 400, "confidence", "greater than or equal to 0"),
    ("confidence not a number", {"confidence": "high"}, 400, "confidence", "valid number"),
    ("missing camera_id", {"camera_id": ...}, 400, "camera_id", "required"),
    ("missing alert_type", {"alert_type": ...}, 400, "alert_type", "required"),
    ("missing confidence", {"confidence": ...}, 400, "confidence", "required"),
    ("missing image", {"image_base64": ...}, 400, "image_base64", "required"),
    ("empty image", {"image_base64": ""}, 400, "image_base64", "may not be blank"),
    ("not base64", {"image_base64": "@@@ not base64 @@@"}, 400, "image_base64", "not valid base64"),
    ("not an image", {"image_base64": _not_an_image()}, 400, "image_base64", "not a readable"),
    ("truncated image", {"image_base64": _truncated_jpeg()}, 400, "image_base64", "not a readable"),
    ("box outside 0..1", {"detections": [{"label": "p", "confidence": 0.5, "box": [0, 0, 2, 2]}]}, 400,
     "detections", "less than or equal to 1"),
    ("bad timestamp", {"timestamp": "yesterday"}, 400, "timestamp", "Datetime has wrong format"),
]  # fmt: skip


@pytest.mark.parametrize(("overrides", "status", "field", "message"), [case[1:] for case in BAD_INPUTS],
                         ids=[case[0] for case in BAD_INPUTS])  # fmt: skip
def test_bad_alert_input_answers_with_a_message_naming_the_field_and_writes_nothing(
    camera_client, alert_payload, media_root, overrides, status, field, message
):
    response = send(camera_client, alert_payload(**overrides))
    assert response.status_code == status, response.content
    assert field in response.json(), response.json()
    assert message in str(response.json()[field])
    assert Alert.objects.count() == 0
    assert files_under(media_root) == []


def test_an_image_over_the_limit_answers_413_and_writes_nothing(
    camera_client, alert_payload, media_root, settings
):
    image = jpeg_bytes(640, 480, quality=95)
    settings.ALERT_IMAGE_MAX_BYTES = len(image) - 1
    response = send(camera_client, alert_payload(image_base64=base64.b64encode(image).decode()))
    assert response.status_code == 413
    assert "ALERT_IMAGE_MAX_BYTES" in response.json()["image_base64"][0]
    assert (Alert.objects.count(), files_under(media_root)) == (0, [])


def test_a_body_over_the_upload_limit_answers_413_before_it_is_parsed(camera_client, alert_payload, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    response = send(camera_client, alert_payload(image_base64=jpeg_base64(width=640, height=480)))
    assert response.status_code == 413
    assert "limit is 2048" in response.json()["detail"]
    assert Alert.objects.count() == 0


def test_a_user_cannot_send_alerts_for_another_users_camera(bob_client, alert_payload, media_root):
    assert send(bob_client, alert_payload()).status_code == 404
    assert (Alert.objects.count(), files_under(media_root)) == (0, [])


def test_an_ingest_token_cannot_send_alerts_for_another_camera(camera_client, alert_payload, bob_camera):
    response = send(camera_client, alert_payload(camera_id=bob_camera.pk))
    assert response.status_code == 403
    assert "belongs to camera" in response.json()["detail"]
    assert Alert.objects.count() == 0


def test_an_ingest_token_reads_nothing(camera_client, alice_camera):
    for path in ["/api/cameras/", f"/api/cameras/{alice_camera.pk}/", "/api/alerts/", "/api/active-cameras/"]:
        assert camera_client.get(path).status_code == 403, path


# --- list, filters, pagination, acknowledge ----------------------------------------------------------

T0 = recent(days=1)  # a day of history: inside every window the product applies


@pytest.fixture
def history(alice_camera, bob_camera):
    made = []
    for index in range(7):
        alert, _ = services.alert_ingest(
            camera=alice_camera,
            alert_type="fire" if index % 3 == 0 else "person",
            confidence=0.5,
            image_base64=jpeg_base64(),
            occurred_at=T0 + timedelta(minutes=index),
        )
        made.append(alert)
    services.alert_ingest(camera=bob_camera, alert_type="fire", confidence=0.5, image_base64=jpeg_base64())
    return made


def test_the_list_is_newest_first_paginated_and_only_the_users(alice_client, history):
    page = alice_client.get("/api/alerts/", {"page_size": 3}).json()
    assert page["count"] == 7
    assert [alert["id"] for alert in page["results"]] == [history[6].pk, history[5].pk, history[4].pk]
    assert "page=2" in page["next"]


def test_filters_by_type_acknowledged_and_time_range(alice_client, alice, history):
    services.alert_acknowledge(alert=history[0], user=alice)
    fire = alice_client.get("/api/alerts/", {"alert_type": "fire"}).json()
    assert [alert["id"] for alert in fire["results"]] == [history[6].pk, history[3].pk, history[0].pk]
    acknowledged = alice_client.get("/api/alerts/", {"acknowledged": "true"}).json()
    assert [alert["id"] for alert in acknowledged["results"]] == [history[0].pk]
    window = {
        "since": (T0 + timedelta(minutes=2)).isoformat(),
        "until": (T0 + timedelta(minutes=4)).isoformat(),
    }
    ranged = alice_client.get("/api/alerts/", window).json()
    assert [alert["id"] for alert in ranged["results"]] == [history[3].pk, history[2].pk]


def test_filtering_by_another_users_camera_gives_an_empty_list(alice_client, history, bob_camera):
    assert alice_client.get("/api/alerts/", {"camera": bob_camera.pk}).json()["count"] == 0


@pytest.mark.parametrize(
    ("params", "field"),
    [({"alert_type": "tiger"}, "alert_type"), ({"camera": "x"}, "camera"), ({"since": "soon"}, "since"),
     ({"since": "2026-11-02T00:00:00Z", "until": "2026-11-01T00:00:00Z"}, "until")],
)  # fmt: skip
def test_bad_filters_answer_400_naming_the_parameter(alice_client, params, field):
    response = alice_client.get("/api/alerts/", params)
    assert response.status_code == 400 and field in response.json()


def test_cursor_pagination_walks_every_alert_once_newest_first(alice_client, history):
    seen = []
    response = alice_client.get("/api/alerts/", {"pagination": "cursor", "page_size": 3}).json()
    while True:
        assert "count" not in response
        seen += [alert["id"] for alert in response["results"]]
        if not response["next"]:
            break
        response = alice_client.get(response["next"]).json()
    assert seen == [alert.pk for alert in reversed(history)]


def test_acknowledge_answers_the_alert_and_is_idempotent(alice_client, history):
    url = f"/api/alerts/{history[0].pk}/acknowledge/"
    first = alice_client.post(url).json()
    assert (first["acknowledged"], first["acknowledged_by"]) == (True, "alice")
    assert alice_client.post(url).json()["acknowledged_at"] == first["acknowledged_at"]


def test_bulk_acknowledge_counts_what_changed(alice_client, history):
    ids = [alert.pk for alert in history[:3]]
    assert alice_client.post("/api/alerts/acknowledge/", {"ids": ids}, format="json").json() == {
        "acknowledged": 3
    }
    response = alice_client.post("/api/alerts/acknowledge/", {"ids": "all"}, format="json")
    assert response.status_code == 400 and "ids" in response.json()


def test_alert_detail_shows_the_snapshot_url(alice_client, history):
    body = alice_client.get(f"/api/alerts/{history[0].pk}/").json()
    assert body["snapshot_url"].endswith(history[0].snapshot.name)
