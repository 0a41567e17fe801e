"""A test camera whose every frame carries the wall-clock time it was sent, in a machine-readable block
code: the top 32 rows are 40 blocks of 16 pixels, white for 1, black for 0, the bits of the Unix time in
milliseconds modulo 2**40, most significant first. The rest of the picture is grey.

Run with the SYSTEM python (GStreamer's ``gi``; no numpy there, so frames are built from bytes):

    /usr/bin/python3 bench/latency_source.py --port 8554 [--fps 15] [--size 640x360]

It serves H.264 (x264, zerolatency, a keyframe a second) at ``rtsp://127.0.0.1:<port>/stream``, one
pipeline for every client (as a real camera), and prints READY once it listens. A frame is stamped when
it is pushed into the pipeline: what a reader sees later, minus that, is glass-to-glass latency less the
camera's own sensor-to-encoder time.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time

BITS = 40
BLOCK = 16  # pixels a bit, horizontally
ROWS = 32  # rows of the code


def code_row(stamp_ms: int, width: int) -> bytes:
    """One luma row of the block code of ``stamp_ms``."""
    stamp = stamp_ms % (1 << BITS)
    blocks = [b"\xeb" * BLOCK if stamp >> (BITS - 1 - bit) & 1 else b"\x10" * BLOCK for bit in range(BITS)]
    row = b"".join(blocks)
    return row + b"\x80" * (width - len(row))


def frame(stamp_ms: int, width: int, height: int) -> bytes:
    """An I420 frame: the code on top, grey below, no colour."""
    luma = code_row(stamp_ms, width) * ROWS + b"\x80" * (width * (height - ROWS))
    chroma = b"\x80" * (width // 2 * (height // 2))
    return luma + chroma + chroma


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--size", default="640x360", help="WIDTHxHEIGHT (width at least 640)")
    args = parser.parse_args(argv)
    width, height = (int(value) for value in args.size.split("x"))
    if width < BITS * BLOCK or height < ROWS * 2:
        parser.error(f"the code needs a picture of at least {BITS * BLOCK}x{ROWS * 2}")

    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtspServer

    Gst.init(None)
    caps = f"video/x-raw,format=I420,width={width},height={height},framerate={args.fps}/1"
    launch = (
        f"( appsrc name=src is-live=true do-timestamp=true format=time caps={caps} ! "
        f"x264enc tune=zerolatency speed-preset=ultrafast key-int-max={args.fps} bitrate=1500 ! "
        "rtph264pay name=pay0 pt=96 config-interval=1 )"
    )
    server = GstRtspServer.RTSPServer()
    server.set_address(args.host)
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch)
    factory.set_shared(True)

    def configure(_factory, media) -> None:
        source = media.get_element().get_by_name_recurse_up("src")

        def push() -> bool:
            data = frame(int(time.time() * 1000), width, height)
            return source.emit("push-buffer", Gst.Buffer.new_wrapped(data)) == Gst.FlowReturn.OK

        timer = GLib.timeout_add(max(1, round(1000 / args.fps)), push)
        media.connect("unprepared", lambda *_: GLib.source_remove(timer))

    factory.connect("media-configure", configure)
    server.get_mount_points().add_factory("/stream", factory)
    if server.attach(None) == 0:
        print(f"ERROR cannot listen on {args.host}:{args.port}", file=sys.stderr, flush=True)
        return 2
    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    print(f"READY rtsp://{args.host}:{args.port}/stream", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
