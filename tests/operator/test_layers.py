"""The operator's layers hold (operator/.importlinter): one module per outside system, pure logic."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

OPERATOR = Path(__file__).resolve().parents[2] / "operator"


def test_import_contracts_are_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(OPERATOR)}
    result = subprocess.run([str(lint_imports), "--config", ".importlinter", "--no-cache", "--no-logo"],
                            cwd=OPERATOR, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 kept, 0 broken" in result.stdout
