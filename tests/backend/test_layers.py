"""The backend's layers hold (backend/.importlinter): settings, then surveillance, then the dashboard;
inside surveillance, cameras on events on accounts, and the shared modules on no domain; and it never
imports the worker or the operator (its image has only the shared package)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[2] / "backend"


def test_the_backend_import_contracts_are_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(BACKEND), "DJANGO_SETTINGS_MODULE": "cctv_backend.settings"}
    result = subprocess.run([str(lint_imports), "--config", ".importlinter", "--no-cache", "--no-logo"],
                            cwd=BACKEND, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 kept, 0 broken" in result.stdout
