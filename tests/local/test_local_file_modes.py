"""The laptop product keeps its files to its user and its cameras on the LAN (issue 15).

Another local user could read the data directory (0755) and the database (0644) with every API token in
it, and secret files were world-readable between their write and their chmod.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys

from cctv_local import product


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_an_existing_open_data_dir_is_closed_to_its_owner(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)

    product._owner_only_data_dir(data)

    assert _mode(data) == 0o700


def test_a_secret_file_is_owner_only_from_its_creation_whatever_the_umask(tmp_path):
    old = os.umask(0o000)
    try:
        value = product._kept_secret(tmp_path / "secret_key", 50)
    finally:
        os.umask(old)
    assert _mode(tmp_path / "secret_key") == 0o600
    assert product._kept_secret(tmp_path / "secret_key", 50) == value


def test_files_made_under_the_products_umask_are_owner_only(tmp_path):
    # What the backend does under the product's umask: SQLite creates the database (and its WAL).
    script = (
        f"import os, sqlite3; os.umask({product.OWNER_ONLY_UMASK}); "
        f"sqlite3.connect({str(tmp_path / 'db.sqlite3')!r}).execute('create table t (x)')"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    assert _mode(tmp_path / "db.sqlite3") == 0o600
    assert sqlite3.connect(tmp_path / "db.sqlite3").execute("select count(*) from t").fetchone() == (0,)


def test_workers_and_backend_get_the_lan_policy_and_metrics_on_loopback(monkeypatch):
    monkeypatch.delenv("CAMERA_ALLOWED_NETWORKS", raising=False)
    env = product._worker_base_env()
    assert env["METRICS_HOST"] == "127.0.0.1"
    assert "192.168.0.0/16" in env["CAMERA_ALLOWED_NETWORKS"]
    assert "127.0.0.0/8" in env["CAMERA_ALLOWED_NETWORKS"]
