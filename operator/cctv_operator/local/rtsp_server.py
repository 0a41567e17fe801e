"""A small RTSP server that loops a video file (or a test pattern) for the demo and the tests.

Runs under the *system* Python (``/usr/bin/python3``), which has GStreamer's introspection bindings
(Debian: python3-gi, gir1.2-gst-rtsp-server-1.0); the virtualenv has none. It imports nothing from
this project, so it can be started as a plain script:

    /usr/bin/python3 rtsp_server.py --port 8554 --path /demo --file vtest.avi

Prints ``READY rtsp://127.0.0.1:<port><path>`` on stdout once it serves.
"""

from __future__ import annotations

import argparse
import signal
import sys


def _pipeline(source: str | None, fps: int, width: int, height: int) -> str:
    if source:
        # Loop the file forever: a demo camera never "ends". decodebin handles any container/codec.
        head = (
            f'multifilesrc location="{source}" loop=true ! decodebin ! videoconvert ! videoscale '
            f"! video/x-raw,width={width},height={height} ! videorate"
        )
    else:
        head = f"videotestsrc is-live=true pattern=ball ! video/x-raw,width={width},height={height}"
    return (
        f"( {head} ! video/x-raw,framerate={fps}/1 "
        f"! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={fps} "
        "! rtph264pay name=pay0 pt=96 config-interval=1 )"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8554)
    parser.add_argument("--path", default="/stream")
    parser.add_argument("--file", help="video file to loop; a test pattern when omitted")
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--width", type=int, default=768)
    parser.add_argument("--height", type=int, default=576)
    args = parser.parse_args(argv)

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
    factory.set_launch(_pipeline(args.file, args.fps, args.width, args.height))
    factory.set_shared(True)  # every client sees the same live stream, as with a real camera
    server.get_mount_points().add_factory(args.path, factory)
    if server.attach(None) == 0:
        print(f"ERROR cannot listen on {args.host}:{args.port}", file=sys.stderr, flush=True)
        return 2

    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    print(f"READY rtsp://{args.host}:{args.port}{args.path}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
