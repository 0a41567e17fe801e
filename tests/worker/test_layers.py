"""The worker's layers and boundaries hold (import-linter contracts in camera-worker/pyproject.toml):
stages stack in one direction, decision logic is pure, one module talks to the backend, and the lean
inference path never pulls in torch."""

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_import_contracts_are_kept() -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is not installed (requirements/dev.txt)"
    done = subprocess.run(
        [lint_imports, "--no-cache", "--config", str(REPO / "camera-worker" / "pyproject.toml")],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "7 kept, 0 broken" in done.stdout
