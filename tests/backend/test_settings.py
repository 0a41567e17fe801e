"""Settings from the environment: production settings pass `check --deploy`; bad values stop start-up
with one line naming the variable. Each case runs manage.py in a fresh process, as a deployment would."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest

from support.backend import BACKEND_DIR

PRODUCTION = {
    "DEBUG": "0",
    "HTTPS_ONLY": "1",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "cctv.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://cctv.example.com",
    "STATIC_MANIFEST": "1",
}


def manage(*args: str, tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
    dropped = {"DEBUG", "SECRET_KEY", "PYTEST_CURRENT_TEST"}
    environment = {key: value for key, value in os.environ.items() if key not in dropped}
    environment.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", MEDIA_ROOT=str(tmp_path / "media")
    )
    environment.update(env)
    argv = [sys.executable, "manage.py", *args]
    return subprocess.run(
        argv, cwd=BACKEND_DIR, env=environment, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.slow
def test_production_settings_pass_check_deploy(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path, **PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SECRET_KEY": "", "DEBUG": "0"}, "SECRET_KEY is not set"),
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        ({"ALERT_IMAGE_MAX_BYTES": "lots", "DEBUG": "1"}, "ALERT_IMAGE_MAX_BYTES='lots' is not an integer"),
        ({"ALERT_RETENTION_DAYS": "0", "DEBUG": "1"}, "ALERT_RETENTION_DAYS=0 is below the minimum 1"),
        ({"API_PAGE_SIZE": "5000", "DEBUG": "1"}, "API_PAGE_SIZE=5000 is above the maximum 1000"),
        ({"DATABASE_URL": "nosuchdb://x", "DEBUG": "1"}, "DATABASE_URL"),
        ({"AUTH_THROTTLE_RATE": "often", "DEBUG": "1"}, "AUTH_THROTTLE_RATE='often' is not a rate"),
        ({"LOG_LEVEL": "LOUD", "DEBUG": "1"}, "LOG_LEVEL='LOUD' is not one of DEBUG"),
        ({"NUM_PROXIES": "-1", "DEBUG": "1"}, "NUM_PROXIES=-1 is below the minimum 0"),
        ({"MEDIA_STORE": "gcs", "DEBUG": "1"}, "MEDIA_STORE='gcs' is not one of filesystem, s3"),
        ({"MEDIA_STORE": "s3", "DEBUG": "1"}, "MEDIA_STORE=s3 needs MEDIA_S3_BUCKET"),
        ({"MEDIA_STORE": "s3", "MEDIA_S3_BUCKET": "My_Bucket", "DEBUG": "1"}, "MEDIA_S3_BUCKET='My_Bucket'"),
        (
            {"MEDIA_STORE": "s3", "MEDIA_S3_BUCKET": "cctv", "MEDIA_S3_ACCESS_KEY_ID": "k", "DEBUG": "1"},
            "Set both MEDIA_S3_ACCESS_KEY_ID and MEDIA_S3_SECRET_ACCESS_KEY",
        ),
        ({"MEDIA_S3_ENDPOINT_URL": "minio:9000", "DEBUG": "1"}, "MEDIA_S3_ENDPOINT_URL='minio:9000' is not"),
        ({"MEDIA_S3_SECRET_ACCESS_KEY_FILE": "/nonexistent/key", "DEBUG": "1"}, "cannot be read"),
        (
            {
                "MEDIA_S3_SECRET_ACCESS_KEY": "x",
                "MEDIA_S3_SECRET_ACCESS_KEY_FILE": "/etc/hosts",
                "DEBUG": "1",
            },
            "Set MEDIA_S3_SECRET_ACCESS_KEY or MEDIA_S3_SECRET_ACCESS_KEY_FILE, not both",
        ),
        ({"MEDIA_SERVE_MODE": "public", "DEBUG": "1"}, "MEDIA_SERVE_MODE='public' is not one of redirect"),
        ({"MEDIA_URL_EXPIRY_SECONDS": "0", "DEBUG": "1"}, "MEDIA_URL_EXPIRY_SECONDS=0 is below the minimum"),
    ],
)
def test_a_bad_setting_stops_start_up_with_a_message_naming_it(tmp_path, env, message):
    result = manage("check", tmp_path=tmp_path, **env)
    assert result.returncode != 0
    assert message in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("django.core.exceptions.ImproperlyConfigured:")


def test_store_keys_are_read_from_files_with_the_newline_dropped(tmp_path):
    (tmp_path / "id").write_text("AKID\n")
    (tmp_path / "secret").write_text("s3cr3t\n")
    show = (
        "from django.conf import settings as s\n"
        "print(s.MEDIA_S3_ACCESS_KEY_ID, s.MEDIA_S3_SECRET_ACCESS_KEY)"
    )
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        show,
        tmp_path=tmp_path,
        DEBUG="1",
        MEDIA_STORE="s3",
        MEDIA_S3_BUCKET="cctv-media",
        MEDIA_S3_ACCESS_KEY_ID_FILE=str(tmp_path / "id"),
        MEDIA_S3_SECRET_ACCESS_KEY_FILE=str(tmp_path / "secret"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["AKID", "s3cr3t"]


@pytest.mark.parametrize(
    ("store", "mode", "endpoint", "path_style", "origins"),
    [
        ("filesystem", "redirect", "", False, ""),
        ("s3", "proxy", "http://minio:9000", True, ""),
        ("s3", "redirect", "http://minio:9000", True, "http://minio:9000"),
        ("s3", "redirect", "https://s3.example.com", False, "https://cctv-media.s3.example.com"),
        ("s3", "redirect", "", False, "https://cctv-media.s3.eu-west-1.amazonaws.com"),
    ],
)
def test_redirected_media_load_from_the_stores_origin_only(store, mode, endpoint, path_style, origins):
    from cctv_backend.settings.media import browser_origins

    found = browser_origins(
        store=store,
        serve_mode=mode,
        endpoint_url=endpoint,
        bucket="cctv-media",
        region="eu-west-1",
        path_style=path_style,
    )
    assert found == origins


def test_the_content_security_policy_lets_images_and_clips_follow_the_redirect_to_the_store(tmp_path):
    env = {"MEDIA_STORE": "s3", "MEDIA_S3_BUCKET": "cctv-media", "MEDIA_S3_PATH_STYLE": "1"}
    env["MEDIA_S3_ENDPOINT_URL"] = "http://127.0.0.1:9000"
    show = "from django.conf import settings\nprint(settings.CONTENT_SECURITY_POLICY)"
    result = manage("shell", "--no-imports", "-c", show, tmp_path=tmp_path, DEBUG="1", **env)
    assert result.returncode == 0, result.stderr
    assert "img-src 'self' data: http://127.0.0.1:9000;" in result.stdout
    assert "media-src 'self' blob: http://127.0.0.1:9000;" in result.stdout
    assert "script-src 'self';" in result.stdout  # nothing else opens up
