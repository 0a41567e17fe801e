"""``scripts/run`` itself (issue 19): ``--help`` answers at once without installing anything, and the
shared detector's environment is built only when ``--shared-detector`` asks for it. Run on a copy of
the script in a scratch checkout whose ``scripts/bootstrap`` and ``.venv`` python record their calls."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

RECORDER = """#!/usr/bin/env bash
echo "$(basename "$0") $*" >> "$CALLS"
"""


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    (tmp_path / "scripts").mkdir()
    shutil.copy(REPO / "scripts" / "run", tmp_path / "scripts" / "run")
    shutil.copytree(
        REPO / "operator" / "laptop" / "cctv_local", tmp_path / "operator" / "laptop" / "cctv_local"
    )
    (tmp_path / "backend" / "cctv_backend" / "settings").mkdir(parents=True)
    (tmp_path / "backend" / "manage.py").touch()
    for path in (tmp_path / "scripts" / "bootstrap", tmp_path / ".venv" / "bin" / "python"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(RECORDER)
        path.chmod(0o755)
    return tmp_path


def run(checkout: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(checkout / "scripts" / "run"), *args],
        capture_output=True,
        text=True,
        timeout=20,
        env={"PATH": "/usr/bin:/bin", "CALLS": str(checkout / "calls"), **(env or {})},
        check=True,
    )


def calls(checkout: Path) -> list[str]:
    path = checkout / "calls"
    return path.read_text().splitlines() if path.exists() else []


def test_help_answers_without_installing_anything(checkout: Path) -> None:
    answer = run(checkout, "--help")
    assert answer.stdout.startswith("usage: cctv-local")
    assert "--shared-detector" in answer.stdout
    assert calls(checkout) == []


def test_the_detector_environment_is_built_only_when_the_shared_detector_is_asked_for(checkout: Path) -> None:
    run(checkout, "--demo-cameras", "1")
    run(checkout, "--shared-detector")
    run(checkout, env={"CCTV_SHARED_DETECTOR": "1"})
    assert calls(checkout) == [
        "bootstrap --system --without-detector",
        "python -m cctv_local --demo-cameras 1",
        "bootstrap --system",
        "python -m cctv_local --shared-detector",
        "bootstrap --system",
        "python -m cctv_local",
    ]
