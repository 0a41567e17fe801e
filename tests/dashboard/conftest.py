"""Fixtures of the dashboard tests: two users with their own cameras and alerts, media in a temp dir."""

from __future__ import annotations

from datetime import datetime

import pytest
from browser_support import chromium
from dashboard_support import snapshot_base64

from surveillance.cameras import services as camera_services
from surveillance.events import services as event_services
from surveillance.models import Alert, Camera


def pytest_configure(config):
    # WhiteNoise looks for STATIC_ROOT (filled by collectstatic in production); tests use the app folders.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module (tests/dashboard/browser_support.py). Playwright's sync API
    keeps an event loop running in this thread while the browser lives; the ORM calls of the tests that
    run the backend in this process (``live_server``) are still plain sync code, hence the flag."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with chromium() as browser:
            yield browser


@pytest.fixture(autouse=True)
def _snapshots_in_tmp(media_root):
    return media_root


@pytest.fixture
def make_camera():
    def make(user, name: str = "Front door", url: str = "rtsp://admin:s3cret@10.0.0.5:554/stream1", **config):
        return camera_services.camera_create(user=user, name=name, rtsp_url=url, **config)

    return make


@pytest.fixture
def make_alert():
    def make(
        camera: Camera,
        alert_type: str = "person",
        *,
        confidence: float = 0.9,
        occurred_at: datetime | None = None,
        image: bool = True,
        detections: list | None = None,
    ) -> Alert:
        alert, _ = event_services.alert_ingest(
            camera=camera,
            alert_type=alert_type,
            confidence=confidence,
            description=f"{alert_type} seen",
            image_base64=snapshot_base64() if image else None,
            detections=detections
            if detections is not None
            else [{"label": alert_type, "confidence": confidence, "box": [0.4, 0.3, 0.6, 0.9]}],
            occurred_at=occurred_at,
        )
        return alert

    return make


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client
