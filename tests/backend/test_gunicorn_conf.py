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
