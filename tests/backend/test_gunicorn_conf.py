"""gunicorn's settings module (cctv_backend/gunicorn_conf.py): what the backend image starts with."""

from __future__ import annotations

import importlib.util
import types

import pytest


def load(monkeypatch: pytest.MonkeyPatch, **env: str) -> types.ModuleType:
    """A fresh copy of the module, read with this environment (as gunicorn reads it at start)."""
    monkeypatch.delenv("GUNICORN_CONTROL_SOCKET", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    spec = importlib.util.find_spec("cctv_backend.gunicorn_conf")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_control_socket_is_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    # Its default path, $HOME/.gunicorn, is unwritable on the image's read-only root (HOME is / there).
    conf = load(monkeypatch)
    assert conf.control_socket_disable is True
    assert not hasattr(conf, "control_socket")


def test_the_control_socket_goes_where_it_is_told(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = load(monkeypatch, GUNICORN_CONTROL_SOCKET="/tmp/gunicorn.ctl")
    assert conf.control_socket == "/tmp/gunicorn.ctl"
    assert not hasattr(conf, "control_socket_disable")


def test_the_workers_serve_the_asgi_app_on_an_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    # gthread held a thread per connection from its first byte: a few slow clients starved the server.
    conf = load(monkeypatch, GUNICORN_KEEPALIVE="7", GUNICORN_WORKER_CONNECTIONS="500")
    assert conf.worker_class == "cctv_backend.server.Worker"
    assert (conf.keepalive, conf.worker_connections) == (7, 500)
    assert not hasattr(conf, "threads")


def test_the_worker_class_sets_the_limits_against_slow_clients() -> None:
    from cctv_backend import server

    assert server.Worker.CONFIG_KWARGS["http"] is server.HeadDeadlineH11Protocol
    assert server.Worker.CONFIG_KWARGS["proxy_headers"] is False  # Django decides (NUM_PROXIES)
    assert server.Worker.CONFIG_KWARGS["h11_max_incomplete_event_size"] == server.MAX_REQUEST_HEAD_BYTES
