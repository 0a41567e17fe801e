"""surveillance.accounts.tokens: the ingest token scheme (HMAC of the camera's nonce under SECRET_KEY)."""

from surveillance.accounts.tokens import camera_id_of, ingest_token_for, token_matches


def test_a_token_names_its_camera_and_matches_only_its_nonce():
    token = ingest_token_for(7, "nonce-a")
    assert token.startswith("cam_7_") and len(token) == len("cam_7_") + 64
    assert camera_id_of(token) == 7
    assert token_matches(token, 7, "nonce-a")
    assert not token_matches(token, 7, "nonce-b")
    assert not token_matches(token, 8, "nonce-a")


def test_user_tokens_and_garbage_are_not_ingest_tokens():
    assert camera_id_of("0123456789abcdef0123456789abcdef01234567") is None
    assert camera_id_of("cam_x_" + "0" * 64) is None
    assert camera_id_of("cam_1_short") is None


def test_a_new_secret_key_invalidates_every_token(settings):
    token = ingest_token_for(1, "n")
    settings.SECRET_KEY = "another-secret-key-" * 4
    assert not token_matches(token, 1, "n")
