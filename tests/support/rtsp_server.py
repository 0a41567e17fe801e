"""A real RTSP server for tests: Debian's GStreamer RTSP server, in its own process.

Two halves in one file:
- run as a script with the SYSTEM ``/usr/bin/python3`` (the venv has no ``gi``), it serves one
  source (a video file, a still image, or ``testsrc``) as H.264 at ``rtsp://127.0.0.1:<port>/stream``
  and prints ``READY`` once it listens;
- imported from tests (stdlib only), ``start_rtsp_server`` runs that script and hands back an
  ``RtspServer`` that the test can kill, restart, pause (SIGSTOP) and resume.

Each client gets its own pipeline, so a reconnecting worker sees the source from its start.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

SYSTEM_PYTHON = "/usr/bin/python3"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"rtsp://127.0.0.1:{self.port}/stream"

    def start(self, timeout: float = 30.0) -> None:
        cmd = [
            SYSTEM_PYTHON, __file__, "--port", str(self.port), "--source", self.source,
            "--fps", str(self.fps), "--size", f"{self.size[0]}x{self.size[1]}",
        ]  # fmt: skip
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
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
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
) -> Iterator[RtspServer]:
    server = RtspServer(str(source), port or free_port(), fps, size)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# ---------------------------------------------------------------- the server side (system Python)


def _launch(source: str, fps: int, width: int, height: int) -> str:
    raw = f"video/x-raw,width={width},height={height},framerate={fps}/1"
    encode = (
        f"videoconvert ! videoscale ! videorate ! {raw} ! "
        f"x264enc tune=zerolatency speed-preset=ultrafast key-int-max={fps} bitrate=1500 ! "
        "rtph264pay name=pay0 pt=96 config-interval=1"
    )
    if source == "testsrc":
        return f"( videotestsrc is-live=true pattern=ball ! {raw} ! {encode} )"
    if source.lower().endswith(IMAGE_SUFFIXES):
        decoder = "jpegdec" if source.lower().endswith((".jpg", ".jpeg")) else "pngdec"
        return f'( filesrc location="{source}" ! {decoder} ! imagefreeze is-live=true ! {encode} )'
    return f'( filesrc location="{source}" ! decodebin ! {encode} )'


def _serve(argv: list[str]) -> None:
    import argparse

    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtspServer

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--source", default="testsrc")
    parser.add_argument("--fps", type=int, default=10)
    parser.add_argument("--size", default="640x360")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(_launch(args.source, args.fps, width, height))
    factory.set_shared(False)
    server.get_mount_points().add_factory("/stream", factory)
    if server.attach(None) == 0:
        print(f"cannot listen on port {args.port}", file=sys.stderr)
        raise SystemExit(1)
    print("READY", flush=True)
    loop = GLib.MainLoop()
    # A Python-level handler would not run while GLib's loop blocks in C.
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, lambda: loop.quit() or False)
    loop.run()


if __name__ == "__main__":
    _serve(sys.argv[1:])
