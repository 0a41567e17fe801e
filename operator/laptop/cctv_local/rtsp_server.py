"""A small RTSP server: a video file (looped or not), a still image, or a test pattern, as H.264.

A looped file plays on without a seam, as a camera would: the file is decoded by a reader pipeline of
its own that starts over at its end, and its frames are re-stamped onto one continuous timeline
before the encoder (``appsrc``). Readers see no end of stream, no timestamp jump and no new stream at
the loop point. (Looping the file's bytes with ``multifilesrc loop=true``, as before, ended every
reader's stream at the loop point: about every 80 s with the demo footage.)

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


def raw_caps(*, fps: int, width: int, height: int) -> str:
    return f"video/x-raw,format=I420,width={width},height={height},framerate={fps}/1"


def is_video_file(source: str) -> bool:
    return source != "testsrc" and not source.lower().endswith(IMAGE_SUFFIXES)


def reader_pipeline(source: str, *, fps: int, width: int, height: int) -> str:
    """Decodes a video file to raw frames of the stream's size and rate, for the stream's appsrc."""
    return (
        f'filesrc location="{source}" ! decodebin ! videoconvert ! videoscale ! videorate ! '
        f"{raw_caps(fps=fps, width=width, height=height)} ! appsink name=frames sync=false max-buffers=4"
    )


def pipeline(source: str, *, fps: int, width: int, height: int, loop: bool = False) -> str:
    """The GStreamer launch line of one stream (a video file comes in through ``appsrc`` ``src``)."""
    raw = raw_caps(fps=fps, width=width, height=height)
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
    return f"( appsrc name=src is-live=false format=time caps={raw} ! {encode} )"


class FileFeeder:
    """Feeds one stream's ``appsrc`` from a video file, starting the file over at its end when looping.

    Frames get timestamps ``n / fps`` from one counter, so the stream runs on across the loop point.
    Unlooped, each client sees the file once from its start and then the end of the stream.
    """

    def __init__(self, Gst, source: str, *, fps: int, width: int, height: int, loop: bool) -> None:
        self.Gst = Gst
        self.loop = loop
        self.duration = Gst.SECOND // fps
        self.count = 0
        self.reader = Gst.parse_launch(reader_pipeline(source, fps=fps, width=width, height=height))
        self.frames = self.reader.get_by_name("frames")
        self.reader.set_state(Gst.State.PLAYING)

    def attach(self, appsrc) -> None:
        appsrc.connect("need-data", self._need_data)

    def _next_sample(self):
        """The file's next frame; None only at its end (unlooped) or when the reader failed. A reader that
        is merely slow (a loaded machine decoding the first frames) is waited for: ending the stream then,
        as a fixed 5 s wait did, failed the shared media while it was being prepared, and every client
        after that got a 5XX answer until the server was restarted."""
        while True:
            sample = self.frames.emit("try-pull-sample", self.Gst.SECOND)
            if sample is not None:
                return sample
            if self.frames.get_property("eos"):
                if not self.loop:
                    return None
                # Back to the start: the reader is its own pipeline, so the flush never reaches a client.
                self.reader.seek_simple(
                    self.Gst.Format.TIME, self.Gst.SeekFlags.FLUSH | self.Gst.SeekFlags.KEY_UNIT, 0
                )
            elif self.reader.get_bus().pop_filtered(self.Gst.MessageType.ERROR) is not None:
                return None

    def _need_data(self, appsrc, _length) -> None:
        sample = self._next_sample()
        if sample is None:
            appsrc.emit("end-of-stream")
            return
        buffer = sample.get_buffer().copy()
        buffer.pts = buffer.dts = self.count * self.duration
        buffer.duration = self.duration
        self.count += 1
        appsrc.emit("push-buffer", buffer)

    def close(self, *_args) -> None:
        self.reader.set_state(self.Gst.State.NULL)


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
    if is_video_file(args.source):

        def configure(_factory, media) -> None:
            feeder = FileFeeder(Gst, args.source, fps=args.fps, width=width, height=height, loop=args.loop)
            feeder.attach(media.get_element().get_by_name_recurse_up("src"))
            media.connect("unprepared", feeder.close)

        factory.connect("media-configure", configure)
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
