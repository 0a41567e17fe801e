"""First-run steps of ``cctv-local``: database, demo user, operator token, cameras, and the sync loop."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

log = logging.getLogger("cctv.local")


class SetupError(RuntimeError):
    """A first-run step failed; the message says which and why."""


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    token: str


def describe_database(database_url: str) -> str:
    parts = urlsplit(database_url)
    if parts.scheme.startswith("sqlite"):
        return f"SQLite at {parts.path}"
    return f"{parts.scheme} on {parts.hostname}:{parts.port or ''}{parts.path}"


async def run_checked(argv: Sequence[str], *, env: Mapping[str, str], what: str) -> str:
    process = await asyncio.create_subprocess_exec(
        *argv, env=dict(env), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await process.communicate()
    if process.returncode != 0:
        detail = (stderr or stdout).decode(errors="replace").strip().splitlines()
        raise SetupError(f"{what} failed: {detail[-1] if detail else f'exit code {process.returncode}'}")
    return stdout.decode()


async def create_demo_user(manage: Sequence[str], *, env: Mapping[str, str], password: str) -> DemoUser:
    # "--password=<value>": a generated password may start with "-", which argparse would take for an option.
    output = await run_checked(
        [*manage, "create_demo", "--json", f"--password={password}"], env=env, what="creating the demo user"
    )
    data = json.loads(output.strip().splitlines()[-1])
    return DemoUser(username=data["username"], password=password, token=data["token"])


async def create_operator_token(manage: Sequence[str], *, env: Mapping[str, str]) -> str:
    output = await run_checked(
        [*manage, "create_operator_token"], env=env, what="creating the operator's token"
    )
    return output.strip().splitlines()[-1]


def _api(method: str, url: str, token: str, **kwargs) -> requests.Response:
    answer = requests.request(method, url, headers={"Authorization": f"Token {token}"}, timeout=15, **kwargs)
    if answer.status_code >= 400:
        raise SetupError(f"{method} {url} answered {answer.status_code}: {answer.text[:300]}")
    return answer


def _ensure_cameras_sync(
    url: str, token: str, wanted: list[tuple[str, str]], confidence: float
) -> list[dict]:
    existing = {}
    next_page: str | None = f"{url}/api/cameras/"
    while next_page:
        page = _api("GET", next_page, token).json()
        for camera in page["results"] if isinstance(page, dict) else page:
            existing[camera["name"]] = camera
        next_page = page.get("next") if isinstance(page, dict) else None
    cameras = []
    for name, rtsp_url in wanted:
        camera = existing.get(name)
        if camera is None:
            camera = _api(
                "POST",
                f"{url}/api/cameras/",
                token,
                json={"name": name, "rtsp_url": rtsp_url, "confidence_threshold": confidence},
            ).json()
        if not camera.get("is_active"):
            _api("POST", f"{url}/api/cameras/{camera['id']}/activate/", token)
        cameras.append({**camera, "is_active": True})
    return cameras


async def ensure_cameras(
    url: str,
    token: str,
    *,
    demo_url: str | None,
    demo_count: int,
    camera_urls: Sequence[str],
    confidence: float,
) -> list[dict]:
    """Creates (once) and activates the demo cameras and the cameras given on the command line."""
    wanted: list[tuple[str, str]] = []
    if demo_url:
        wanted += [(f"Demo camera {index + 1}", demo_url) for index in range(demo_count)]
    wanted += [(f"Camera {index + 1}", camera_url) for index, camera_url in enumerate(camera_urls)]
    return await asyncio.to_thread(_ensure_cameras_sync, url, token, wanted, confidence)
