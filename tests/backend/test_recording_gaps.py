"""Gaps in a camera's recordings and their causes (recordings.gaps, pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from recordings.gaps import NOT_RECORDED, STREAM_DOWN, UNKNOWN, Gap, find_gaps

T = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def s(seconds: float) -> datetime:
    return T + timedelta(seconds=seconds)


def test_touching_segments_and_sub_second_seams_leave_no_gap() -> None:
    segments = [(s(0), s(10)), (s(10), s(20)), (s(20.6), s(30))]
    assert find_gaps(window=(s(0), s(30)), segments=segments, outages=[], continuous=True, now=s(100)) == []


def test_a_hole_is_split_by_the_reported_outage() -> None:
    segments = [(s(0), s(10)), (s(40), s(50))]
    outages = [(s(15), s(35))]
    gaps = find_gaps(window=(s(0), s(50)), segments=segments, outages=outages, continuous=True, now=s(100))
    assert gaps == [Gap(s(10), s(15), UNKNOWN), Gap(s(15), s(35), STREAM_DOWN), Gap(s(35), s(40), UNKNOWN)]


def test_the_window_ends_now_and_an_open_outage_lasts_until_now() -> None:
    gaps = find_gaps(
        window=(s(0), s(500)), segments=[(s(0), s(10))], outages=[(s(20), None)], continuous=False, now=s(60)
    )
    assert gaps == [Gap(s(10), s(20), NOT_RECORDED), Gap(s(20), s(60), STREAM_DOWN)]


def test_segments_starting_before_the_window_count() -> None:
    gaps = find_gaps(
        window=(s(5), s(20)),
        segments=[(s(0), s(10)), (s(10), s(20))],
        outages=[],
        continuous=True,
        now=s(100),
    )
    assert gaps == []
