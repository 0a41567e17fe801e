"""The shared package (camera-worker/common) imports none of the project's packages, so every component
may import it without pulling in another (import-linter contract in its pyproject.toml)."""

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_shared_package_imports_none_of_ours() -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is not installed (requirements/dev.txt)"
    done = subprocess.run(
        [lint_imports, "--no-cache", "--config", str(REPO / "camera-worker" / "common" / "pyproject.toml")],
        cwd=REPO / "camera-worker" / "common", capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout
