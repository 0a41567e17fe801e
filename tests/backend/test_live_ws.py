"""The live WebSocket's checks before Django: which paths it serves and which Origins it lets through
(the relay itself, tenancy and a real browser: tests/dashboard/test_live_browser.py)."""

from __future__ import annotations

import pytest

from surveillance.cameras.live_ws import origin_allowed, stream_path


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("/api/cameras/7/live/ws/", "/api/cameras/7/live/stream/"),
        ("/api/cameras/7/live/sub/ws/", "/api/cameras/7/live/sub/stream/"),
        ("/api/cameras/7/live/ws", None),
        ("/api/cameras/x/live/ws/", None),
        ("/api/cameras/7/live/stream/", None),
        ("/api/cameras/7/live/ws/../../../admin/", None),
        ("/api/cameras/" + "9" * 13 + "/live/ws/", None),
        ("/dashboard/", None),
    ],
)
def test_only_the_live_websocket_paths_are_served_and_each_maps_to_its_stream(path, target):
    assert stream_path(path) == target


@pytest.mark.parametrize(
    ("origin", "host", "scheme", "allowed"),
    [
        (None, "cctv.example", "ws", True),  # not a browser: no ambient cookie to abuse
        ("http://cctv.example", "cctv.example", "ws", True),
        ("https://cctv.example", "cctv.example", "wss", True),
        ("http://cctv.example:8000", "cctv.example:8000", "ws", True),
        ("https://cctv.example", "cctv.example", "ws", False),  # another scheme is another origin
        ("http://cctv.example:8001", "cctv.example:8000", "ws", False),  # another port too
        ("http://evil.example", "cctv.example", "ws", False),
        ("http://cctv.example.evil.example", "cctv.example", "ws", False),
        ("null", "cctv.example", "ws", False),  # a sandboxed frame or a file: page
        ("http://cctv.example", None, "ws", False),
    ],
)
def test_only_the_servers_own_origin_passes(origin, host, scheme, allowed):
    assert origin_allowed(origin, host, scheme) is allowed


def test_a_trusted_origin_passes(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://wall.example"]
    assert origin_allowed("https://wall.example", "cctv.example", "wss")
