"""Django in the bench's own process on a scratch PostgreSQL database, for the benches that time
selectors and views without a server (bench_recording_index, bench_playlist, bench_audit).

The database is named after DATABASE_URL's (a prefix of one's own on a shared server) with a suffix,
created empty, and dropped at the end; the media folder is a new temporary one, never a real store's.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "backend"))

from support.backend import scratch_postgres_database  # noqa: E402


@contextmanager
def django_on_scratch_database(name: str, *, env: dict[str, str] | None = None) -> Iterator[None]:
    """Sets Django up on a new scratch database (``name`` names it where DATABASE_URL names none, and its
    media folder); ``env`` adds settings the bench needs (never overriding the caller's environment)."""
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith(("postgres://", "postgresql://")):
        raise SystemExit("DATABASE_URL must name a PostgreSQL server")
    prefix = server.rpartition("/")[2].split("?")[0] or f"cctv_bench_{name}"
    with scratch_postgres_database(server, prefix=prefix) as url:
        os.environ["DATABASE_URL"] = url
        os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix=f"bench-{name}-media-")
        for key, value in {
            "DEBUG": "1",
            "DJANGO_SETTINGS_MODULE": "cctv_backend.settings",
            **(env or {}),
        }.items():
            os.environ.setdefault(key, value)
        import django

        django.setup()
        try:
            yield
        finally:
            from django.db import connections

            connections.close_all()
