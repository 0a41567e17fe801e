"""Camera endpoints: CRUD, activate/deactivate, rotate-token, heartbeat, active-cameras."""

import pytest

from backend.conftest import ALICE_URL, client_for
from surveillance.cameras import selectors
from surveillance.models import Camera

pytestmark = pytest.mark.django_db


def test_create_camera_with_the_seed_payload_answers_201_with_the_full_url_and_a_token(alice_client):
    response = alice_client.post(
        "/api/cameras/",
        {"name": "Parking Lot Camera", "rtsp_url": "rtsp://admin:password@192.168.1.100:554/stream1"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["rtsp_url"] == "rtsp://admin:password@192.168.1.100:554/stream1"
    assert body["is_active"] is False
    camera = Camera.objects.get()
    assert body["ingest_token"] == selectors.camera_ingest_token(camera=camera)


def test_the_list_masks_the_password_and_the_owners_detail_shows_it(alice_client, alice_camera):
    listed = alice_client.get("/api/cameras/").json()
    assert listed["count"] == 1
    assert listed["results"][0]["rtsp_url"] == "rtsp://admin:***@10.0.0.5:554/stream1"
    assert "ingest_token" not in listed["results"][0]
    detail = alice_client.get(f"/api/cameras/{alice_camera.pk}/").json()
    assert detail["rtsp_url"] == ALICE_URL
    assert "ingest_token" not in detail


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"name": "x", "rtsp_url": "http://cam/1"}, "rtsp_url", "must start with rtsp:// or rtsps://"),
        ({"name": "x", "rtsp_url": "rtsp:///x"}, "rtsp_url", "has no host"),
        ({"rtsp_url": "rtsp://cam/1"}, "name", "required"),
        ({"name": "x"}, "rtsp_url", "required"),
        (
            {"name": "x", "rtsp_url": "rtsp://c/1", "alert_types": ["tiger"]},
            "alert_types",
            "not a valid choice",
        ),
        (
            {"name": "x", "rtsp_url": "rtsp://c/1", "confidence_threshold": 1.5},
            "confidence_threshold",
            "less",
        ),
        (
            {"name": "x", "rtsp_url": "rtsp://c/1", "frame_skip": 0},
            "frame_skip",
            "greater than or equal to 1",
        ),
        ({"name": "x", "rtsp_url": "rtsp://c/1", "zones": [{"name": "z", "points": [[0, 0]]}]}, "zones", "3"),
        ({"name": "x", "rtsp_url": "rtsp://c/1", "alert_types": ["fire", "fire"]}, "alert_types", "repeat"),
        ({"name": "x", "rtsp_url": "rtsp://c/1", "object_filters": {"dog": {}}}, "object_filters", "dog"),
        ({"name": "x", "rtsp_url": "rtsp://c/1", "object_filters": {"person": {"min_area": 2}}},
         "object_filters", "less than or equal to 1"),
        ({"name": "x", "rtsp_url": "rtsp://c/1",
          "object_filters": {"person": {"min_area": 0.5, "max_area": 0.1}}},
         "object_filters", "min_area is larger than max_area"),
        ({"name": "x", "rtsp_url": "rtsp://c/1",
          "motion_masks": [{"name": "m", "points": [[0, 0], [1, 1]]}]}, "motion_masks", "3"),
        ({"name": "x", "rtsp_url": "rtsp://c/1", "forced_detect_interval": -1},
         "forced_detect_interval", "0"),
        ({"name": "x", "rtsp_url": "rtsp://c/1", "detector": "GPU_A"}, "detector", 'Enter "local"'),
        ({"name": "x", "rtsp_url": "rtsp://c/1", "detector": "a" * 64}, "detector", "63 characters"),
    ],
)
def test_bad_camera_input_answers_400_naming_the_field_and_writes_nothing(
    alice_client, payload, field, message
):
    response = alice_client.post("/api/cameras/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert message in str(response.json()[field])
    assert Camera.objects.count() == 0


def test_a_duplicate_name_answers_400(alice_client, alice_camera):
    response = alice_client.post(
        "/api/cameras/", {"name": alice_camera.name, "rtsp_url": ALICE_URL}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["You already have a camera with this name."]}


def test_patch_changes_the_config_and_put_needs_name_and_url(alice_client, alice_camera):
    url = f"/api/cameras/{alice_camera.pk}/"
    response = alice_client.patch(url, {"frame_skip": 10, "alert_types": ["fire", "smoke"]}, format="json")
    assert response.status_code == 200
    assert (response.json()["frame_skip"], response.json()["alert_types"]) == (10, ["fire", "smoke"])
    assert alice_client.put(url, {"frame_skip": 3}, format="json").status_code == 400
    response = alice_client.put(url, {"name": "Renamed", "rtsp_url": "rtsp://cam/2"}, format="json")
    assert response.status_code == 200
    assert Camera.objects.get().name == "Renamed"


def test_delete_removes_the_camera(alice_client, alice_camera):
    assert alice_client.delete(f"/api/cameras/{alice_camera.pk}/").status_code == 204
    assert not Camera.objects.exists()


def test_activate_and_deactivate_toggle_the_flag(alice_client, make_camera, alice):
    camera = make_camera(alice)
    assert alice_client.post(f"/api/cameras/{camera.pk}/activate/").json()["is_active"] is True
    assert Camera.objects.get().is_active
    assert alice_client.post(f"/api/cameras/{camera.pk}/deactivate/").json()["is_active"] is False
    assert not Camera.objects.get().is_active


def test_rotate_token_shows_the_new_token_and_the_old_one_stops_working(alice_client, alice_camera):
    old = selectors.camera_ingest_token(camera=alice_camera)
    response = alice_client.post(f"/api/cameras/{alice_camera.pk}/rotate-token/")
    assert response.status_code == 200
    new = response.json()["ingest_token"]
    assert new != old and response.json()["camera_id"] == alice_camera.pk
    url = f"/api/cameras/{alice_camera.pk}/heartbeat/"
    payload = {"stream_state": "up", "fps": 10}
    assert client_for(old).post(url, payload, format="json").status_code == 401
    assert client_for(new).post(url, payload, format="json").status_code == 204


def test_a_camera_heartbeat_with_its_ingest_token_makes_it_online(camera_client, alice_client, alice_camera):
    response = camera_client.post(
        f"/api/cameras/{alice_camera.pk}/heartbeat/", {"stream_state": "up", "fps": 9.5}, format="json"
    )
    assert response.status_code == 204
    detail = alice_client.get(f"/api/cameras/{alice_camera.pk}/").json()
    assert (detail["stream_state"], detail["fps"], detail["online"]) == ("up", 9.5, True)


def test_a_heartbeat_with_an_unknown_state_answers_400(camera_client, alice_camera):
    url = f"/api/cameras/{alice_camera.pk}/heartbeat/"
    response = camera_client.post(url, {"stream_state": "sideways"}, format="json")
    assert response.status_code == 400 and "stream_state" in response.json()


def test_an_ingest_token_cannot_heartbeat_another_camera(camera_client, bob_camera):
    response = camera_client.post(
        f"/api/cameras/{bob_camera.pk}/heartbeat/", {"stream_state": "up"}, format="json"
    )
    assert response.status_code == 403
    assert Camera.objects.get(pk=bob_camera.pk).last_heartbeat_at is None


def test_the_operator_sees_every_active_camera_in_the_contract_shape(
    operator_client, alice_camera, bob_camera
):
    response = operator_client.get("/api/active-cameras/")
    assert response.status_code == 200
    cameras = response.json()
    assert [camera["id"] for camera in cameras] == [alice_camera.pk, bob_camera.pk]
    assert set(cameras[0]) == {
        "id", "rtsp_url", "detect_rtsp_url", "name", "ingest_token", "alert_types", "confidence_threshold",
        "frame_skip", "detect_fps", "cooldown_seconds", "min_box_area", "zones", "updated_at",
        "event_grace_seconds", "event_max_seconds", "pre_roll_seconds", "post_roll_seconds",
        "motion_masks", "forced_detect_interval", "object_filters", "detector",
        "record_mode", "retain_continuous_days", "retain_motion_days", "retain_events_days",
    }  # fmt: skip
    assert cameras[0]["rtsp_url"] == ALICE_URL
    assert cameras[0]["ingest_token"] == selectors.camera_ingest_token(camera=alice_camera)


def test_a_plain_user_gets_only_their_own_active_cameras(
    alice_client, alice_camera, bob_camera, make_camera, alice
):
    make_camera(alice, name="Off")
    assert [camera["id"] for camera in alice_client.get("/api/active-cameras/").json()] == [alice_camera.pk]


def test_the_operator_cannot_touch_cameras_of_users(operator_client, alice_camera):
    assert operator_client.get("/api/cameras/").json()["count"] == 0
    assert operator_client.get(f"/api/cameras/{alice_camera.pk}/").status_code == 404
    # The operator's identity is read-only: refused before any lookup.
    assert operator_client.post(f"/api/cameras/{alice_camera.pk}/deactivate/").status_code == 403


def test_the_motion_gate_and_object_filters_go_from_the_api_to_the_operators_list(
    alice_client, operator_client, alice_camera
):
    settings = {
        "motion_masks": [{"name": "tree", "points": [[0, 0], [0.3, 0], [0.3, 0.4]]}],
        "forced_detect_interval": 8,
        "object_filters": {"person": {"min_area": 0.001, "max_ratio": 1.5, "min_score": 0.6}},
    }
    response = alice_client.patch(f"/api/cameras/{alice_camera.pk}/", settings, format="json")
    assert response.status_code == 200, response.json()
    alice_client.post(f"/api/cameras/{alice_camera.pk}/activate/")
    [listed] = operator_client.get("/api/active-cameras/").json()
    assert {key: listed[key] for key in settings} == {**settings, "forced_detect_interval": 8.0}


def test_the_detector_choice_goes_from_the_api_to_the_operators_list(
    alice_client, operator_client, alice_camera
):
    url = f"/api/cameras/{alice_camera.pk}/"
    assert alice_client.get(url).json()["detector"] == ""  # the default: the operator's default detector
    response = alice_client.patch(url, {"detector": "gpu-a"}, format="json")
    assert response.status_code == 200, response.json()
    alice_client.post(f"/api/cameras/{alice_camera.pk}/activate/")
    [listed] = operator_client.get("/api/active-cameras/").json()
    assert listed["detector"] == "gpu-a"
    # Back to the default with an empty value (the API keeps no null for it).
    assert alice_client.patch(url, {"detector": ""}, format="json").json()["detector"] == ""
