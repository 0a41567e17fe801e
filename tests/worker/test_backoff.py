"""Reconnect and retry delays grow, are capped, carry jitter, and start over after a success."""

from cctv_worker.backoff import Backoff


def test_delays_double_up_to_the_cap() -> None:
    backoff = Backoff(5, 60, jitter=0.0)
    assert [backoff.next_delay() for _ in range(6)] == [5, 10, 20, 40, 60, 60]


def test_jitter_only_shortens_the_delay_by_at_most_its_fraction() -> None:
    low = Backoff(10, 100, jitter=0.2, rand=lambda: 1.0)
    high = Backoff(10, 100, jitter=0.2, rand=lambda: 0.0)
    assert low.next_delay() == 8.0
    assert high.next_delay() == 10.0


def test_reset_starts_from_the_first_delay_again() -> None:
    backoff = Backoff(1, 60, jitter=0.0)
    backoff.next_delay()
    backoff.next_delay()
    backoff.reset()
    assert backoff.next_delay() == 1


def test_a_zero_first_delay_retries_at_once_then_backs_off_anyway() -> None:
    backoff = Backoff(0, 8, jitter=0.0)
    assert [backoff.next_delay() for _ in range(5)] == [0, 1, 2, 4, 8]
