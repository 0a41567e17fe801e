"""The pre-roll ring: keeps whole groups of pictures covering the window, starts clips at keyframes."""

from __future__ import annotations

from fractions import Fraction

from cctv_worker.capture.packets import PreRoll, TimedPacket


def packet(wall: float, keyframe: bool, size: int = 10) -> TimedPacket:
    return TimedPacket(object(), wall, round(wall * 10), round(wall * 10), Fraction(1, 10), keyframe, size)


def feed(ring: PreRoll, seconds: float, *, gop: int = 10, fps: int = 10) -> list[TimedPacket]:
    items = [packet(i / fps, i % gop == 0) for i in range(round(seconds * fps))]
    for item in items:
        ring.add(item)
    return items


def test_the_window_is_covered_from_the_last_keyframe_before_it() -> None:
    ring = PreRoll(3.0)
    feed(ring, 10.0)  # keyframes every second, up to t=9.9
    assert ring.oldest_wall == 6.0  # 9.9 - 3 = 6.9: the group starting at 6.0 covers it
    got = ring.since(7.5)
    assert got[0].keyframe and got[0].wall == 7.0
    assert got[-1].wall == 9.9


def test_packets_before_the_first_keyframe_are_not_kept() -> None:
    ring = PreRoll(3.0)
    ring.add(packet(0.0, False))
    assert ring.oldest_wall is None
    ring.add(packet(0.1, True))
    assert ring.since(0.0)[0].wall == 0.1


def test_a_time_before_everything_kept_starts_at_the_oldest_keyframe() -> None:
    ring = PreRoll(2.0)
    feed(ring, 5.0)
    assert ring.since(-100)[0].wall == ring.oldest_wall


def test_memory_is_bounded_even_when_keyframes_are_rare() -> None:
    ring = PreRoll(60.0, max_bytes=500)
    feed(ring, 20.0)  # 200 packets of 10 bytes
    kept = ring.since(0.0)
    assert sum(p.size for p in kept) <= 500 + 10 * 10  # at most one group over the cap
