"""Credentials are masked before anything is logged."""

from cctv_common.redact import mask_text, mask_url, restore_masked, same_origin


def test_the_rtsp_password_is_masked_but_user_and_host_stay() -> None:
    assert mask_url("rtsp://admin:s3cr3t@10.0.0.5:554/live?x=1") == "rtsp://admin:***@10.0.0.5:554/live?x=1"


def test_urls_without_password_and_file_paths_are_unchanged() -> None:
    assert mask_url("rtsp://10.0.0.5/live") == "rtsp://10.0.0.5/live"
    assert mask_url("/videos/demo.mp4") == "/videos/demo.mp4"


def test_free_text_loses_passwords_ingest_tokens_and_authorization_values() -> None:
    text = "open rtsp://u:pw@h/x failed; token cam_12_AbC-123 header Token 0123456789abcdef"
    masked = mask_text(text)
    assert "pw@" not in masked
    assert "AbC-123" not in masked
    assert "0123456789abcdef" not in masked
    assert "cam_12_***" in masked


SLACK = "https://hooks.slack.com/services/T0000AAAA/B0000BBBB/XyZ0123456789abcdefGHIJ"


def test_a_token_path_segment_is_masked_and_short_or_wordy_segments_stay() -> None:
    assert mask_url(SLACK) == "https://hooks.slack.com/services/T0000AAAA/B0000BBBB/***"
    assert mask_url("rtsp://cam/h264Preview_01_main") == "rtsp://cam/h264Preview_01_main"
    assert mask_url("rtsp://cam/Streaming/Channels/101") == "rtsp://cam/Streaming/Channels/101"


def test_masked_secrets_come_back_only_for_the_same_scheme_host_and_port() -> None:
    assert restore_masked(mask_url(SLACK), SLACK) == SLACK
    assert restore_masked(mask_url(SLACK).replace("slack.com", "evil.test"), SLACK).endswith("/***")
    stored = "rtsp://cam:554/live?password=pw9"
    assert restore_masked("rtsp://cam/live?password=***", stored) == "rtsp://cam/live?password=pw9"
    assert restore_masked("rtsp://cam:8554/live?password=***", stored) == "rtsp://cam:8554/live?password=***"
    assert same_origin("rtsp://cam/x", "rtsp://cam:554/y") and not same_origin("rtsp://cam:x/", "rtsp://cam/")
