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
        ({"AUDIT_RETENTION_DAYS": "0", "DEBUG": "1"}, "AUDIT_RETENTION_DAYS=0 is below the minimum 1"),
        ({"API_TOKEN_MAX_DAYS": "forever", "DEBUG": "1"}, "API_TOKEN_MAX_DAYS='forever' is not an integer"),
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
            "both MEDIA_S3_SECRET_ACCESS_KEY and MEDIA_S3_SECRET_ACCESS_KEY_FILE are set: set only one",
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


# --- SECRET_KEY_FILE / DATABASE_URL_FILE (issue 20): secrets from mounted files, not the environment ---


def _printed_settings(tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
    code = (
        "from django.conf import settings; "
        "print(settings.SECRET_KEY); print(settings.DATABASES['default']['NAME'])"
    )
    return manage("shell", "--no-imports", "-c", code, tmp_path=tmp_path, **env)


def test_secret_key_and_database_url_are_read_from_the_files_their_file_variables_name(tmp_path):
    key = secrets.token_urlsafe(64)
    (tmp_path / "secret-key").write_text(key + "\n")  # the trailing newline of `echo` is not part of it
    database = tmp_path / "from-file.sqlite3"
    (tmp_path / "database-url").write_text(f"sqlite:///{database}")
    result = _printed_settings(
        tmp_path,
        **{**PRODUCTION, "SECRET_KEY": "", "DATABASE_URL": ""},
        SECRET_KEY_FILE=str(tmp_path / "secret-key"),
        DATABASE_URL_FILE=str(tmp_path / "database-url"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-2:] == [key, str(database)]


@pytest.mark.parametrize("name", ["SECRET_KEY", "DATABASE_URL"])
def test_a_variable_and_its_file_variable_together_stop_start_up(tmp_path, name):
    secret_file = tmp_path / "value"
    secret_file.write_text(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    result = manage("check", tmp_path=tmp_path, DEBUG="1", **{f"{name}_FILE": str(secret_file)},
                    **({"SECRET_KEY": "set-in-the-environment"} if name == "SECRET_KEY" else {}))
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    message = f"both {name} and {name}_FILE are set: set only one"
    assert last == f"django.core.exceptions.ImproperlyConfigured: {message}"


@pytest.mark.parametrize(
    ("prepare", "reason"),
    [
        (lambda path: None, "cannot be read: No such file or directory"),
        (lambda path: path.mkdir(), "cannot be read: Is a directory"),
        (lambda path: path.write_bytes(b"\xff\xfe not text"), "cannot be read: UnicodeDecodeError"),
        (lambda path: path.write_text("\n"), "is empty"),
    ],
    ids=["missing", "directory", "not-text", "empty"],
)
def test_an_unreadable_secret_file_stops_start_up_naming_the_variable_and_the_path(tmp_path, prepare, reason):
    path = tmp_path / "secret-key"
    prepare(path)
    result = manage("check", tmp_path=tmp_path, **{**PRODUCTION, "SECRET_KEY": ""}, SECRET_KEY_FILE=str(path))
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last == f"django.core.exceptions.ImproperlyConfigured: SECRET_KEY_FILE={str(path)!r} {reason}"
