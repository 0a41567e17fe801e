"""A small RTSP server: a video file (looped or not), a still image, or a test pattern, as H.264.

The demo camera of ``cctv-local`` and the RTSP server of the test suite. It runs under the *system*
Python (``/usr/bin/python3``), which has GStreamer's introspection bindings (Debian: python3-gi,
gir1.2-gst-rtsp-server-1.0); the virtualenv has none. It imports nothing from this project, so it is
started as a plain script:

    /usr/bin/python3 rtsp_server.py --port 8554 --path /demo --source vtest.avi --loop --shared

Prints ``READY rtsp://<host>:<port><path>`` on stdout once it listens.
"""

from __future__ import annotations

import argparse
import signal
import sys

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def pipeline(source: str, *, fps: int, width: int, height: int, loop: bool) -> str:
    """The GStreamer launch line of one stream."""
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
    # A looped file never "ends", like a camera; unlooped, each client sees it once from its start.
    reader = f'multifilesrc location="{source}" loop=true' if loop else f'filesrc location="{source}"'
    return f"( {reader} ! decodebin ! {encode} )"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/stream")
    parser.add_argument("--source", default="testsrc", help="video file, .jpg/.png image, or 'testsrc'")
    parser.add_argument("--loop", action="store_true", help="start a video file over at its end")
    parser.add_argument(
        "--shared",
        action="store_true",
        help="one pipeline for every client, as a real camera (default: each client gets its own)",
    )
    parser.add_argument("--fps", type=int, default=10)
    parser.add_argument("--size", default="640x360", help="WIDTHxHEIGHT")
    args = parser.parse_args(argv)
    width, height = (int(value) for value in args.size.split("x"))

    try:
        import gi

        gi.require_version("Gst", "1.0")
        gi.require_version("GstRtspServer", "1.0")
        from gi.repository import GLib, Gst, GstRtspServer
    except (ImportError, ValueError) as error:
        print(f"ERROR GStreamer RTSP server bindings are missing: {error}", file=sys.stderr, flush=True)
        return 3

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(args.host)
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(pipeline(args.source, fps=args.fps, width=width, height=height, loop=args.loop))
    factory.set_shared(args.shared)
    server.get_mount_points().add_factory(args.path, factory)
    if server.attach(None) == 0:
        print(f"ERROR cannot listen on {args.host}:{args.port}", file=sys.stderr, flush=True)
        return 2

    loop = GLib.MainLoop()
    # A Python-level signal handler would not run while GLib's loop blocks in C.
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    print(f"READY rtsp://{args.host}:{args.port}{args.path}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
