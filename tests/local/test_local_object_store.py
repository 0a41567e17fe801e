"""`scripts/run --s3`: the laptop product keeps its media in a SeaweedFS store on loopback, in its data dir,
and the backend's settings made from it reach that store (the filesystem stays the default)."""

from __future__ import annotations

import os
import subprocess
import sys

from cctv_local.options import parse_options
from cctv_local.product import LOCAL_BUCKET, _start_object_store, object_store_environment
from support.backend import BACKEND_DIR

WRITE_AND_LIST = """
from django.core.files.base import ContentFile
from surveillance import media_store
media_store.store().save("snapshots/probe.jpg", ContentFile(b"abc"))
for stored in media_store.walk("snapshots/"):
    print(stored.name, stored.size)
"""


def test_the_filesystem_is_the_default_and_the_flag_or_the_variable_asks_for_s3(monkeypatch):
    monkeypatch.delenv("CCTV_S3", raising=False)
    assert parse_options([]).s3 is False
    assert parse_options(["--s3"]).s3 is True
    monkeypatch.setenv("CCTV_S3", "1")
    assert parse_options([]).s3 is True


def test_the_local_store_starts_in_the_data_dir_and_the_backend_reaches_it(tmp_path):
    options = parse_options(["--s3", "--data-dir", str(tmp_path / "data")])
    options.data_dir.mkdir()
    store = _start_object_store(options)
    try:
        env = object_store_environment(store, options)
        assert env["MEDIA_SERVE_MODE"] == "redirect"  # the browser is on this machine
        assert store.client().head_bucket(Bucket=LOCAL_BUCKET)
        assert (options.data_dir / "s3" / "data").is_dir()
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", WRITE_AND_LIST],
            cwd=BACKEND_DIR,
            env={**os.environ, **env, "DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == ["snapshots/probe.jpg", "3"]
        assert (
            store.client().get_object(Bucket=LOCAL_BUCKET, Key="snapshots/probe.jpg")["Body"].read() == b"abc"
        )
    finally:
        store.stop()
    assert store.process is not None and store.process.poll() is not None
