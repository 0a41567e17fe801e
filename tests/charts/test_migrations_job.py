"""The migrations hook Job's script, taken from the rendered chart and run for real against the backend
(SQLite in a temp folder): it migrates, and registers the operator's token from the chart's Secret so that
the operator can read the active cameras. Run twice, as on install and then on every upgrade."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import helm
from support.helm import REPO_ROOT, Renderer

BACKEND_DIR = REPO_ROOT / "backend"
TOKEN = "3f786850e387550fdab836ed7e6dc881de23001b"
OTHER_TOKEN = "89e6c98d92887913cadf06b2adb97f26cde4849b"


def job_script(objects: list[dict]) -> tuple[list[str], str]:
    job = helm.one(objects, "Job", "-migrate")
    container = job["spec"]["template"]["spec"]["containers"][0]
    return container["command"], container["args"][0]


def run_script(command: list[str], script: str, database: Path, token: str) -> subprocess.CompletedProcess:
    env = {
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",  # the script calls `python`
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "test-secret-key-for-the-migrations-job-test-0123456789",
        "DEBUG": "0",
        "OPERATOR_API_TOKEN": token,
        "MEDIA_ROOT": str(database.parent / "media"),
    }
    return subprocess.run(
        [*command, script], cwd=BACKEND_DIR, env=env, capture_output=True, text=True, timeout=240, check=False
    )


def operator_can_read_active_cameras(database: Path, token: str) -> str:
    probe = (
        "from rest_framework.authtoken.models import Token\n"
        f"user = Token.objects.get(key={token!r}).user\n"
        "print(user.username, user.has_perm('surveillance.view_active_cameras'))\n"
    )
    env = {"PATH": os.environ["PATH"], "DATABASE_URL": f"sqlite:///{database}", "DEBUG": "1"}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", probe],
        cwd=BACKEND_DIR, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


@pytest.mark.slow
def test_the_job_migrates_and_registers_the_operator_token_idempotently(
    renderer: Renderer, tmp_path: Path
) -> None:
    command, script = job_script(renderer.variant("default"))
    database = tmp_path / "cctv.sqlite3"

    first = run_script(command, script, database, TOKEN)
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
    assert operator_can_read_active_cameras(database, TOKEN) == "cctv-operator True"

    # pre-upgrade: the same token again changes nothing; a new one (operator.apiToken changed) replaces it.
    again = run_script(command, script, database, TOKEN)
    assert again.returncode == 0, again.stderr[-2000:]
    assert operator_can_read_active_cameras(database, TOKEN) == "cctv-operator True"
    rotated = run_script(command, script, database, OTHER_TOKEN)
    assert rotated.returncode == 0, rotated.stderr[-2000:]
    assert operator_can_read_active_cameras(database, OTHER_TOKEN) == "cctv-operator True"


def test_with_the_users_own_operator_secret_the_job_only_migrates(renderer: Renderer) -> None:
    _, script = job_script(renderer.variant("monitoring"))
    assert "migrate --noinput" in script
    assert "OPERATOR_API_TOKEN" not in script


def test_the_job_runs_after_install_and_before_upgrades(renderer: Renderer) -> None:
    job = helm.one(renderer.variant("default"), "Job", "-migrate")
    annotations = job["metadata"]["annotations"]
    # post-install: an in-chart PostgreSQL exists by then; pre-upgrade: new code meets a migrated schema.
    assert annotations["helm.sh/hook"] == "post-install,pre-upgrade"
    assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"]
