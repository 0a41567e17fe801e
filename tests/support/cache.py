"""Expensive test inputs built once and kept between runs, keyed by everything they are made from.

    path = cached("walk-in.avi", key=("walk-in", 12, 6), build=lambda scratch: make_it(scratch / "x.avi"))

The file (or folder) lives in ``$CCTV_TEST_CACHE`` (default ``<tmp>/cctv-test-cache``) under a name
derived from ``key`` and from ``sources`` (files whose bytes the result depends on, e.g. the module
that builds it: edit the builder and the next run builds anew). A file lock makes parallel test workers
wait for the first builder instead of building it again; a half-built result never gets the name.
Callers must treat the result as read-only: other tests (and runs) read the same file.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path


def cache_dir() -> Path:
    root = Path(os.environ.get("CCTV_TEST_CACHE") or Path(tempfile.gettempdir()) / "cctv-test-cache")
    root.mkdir(parents=True, exist_ok=True)
    return root


def cache_key(key: object, sources: Iterable[Path] = ()) -> str:
    digest = hashlib.sha256(repr(key).encode())
    for source in sources:
        digest.update(Path(source).read_bytes())
    return digest.hexdigest()[:20]


def cached(name: str, *, key: object, build: Callable[[Path], Path], sources: Iterable[Path] = ()) -> Path:
    """The cached ``name`` for ``key``; ``build(scratch)`` makes it in an empty folder on a miss."""
    root = cache_dir()
    target = root / f"{cache_key(key, sources)}-{name}"
    with (root / f".{target.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.exists():
            scratch = Path(tempfile.mkdtemp(dir=root, prefix=".build-"))
            try:
                os.replace(build(scratch), target)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
    return target
