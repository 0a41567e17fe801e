"""Where "left to review since the last shift" begins (surveillance.events.shifts), pure: no database."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured

from cctv_backend.env import env_clock_times
from surveillance.events.shifts import last_shift_start

BERLIN = ZoneInfo("Europe/Berlin")
DAY_AND_NIGHT = [time(6), time(18)]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 12, 6, 14, 0, tzinfo=BERLIN), datetime(2026, 12, 5, 18, 0, tzinfo=BERLIN)),
        (datetime(2026, 12, 6, 18, 0, tzinfo=BERLIN), datetime(2026, 12, 6, 6, 0, tzinfo=BERLIN)),
        (datetime(2026, 12, 6, 3, 0, tzinfo=BERLIN), datetime(2026, 12, 5, 6, 0, tzinfo=BERLIN)),
        (datetime(2026, 12, 6, 23, 59, tzinfo=BERLIN), datetime(2026, 12, 6, 6, 0, tzinfo=BERLIN)),
    ],
    ids=["day-shift", "at-the-change", "night-after-midnight", "late-night"],
)
def test_the_last_shift_is_the_one_before_the_shift_in_progress(now, expected) -> None:
    assert last_shift_start(now, starts=DAY_AND_NIGHT, zone=BERLIN) == expected


def test_one_start_a_day_makes_the_last_shift_yesterday() -> None:
    now = datetime(2026, 12, 6, 5, 0, tzinfo=ZoneInfo("UTC"))
    assert last_shift_start(now, starts=[time(0)], zone=ZoneInfo("UTC")) == datetime(
        2026, 12, 5, tzinfo=ZoneInfo("UTC")
    )


def test_the_start_is_read_in_the_sites_zone_whatever_the_clocks_zone() -> None:
    now_utc = datetime(2026, 12, 6, 17, 30, tzinfo=ZoneInfo("UTC"))  # 18:30 in Berlin: night shift
    assert last_shift_start(now_utc, starts=DAY_AND_NIGHT, zone=BERLIN) == datetime(
        2026, 12, 6, 6, tzinfo=BERLIN
    )


@pytest.mark.parametrize("raw", ["6:00", "24:00", "06:00,06:00", "", "06:60", "noon"])
def test_bad_shift_starts_stop_start_up(monkeypatch, raw) -> None:
    monkeypatch.setenv("REVIEW_SHIFT_STARTS", raw)
    with pytest.raises(ImproperlyConfigured, match="REVIEW_SHIFT_STARTS"):
        env_clock_times("REVIEW_SHIFT_STARTS", ["06:00"])


def test_shift_starts_are_read_sorted(monkeypatch) -> None:
    monkeypatch.setenv("REVIEW_SHIFT_STARTS", "22:00, 06:00,14:00")
    assert env_clock_times("REVIEW_SHIFT_STARTS", ["06:00"]) == ["06:00", "14:00", "22:00"]
