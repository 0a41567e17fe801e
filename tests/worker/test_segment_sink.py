"""The segment sink on a real H.264 stream's packets (an MP4 demuxed in-process, no decoding): continuous
segments touch and start at keyframes; motion mode records from a keyframe before the pre-roll to past
the post-roll, and nothing of a quiet stretch."""

from __future__ import annotations

import itertools
from pathlib import Path

import av

from cctv_worker.capture.packets import TimedPacket
from cctv_worker.capture.segments import CONTINUOUS, MOTION, FinishedSegment, MotionWindow, SegmentSink
from support.clips import make_mp4

T0 = 1_800_000_000.0
FPS = 10


def _feed(sink: SegmentSink, clip: Path, *, on_packet=None) -> None:
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        sink.on_connect(stream)
        for packet in container.demux(stream):
            if packet.dts is None or packet.size == 0:
                continue
            seconds = float(packet.dts * stream.time_base)
            item = TimedPacket(
                packet,
                T0 + seconds,
                packet.dts,
                packet.pts,
                stream.time_base,
                packet.is_keyframe,
                packet.size,
            )
            if on_packet is not None:
                on_packet(seconds)
            sink.on_packet(item)
        sink.on_disconnect()


def _frames(path: Path) -> tuple[int, bool]:
    with av.open(str(path)) as clip:
        frames = list(clip.decode(clip.streams.video[0]))
    return len(frames), bool(frames) and frames[0].key_frame


def test_continuous_segments_touch_and_each_starts_at_a_keyframe(tmp_path: Path) -> None:
    clip = make_mp4(tmp_path / "in.mp4", seconds=25, fps=FPS)  # a keyframe every second
    finished: list[FinishedSegment] = []
    sink = SegmentSink(tmp_path / "out", kind=CONTINUOUS, seconds=10, on_finished=finished.append)
    (tmp_path / "out").mkdir()
    _feed(sink, clip)
    assert [round(f.name.end - f.name.start) for f in finished] == [10, 10, 5]
    assert all(a.name.end_us == b.name.start_us for a, b in itertools.pairwise(finished))
    for segment in finished:
        frames, keyframe_first = _frames(segment.file.path)
        assert keyframe_first and abs(frames - (segment.name.end - segment.name.start) * FPS) <= 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(f.name.file_name for f in finished)


def test_motion_mode_records_from_the_pre_roll_to_past_the_post_roll_only(tmp_path: Path) -> None:
    clip = make_mp4(tmp_path / "in.mp4", seconds=30, fps=FPS)
    window = MotionWindow(post_roll=3)
    finished: list[FinishedSegment] = []
    (tmp_path / "out").mkdir()
    sink = SegmentSink(
        tmp_path / "out", kind=MOTION, seconds=10, on_finished=finished.append, window=window, pre_roll=2
    )

    def motion(seconds: float) -> None:
        if 12.0 <= seconds <= 14.0:  # something moves from 12 s to 14 s
            window.saw_motion(T0 + seconds)

    _feed(sink, clip, on_packet=motion)
    assert len(finished) == 1
    start, end = finished[0].name.start - T0, finished[0].name.end - T0
    assert 9.0 <= start <= 10.0  # the keyframe at or before 12 - 2 s
    assert 17.0 <= end <= 18.5  # the first keyframe past 14 + 3 s
    frames, keyframe_first = _frames(finished[0].file.path)
    assert keyframe_first and frames >= (end - start) * FPS - 1


def test_a_span_inside_touching_segments_is_covered_and_one_across_a_gap_or_lost_packets_is_not(
    tmp_path: Path,
) -> None:
    clip = make_mp4(tmp_path / "in.mp4", seconds=25, fps=FPS)
    sink = SegmentSink(tmp_path / "out", kind=CONTINUOUS, seconds=10, on_finished=lambda _: None)
    (tmp_path / "out").mkdir()
    answers: dict[str, bool | None] = {}

    def ask(seconds: float) -> None:
        if seconds == 12.0:  # the second segment is being written: its end is not known yet
            answers["running"] = sink.covers(T0 + 3, T0 + 11.5)
        if seconds == 21.0:
            answers["across"] = sink.covers(T0 + 3, T0 + 15)  # through the boundary at 10 s

    _feed(sink, clip, on_packet=ask)
    assert answers == {"running": None, "across": True}
    assert sink.covers(T0 + 0, T0 + 24.5) is True  # the whole connection: three touching segments
    assert sink.covers(T0 - 5, T0 + 3) is False  # before the first segment: never recorded
    sink.mark_gap(T0 + 14)  # packets around 14 s never reached the sink (its queue was full)
    assert sink.covers(T0 + 3, T0 + 15) is False
    assert sink.covers(T0 + 20, T0 + 24) is True
    # A second connection after a gap: a span across the gap is not covered.
    later = make_mp4(tmp_path / "later.mp4", seconds=12, fps=FPS, seed=2)
    with av.open(str(later)) as container:
        stream = container.streams.video[0]
        sink.on_connect(stream)
        for packet in container.demux(stream):
            if packet.dts is None or packet.size == 0:
                continue
            at = T0 + 40 + float(packet.dts * stream.time_base)
            sink.on_packet(
                TimedPacket(
                    packet, at, packet.dts, packet.pts, stream.time_base, packet.is_keyframe, packet.size
                )
            )
        sink.on_disconnect()
    assert sink.covers(T0 + 20, T0 + 45) is False
    assert sink.covers(T0 + 41, T0 + 45) is True
