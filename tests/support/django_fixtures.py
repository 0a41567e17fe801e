"""Fixtures shared by the backend and dashboard tests (a pytest plugin, see tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

PASSWORD = "correct horse battery staple"


def pytest_configure(config):
    from django.conf import settings

    # Django's default hasher (PBKDF2, a million rounds) costs ~0.5 s of CPU per password by design, and
    # most tests create two or three users and log them in: that was a third of the backend tests' time.
    # In this process only, new passwords get a fast hash; backend processes the tests start (support.backend)
    # and the product keep the real hasher, and every stored hash still verifies.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    """Snapshots of each test go to its own temporary folder, never into the repository."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def make_user(db):
    def make(username: str, password: str = PASSWORD):
        return get_user_model().objects.create_user(username=username, password=password)

    return make


@pytest.fixture
def alice(make_user):
    return make_user("alice")


@pytest.fixture
def bob(make_user):
    return make_user("bob")
