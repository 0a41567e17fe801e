"""surveillance.validators: RTSP URLs, masking, zones, alert types, detections (pure, no database)."""

import pytest
from django.core.exceptions import ValidationError

from cctv_common.redact import mask_url
from surveillance.validators import (
    validate_alert_types,
    validate_detections,
    validate_rtsp_url,
    validate_zones,
)


@pytest.mark.parametrize(
    "url",
    [
        "rtsp://admin:password123@192.168.1.100:554/stream1",
        "rtsp://user:pass@camera.example.com:8554/live",
        "rtsp://192.168.1.50:554/onvif1",
        "rtsps://cam.example.com/secure",
        "rtsp://[::1]:8554/ipv6",
    ],
)
def test_seed_readme_rtsp_urls_are_accepted(url):
    validate_rtsp_url(url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://192.168.1.5/stream", "must start with rtsp:// or rtsps://"),
        ("192.168.1.5:554/stream", "must start with rtsp:// or rtsps://"),
        ("rtsp:///nohost", "has no host"),
        ("rtsp://host:notaport/x", "host or port is malformed"),
        ("rtsp://host:99999/x", "host or port is malformed"),
        ("rtsp://ho st/x", "must not contain spaces"),
        ("", "Enter an RTSP URL"),
    ],
)
def test_bad_rtsp_urls_are_refused_with_a_message_saying_why(url, message):
    with pytest.raises(ValidationError, match=message):
        validate_rtsp_url(url)


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("rtsp://admin:s3cret@10.0.0.5:554/stream1", "rtsp://admin:***@10.0.0.5:554/stream1"),
        ("rtsp://admin:s3cret@cam.local/live?x=1", "rtsp://admin:***@cam.local/live?x=1"),
        ("rtsp://10.0.0.5/stream", "rtsp://10.0.0.5/stream"),
        ("rtsp://user:p%40ss@[fe80::1]:8554/s", "rtsp://user:***@[fe80::1]:8554/s"),
    ],
)
def test_masking_replaces_only_the_password(url, masked):
    assert mask_url(url) == masked


def test_masking_never_leaks_a_password_containing_url_syntax():
    assert "p@ss:w/rd" not in mask_url("rtsp://u:p@ss:w/rd@host/x")


GOOD_ZONE = {
    "name": "driveway",
    "points": [[0.1, 0.2], [0.9, 0.2], [0.9, 0.9]],
    "intrusion": True,
    "exclusive": True,
}


def test_a_well_formed_zone_list_passes():
    validate_zones([GOOD_ZONE, {**GOOD_ZONE, "name": "door"}])
    validate_zones([])


@pytest.mark.parametrize(
    ("zones", "message"),
    [
        ({"name": "x"}, "must be a list"),
        (["not an object"], "must be an object"),
        ([{**GOOD_ZONE, "colour": "red"}], "unknown keys: colour"),
        ([{**GOOD_ZONE, "name": ""}], "needs a name"),
        ([GOOD_ZONE, GOOD_ZONE], "appears twice"),
        ([{**GOOD_ZONE, "points": [[0, 0], [1, 1]]}], "needs 3 to"),
        ([{**GOOD_ZONE, "points": [[0, 0], [1, 1], [1.5, 0]]}], "0 <= x, y <= 1"),
        ([{**GOOD_ZONE, "points": [[0, 0], [1, 1], [True, 0]]}], "0 <= x, y <= 1"),
        ([{**GOOD_ZONE, "intrusion": "yes"}], "intrusion must be true or false"),
    ],
)
def test_bad_zones_are_refused_naming_the_zone_and_the_problem(zones, message):
    with pytest.raises(ValidationError, match=message):
        validate_zones(zones)


def test_known_alert_types_pass_and_unknown_ones_are_named():
    validate_alert_types(["person", "fire"])
    validate_alert_types([])
    with pytest.raises(ValidationError, match=r"Unknown alert type\(s\): tiger"):
        validate_alert_types(["person", "tiger"])
    with pytest.raises(ValidationError, match="must not repeat"):
        validate_alert_types(["person", "person"])
    with pytest.raises(ValidationError, match="list of strings"):
        validate_alert_types("person")


def test_detections_need_a_label_a_score_and_a_normalised_box():
    validate_detections([{"label": "person", "confidence": 0.9, "box": [0.1, 0.1, 0.5, 0.8]}])
    with pytest.raises(ValidationError, match="box must be"):
        validate_detections([{"label": "person", "confidence": 0.9, "box": [10, 10, 50, 80]}])
    with pytest.raises(ValidationError, match="x1 <= x2"):
        validate_detections([{"label": "person", "confidence": 0.9, "box": [0.5, 0.1, 0.1, 0.8]}])
    with pytest.raises(ValidationError, match="confidence must be"):
        validate_detections([{"label": "person", "confidence": 2, "box": [0.1, 0.1, 0.5, 0.8]}])
