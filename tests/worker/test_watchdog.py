"""The stall rule and the stream's readiness, with an injected clock."""

from cctv_worker.capture.watchdog import StreamState, StreamStatus


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_connected_stream_without_frames_for_the_stall_timeout_is_stalled() -> None:
    clock = Clock()
    status = StreamStatus(stall_timeout=5, clock=clock)
    status.set_state(StreamState.UP)
    status.frame_seen()
    clock.now += 4.9
    assert not status.check()
    clock.now += 0.2
    assert status.check()
    assert status.state is StreamState.DOWN
    assert status.reconnect_requested.is_set()


def test_frames_keep_the_stream_ready() -> None:
    clock = Clock()
    status = StreamStatus(stall_timeout=5, clock=clock)
    assert not status.is_ready()
    status.set_state(StreamState.UP)
    assert not status.is_ready()  # connected, but no frame yet
    for _ in range(10):
        clock.now += 1
        status.frame_seen()
        assert not status.check()
    assert status.is_ready()


def test_a_stream_that_never_sends_a_frame_after_connecting_stalls_too() -> None:
    clock = Clock()
    status = StreamStatus(stall_timeout=3, clock=clock)
    status.set_state(StreamState.UP)
    clock.now += 3.5
    assert status.check()


def test_fps_is_measured_from_recent_frames_and_zero_when_down() -> None:
    clock = Clock()
    status = StreamStatus(stall_timeout=5, clock=clock)
    status.set_state(StreamState.UP)
    for _ in range(21):
        status.frame_seen()
        clock.now += 0.1
    assert abs(status.fps() - 10.0) < 0.01
    status.set_state(StreamState.DOWN)
    assert status.fps() == 0.0
