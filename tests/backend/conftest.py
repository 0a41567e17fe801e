"""Fixtures of the backend tests: users, cameras, API clients, real JPEG snapshots, media in a temp dir.

The suite runs on the database ``DATABASE_URL`` names (PostgreSQL, then the tests marked ``database`` on
SQLite); tests marked ``postgres_only`` are skipped on SQLite with the reason.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from backend.images import jpeg_base64
from surveillance.accounts import services as account_services
from surveillance.cameras import selectors
from surveillance.cameras import services as camera_services


def pytest_configure(config):
    # WhiteNoise looks for STATIC_ROOT (filled by collectstatic in production); tests serve no static files.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL (real concurrent writers); SQLite serialises writers, so it proves nothing"
    )
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


ALICE_URL = "rtsp://admin:s3cret@10.0.0.5:554/stream1"


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _snapshots_in_tmp(media_root):
    return media_root


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    # Throttle counts live in the cache; each test starts with none.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def operator_user(db):
    user = get_user_model().objects.create_user(username="cctv-operator")
    user.groups.add(account_services.operator_group_ensure())
    return user


@pytest.fixture
def make_camera(db):
    def make(user, name: str = "Front door", rtsp_url: str = ALICE_URL, **config):
        return camera_services.camera_create(user=user, name=name, rtsp_url=rtsp_url, **config)

    return make


@pytest.fixture
def alice_camera(alice, make_camera):
    return make_camera(alice, is_active=True)


@pytest.fixture
def bob_camera(bob, make_camera):
    return make_camera(bob, name="Bob's yard", rtsp_url="rtsp://bob:hunter2@10.0.0.9/live", is_active=True)


def client_for(token: str | None) -> APIClient:
    client = APIClient()
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def alice_client(alice) -> APIClient:
    return client_for(Token.objects.create(user=alice).key)


@pytest.fixture
def bob_client(bob) -> APIClient:
    return client_for(Token.objects.create(user=bob).key)


@pytest.fixture
def operator_client(operator_user) -> APIClient:
    return client_for(Token.objects.create(user=operator_user).key)


@pytest.fixture
def anonymous_client() -> APIClient:
    return APIClient()


@pytest.fixture
def camera_client(alice_camera) -> APIClient:
    """The worker of Alice's camera, authenticated by the camera's ingest token."""
    return client_for(selectors.camera_ingest_token(camera=alice_camera))


@pytest.fixture
def alert_payload(alice_camera):
    def payload(**overrides):
        body = {
            "camera_id": alice_camera.pk,
            "alert_type": "intrusion",
            "confidence": 0.85,
            "image_base64": jpeg_base64(),
            "description": "Person detected",
        }
        body.update(overrides)
        return {key: value for key, value in body.items() if value is not ...}

    return payload
