import pytest

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
