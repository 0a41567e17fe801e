"""Credentials are masked before anything is logged."""

from cctv_worker.redact import mask_text, mask_url


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
