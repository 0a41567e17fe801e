"""A real RTSP server for tests: Debian's GStreamer RTSP server, in its own process.

The server is the product's own (``operator/laptop/cctv_local/rtsp_server.py``, the demo camera of
``scripts/run``), run with the SYSTEM ``/usr/bin/python3`` (the venv has no ``gi``). It serves one
source (a video file, a still image, or ``testsrc``) as H.264 at ``rtsp://127.0.0.1:<port>/stream``.
``start_rtsp_server`` starts it and hands back an ``RtspServer`` that the test can kill, restart,
pause (SIGSTOP) and resume. Each client gets its own pipeline, so a reconnecting worker sees the
source from its start.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from support.net import free_port

SYSTEM_PYTHON = "/usr/bin/python3"
REPO = Path(__file__).resolve().parents[2]
SERVER_SCRIPT = REPO / "operator" / "laptop" / "cctv_local" / "rtsp_server.py"


def gstreamer_available() -> bool:
    probe = "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"
    try:
        return subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@dataclass
class RtspServer:
    source: str
    port: int
    fps: int
    size: tuple[int, int]
    host: str = "127.0.0.1"
    loop: bool = False  # a video file starts over at its end (the demo camera)
    shared: bool = False  # one pipeline for every client, as a real camera (the demo camera)
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"rtsp://{self.host}:{self.port}/stream"

    def start(self, timeout: float = 30.0) -> None:
        cmd = [
            SYSTEM_PYTHON, str(SERVER_SCRIPT), "--host", self.host, "--port", str(self.port),
            "--path", "/stream", "--source", self.source, "--fps", str(self.fps),
            "--size", f"{self.size[0]}x{self.size[1]}",
        ]  # fmt: skip
        cmd += ["--loop"] if self.loop else []
        cmd += ["--shared"] if self.shared else []
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # the script prints READY, or dies with a message
        if b"READY" not in line:
            err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
            self.stop()
            raise RuntimeError(f"RTSP server did not start: {line!r} {err}")
        # The port is bound before READY; confirm it accepts connections.
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection((self.host, self.port), timeout=1):
                return
            time.sleep(0.05)
        raise RuntimeError("RTSP server never accepted connections")

    def kill(self) -> None:
        """Ends the server abruptly, as a camera losing power would."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def pause(self) -> None:
        """SIGSTOP: the TCP connection stays open but nothing more arrives (a stalled camera)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGCONT)  # a paused process cannot act on SIGTERM
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@contextlib.contextmanager
def start_rtsp_server(
    source: str | Path = "testsrc",
    *,
    fps: int = 10,
    size: tuple[int, int] = (640, 360),
    port: int | None = None,
    host: str = "127.0.0.1",
    loop: bool = False,
    shared: bool = False,
) -> Iterator[RtspServer]:
    server = RtspServer(str(source), port or free_port(), fps, size, host, loop=loop, shared=shared)
    server.start()
    try:
        yield server
    finally:
        server.stop()
