"""Only the frames that will be analysed are decoded: every FRAME_SKIP-th, or DETECT_FPS per second."""

from cctv_worker.capture.sampler import FrameSampler


def test_frame_skip_decodes_the_first_frame_and_every_nth_after_it() -> None:
    sampler = FrameSampler(frame_skip=30)
    decoded = [i for i in range(100) if sampler.should_decode(i, now=0.0)]
    assert decoded == [0, 30, 60, 90]


def test_detect_fps_decodes_at_the_target_rate_whatever_the_stream_rate() -> None:
    sampler = FrameSampler(frame_skip=30, detect_fps=2)
    stream_fps = 25
    decoded = [i for i in range(100) if sampler.should_decode(i, now=i / stream_fps)]
    # 4 seconds of video at 2 analysed frames per second
    assert len(decoded) == 8
    assert decoded[:3] == [0, 13, 25]


def test_reset_decodes_the_next_frame_after_a_reconnect() -> None:
    sampler = FrameSampler(frame_skip=1, detect_fps=0.1)
    assert sampler.should_decode(0, now=100.0)
    assert not sampler.should_decode(1, now=101.0)
    sampler.reset()
    assert sampler.should_decode(0, now=102.0)


def test_while_idle_the_first_keyframe_of_each_sampling_period_is_due() -> None:
    # FRAME_SKIP=30 on a stream with a keyframe every 15 frames: every other keyframe, as often as
    # the ungated worker analyses a frame; one every 25: the first one at least 30 frames on.
    sampler = FrameSampler(frame_skip=30)
    assert [i for i in range(0, 150, 15) if sampler.keyframe_due(i, now=0.0)] == [0, 30, 60, 90, 120]
    sampler = FrameSampler(frame_skip=30)
    assert [i for i in range(0, 250, 25) if sampler.keyframe_due(i, now=0.0)] == [0, 50, 100, 150, 200]
    sampler = FrameSampler(frame_skip=30, detect_fps=0.5)  # DETECT_FPS: by time, one per 2 s
    assert [t for t in range(10) if sampler.keyframe_due(t * 15, now=float(t))] == [0, 2, 4, 6, 8]
    sampler.reset()
    assert sampler.keyframe_due(0, now=9.0)  # a new connection: the first keyframe is due at once
