"""A real S3 store for the tests: SeaweedFS (``cctv_local.object_store``) once per test session and
worker, a key prefix per test, and the backend's settings pointed at it (a pytest plugin).

- ``s3_store``: the running store (session scope; its own empty folder, free ports, stopped at the end).
  Each xdist worker that runs an S3 test starts its own (measured: ready in about 8 s, 134 MB resident),
  no shared state.
- ``use_s3``: this test's media store is the session's bucket under a key prefix of its own (the settings
  as MEDIA_STORE=s3 makes them). Not a bucket per test: SeaweedFS gives each bucket volumes of its own,
  and a few dozen buckets use up a volume server's slots.
- ``media_backend``: parametrizes a test over ``filesystem``, ``s3-redirect`` and ``s3-proxy``.

Every test that reaches the store is marked ``object_store``. scripts/test's SQLite pass, whose clock is a
year ahead, leaves them out: ``weed`` is a static Go binary that libfaketime cannot reach, so it keeps the
true time and refuses the shifted client's signatures (``RequestTimeTooSkewed``, as S3 itself would). They
run in the PostgreSQL pass; on SQLite the same tests run on the filesystem store (``media_backend``).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator

import pytest

from cctv_local.object_store import REGION, ObjectStore, StorePorts
from support.net import free_port

ACCESS_KEY = "cctv-test-access-key"
BACKENDS = ("filesystem", "s3-redirect", "s3-proxy")


@pytest.fixture(scope="session")
def s3_store(tmp_path_factory) -> Iterator[ObjectStore]:
    # Ports from this xdist worker's own block (support.net): never one another worker is about to bind.
    ports = StorePorts(*(free_port() for _ in range(8)))
    with ObjectStore(
        tmp_path_factory.mktemp("s3-store"),
        access_key=ACCESS_KEY,
        secret_key=secrets.token_hex(20),
        ports=ports,
        stop_grace=1.0,  # scratch data: no flush to wait for
    ) as store:
        yield store


def reaches_the_store(item: pytest.Item) -> bool:
    if "s3_store" in getattr(item, "fixturenames", ()):
        return True
    callspec = getattr(item, "callspec", None)
    return callspec is not None and str(callspec.params.get("media_backend", "")).startswith("s3")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("object_store") is None and reaches_the_store(item):
            item.add_marker(pytest.mark.object_store)


BUCKET = "cctv-test"


@pytest.fixture(scope="session")
def s3_bucket(s3_store) -> str:
    s3_store.ensure_bucket(BUCKET)
    return BUCKET


@pytest.fixture
def s3_prefix(s3_bucket) -> str:
    """This test's key prefix in the session's bucket."""
    return f"t-{uuid.uuid4().hex[:16]}"


def s3_storage(
    store: ObjectStore, prefix: str, *, secret_key: str | None = None, endpoint: str | None = None
) -> dict:
    """The STORAGES["default"] entry the settings make for this store (one definition: theirs), with the
    test's key prefix as the storage's location."""
    from cctv_backend.settings.media import media_storage

    entry = media_storage(
        store="s3",
        bucket=BUCKET,
        endpoint_url=endpoint or store.endpoint,
        region=REGION,
        path_style=True,
        access_key=store.access_key,
        secret_key=secret_key or store.secret_key,
        timeout=3.0,
        expiry=300,
    )
    return {**entry, "OPTIONS": {**entry["OPTIONS"], "location": prefix}}  # type: ignore[dict-item]


def point_media_at(settings, entry: dict, *, serve_mode: str = "redirect") -> None:
    # Changing STORAGES makes Django drop its storage objects (django.test.signals): the next file
    # field read or write uses the new store.
    settings.STORAGES = {**settings.STORAGES, "default": entry}
    settings.MEDIA_STORE = "s3" if "S3" in str(entry["BACKEND"]) else "filesystem"
    settings.MEDIA_SERVE_MODE = serve_mode


@pytest.fixture
def use_s3(settings, s3_store, s3_prefix) -> str:
    point_media_at(settings, s3_storage(s3_store, s3_prefix))
    return s3_prefix


@pytest.fixture(params=BACKENDS)
def media_backend(request, settings) -> str:
    if request.param.startswith("s3"):
        request.getfixturevalue("use_s3")
        settings.MEDIA_SERVE_MODE = request.param.removeprefix("s3-")
    return request.param
