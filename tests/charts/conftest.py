"""Fixtures for the chart and image tests: helm's scratch home and the chart rendered once per variant."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.helm import Renderer


@pytest.fixture(scope="session")
def helm_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("helm-home")


@pytest.fixture(scope="session")
def renderer(helm_home: Path) -> Renderer:
    return Renderer(helm_home)
