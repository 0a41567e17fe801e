"""A real OpenID provider on loopback for the single-sign-on tests (tests/support/idp_site): its own Django
project and SQLite file under the test's tmp dir, an RS256 key generated for this run, served by Django's
runserver on a free port until the context exits."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from support.backend import stop_process
from support.net import free_port

SUPPORT_DIR = Path(__file__).resolve().parent


@dataclass
class RunningProvider:
    issuer: str
    env: dict[str, str]
    private_key: rsa.RSAPrivateKey

    def manage(self, *args: str) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "django", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"provider: django {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")

    def set_user(self, username: str, password: str, groups: list[str]) -> None:
        self.manage("idp_user", username, "--password", password, "--groups", ",".join(groups))

    def add_client(self, client_id: str, client_secret: str, redirect_uri: str) -> None:
        self.manage(
            "idp_client",
            "--client-id",
            client_id,
            "--client-secret",
            client_secret,
            "--redirect-uri",
            redirect_uri,
        )


@contextlib.contextmanager
def start_provider(tmp_path: Path) -> Iterator[RunningProvider]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = tmp_path / "idp-key.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "PYTEST_CURRENT_TEST"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="idp_site.settings",
        PYTHONPATH=os.pathsep.join([str(SUPPORT_DIR), env.get("PYTHONPATH", "")]),
        IDP_DATABASE=str(tmp_path / "idp.sqlite3"),
        IDP_RSA_KEY_FILE=str(key_file),
        PYTHONUNBUFFERED="1",
    )
    port = free_port()
    provider = RunningProvider(issuer=f"http://127.0.0.1:{port}/o", env=env, private_key=key)
    provider.manage("migrate", "--noinput", "-v0")
    log_path = tmp_path / "idp.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "django", "runserver", "--noreload", f"127.0.0.1:{port}"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_discovery(provider.issuer, process, log_path)
        yield provider
    finally:
        stop_process(process)


def _wait_discovery(issuer: str, process: subprocess.Popen, log_path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the provider exited with {process.returncode}:\n{log_path.read_text()}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2).status_code == 200:
                return
        time.sleep(0.1)  # polling a condition with a deadline, not timing
    raise TimeoutError(f"the provider at {issuer} did not answer within {timeout} s:\n{log_path.read_text()}")
