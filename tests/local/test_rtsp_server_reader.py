"""The demo camera's RTSP server (``cctv_local.rtsp_server``, also the test suite's) feeds a looped file
from a reader pipeline: when it hands the stream a frame, and when it ends the stream.

These tests drive ``FileFeeder._next_sample`` with a stand-in for the GStreamer objects it calls (this
virtualenv has no GStreamer bindings; the script runs under the system Python). The real server is
exercised end to end by every test that starts an RTSP server (tests/support/rtsp_server.py), where a
slow first frame on a loaded machine once ended the shared stream while it was being prepared: every
client after that got a 5XX answer (the camera wall's four workers never saw their stream).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from cctv_local.rtsp_server import FileFeeder

SECOND = 1_000_000_000
SAMPLE = object()


class Appsink:
    """``try-pull-sample`` answers from a script: a sample, or None (nothing within the wait)."""

    def __init__(self, answers: list[object | None], eos_after: int | None = None) -> None:
        self.answers, self.eos_after, self.pulls, self.waited = list(answers), eos_after, 0, 0

    def emit(self, signal: str, timeout: int) -> object | None:
        assert signal == "try-pull-sample"
        self.pulls += 1
        self.waited += timeout
        return self.answers.pop(0) if self.answers else None

    def get_property(self, name: str) -> bool:
        assert name == "eos"
        return self.eos_after is not None and self.pulls >= self.eos_after


class Reader:
    def __init__(self, error_after: int | None = None, sink: Appsink | None = None) -> None:
        self.error_after, self.sink, self.seeks = error_after, sink, 0

    def seek_simple(self, *_args) -> None:
        self.seeks += 1
        assert self.sink is not None
        self.sink.eos_after = None  # back at the start: frames again
        self.sink.answers = [SAMPLE]

    def get_bus(self):
        sink, after = self.sink, self.error_after
        failed = after is not None and sink is not None and sink.pulls >= after
        return SimpleNamespace(pop_filtered=lambda _kind: "error" if failed else None)


GST = SimpleNamespace(
    SECOND=SECOND,
    Format=SimpleNamespace(TIME=3),
    SeekFlags=SimpleNamespace(FLUSH=1, KEY_UNIT=4),
    MessageType=SimpleNamespace(ERROR=2),
)


def feeder(frames: Appsink, reader: Reader, *, loop: bool) -> FileFeeder:
    made = FileFeeder.__new__(FileFeeder)  # without __init__: it would build a real reader pipeline
    reader.sink = frames
    made.Gst, made.frames, made.reader, made.loop = GST, frames, reader, loop
    return made


def test_a_slow_first_frame_is_waited_for_not_taken_for_the_end():
    frames = Appsink([None] * 7 + [SAMPLE])  # seven seconds of decoding the first frame
    assert feeder(frames, Reader(), loop=True)._next_sample() is SAMPLE
    assert frames.waited == 8 * SECOND


@pytest.mark.parametrize("loop", [True, False])
def test_the_files_end_starts_it_over_when_looping_and_ends_the_stream_otherwise(loop):
    frames = Appsink([], eos_after=1)
    reader = Reader()
    sample = feeder(frames, reader, loop=loop)._next_sample()
    assert (sample, reader.seeks) == ((SAMPLE, 1) if loop else (None, 0))


def test_a_reader_that_failed_ends_the_stream():
    frames = Appsink([])
    assert feeder(frames, Reader(error_after=3), loop=True)._next_sample() is None
    assert frames.pulls == 3
