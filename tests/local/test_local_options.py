from pathlib import Path

import pytest

from cctv_local import options
from cctv_local.options import parse_options


def test_defaults_run_the_demo_on_sqlite_in_the_data_dir(tmp_path, monkeypatch):
    for name in ("CCTV_PORT", "CCTV_DATA_DIR", "DATABASE_URL", "CCTV_CAMERA_URLS", "CCTV_DEMO_CAMERAS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    options = parse_options([])
    assert (options.port, options.demo_cameras, options.camera_urls) == (8000, 1, ())
    assert options.database_url == f"sqlite:///{tmp_path / 'data' / 'db.sqlite3'}"


def test_environment_variables_set_the_defaults_and_flags_win(monkeypatch):
    monkeypatch.setenv("CCTV_PORT", "9000")
    monkeypatch.setenv("CCTV_CAMERA_URLS", "rtsp://a/1, rtsp://b/2")
    monkeypatch.setenv("DATABASE_URL", "postgres://cctv@db/cctv")
    assert parse_options([]).port == 9000
    assert parse_options(["--port", "9100"]).port == 9100
    assert parse_options([]).camera_urls == ("rtsp://a/1", "rtsp://b/2")
    assert parse_options([]).database_url == "postgres://cctv@db/cctv"


@pytest.mark.parametrize(
    ("env", "argv", "message"),
    [
        ({"CCTV_PORT": "abc"}, [], "argument --port: invalid int value: 'abc'"),
        ({}, ["--port", "70000"], "--port 70000 is not a TCP port"),
        ({"CONFIDENCE_THRESHOLD": "2"}, [], "--confidence must be between 0 and 1"),
        ({}, ["--demo-cameras", "-1"], "--demo-cameras must be between 0 and 64"),
        ({"POLL_INTERVAL": "0"}, [], "--poll-interval must be positive"),
    ],
)
def test_a_bad_value_stops_with_one_line_naming_it(monkeypatch, capsys, env, argv, message):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stopped:
        parse_options(argv)
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


def test_the_shared_detector_is_off_by_default_and_on_by_flag_or_environment(monkeypatch) -> None:
    monkeypatch.delenv("CCTV_SHARED_DETECTOR", raising=False)
    assert parse_options([]).shared_detector is False
    assert parse_options(["--shared-detector"]).shared_detector is True
    monkeypatch.setenv("CCTV_SHARED_DETECTOR", "1")
    assert parse_options([]).shared_detector is True
    monkeypatch.setenv("CCTV_SHARED_DETECTOR", "0")
    assert parse_options([]).shared_detector is False


REPO_BACKEND = Path(__file__).resolve().parents[2] / "backend"


def test_the_backend_is_the_checkouts_by_default(monkeypatch) -> None:
    monkeypatch.delenv("CCTV_BACKEND_DIR", raising=False)
    assert parse_options([]).backend_dir == REPO_BACKEND


def test_another_backend_folder_is_taken_by_flag_or_environment(monkeypatch, tmp_path) -> None:
    backend = tmp_path / "cctv" / "backend"  # what the check looks for: the project's entry and settings
    (backend / "cctv_backend" / "settings").mkdir(parents=True)
    (backend / "manage.py").write_text("")
    monkeypatch.setenv("CCTV_BACKEND_DIR", str(backend))
    assert parse_options([]).backend_dir == backend
    monkeypatch.delenv("CCTV_BACKEND_DIR")
    assert parse_options(["--backend-dir", str(backend)]).backend_dir == backend


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda root: root / "nowhere", "is not a folder"),
        (lambda root: root, "is not the CCTV backend (no manage.py or cctv_backend/settings in it)"),
    ],
    ids=["missing", "not-a-backend"],
)
def test_a_backend_folder_that_is_not_one_stops_with_one_line_naming_it(
    monkeypatch, capsys, tmp_path, make, message
):
    with pytest.raises(SystemExit) as stopped:
        parse_options(["--backend-dir", str(make(tmp_path))])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert f"--backend-dir: {tmp_path}" in err and message in err


def test_outside_a_checkout_without_a_backend_folder_it_says_how_to_give_one(
    monkeypatch, capsys, tmp_path
) -> None:
    # An installed cctv-local (no checkout around it): its package sits where no backend/ is.
    monkeypatch.delenv("CCTV_BACKEND_DIR", raising=False)
    monkeypatch.setattr(options, "CHECKOUT_BACKEND", tmp_path / "site-packages" / "backend")
    with pytest.raises(SystemExit) as stopped:
        parse_options([])
    assert stopped.value.code == 2
    assert (
        "not running from a source checkout; pass --backend-dir (or CCTV_BACKEND_DIR)"
        in capsys.readouterr().err
    )
