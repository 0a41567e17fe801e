"""Shifts for the review count (issue 24): "what is left to review since the last shift".

The last shift is the one before the shift in progress; its start is where the count begins, so a guard
who takes over at 18:00 sees what the day shift (from 06:00) left unreviewed, and keeps seeing it while
new events of their own shift add up. Shift starts are times of day in ``TIME_ZONE``
(``REVIEW_SHIFT_STARTS``), the same for every user: a site's shifts are a rota, not a person's habit,
and a count that depended on each person's last sign-in would change with every page a token or a second
browser opened.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo


def parse_clock_time(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def last_shift_start(now: datetime, *, starts: list[time], zone: tzinfo) -> datetime:
    """The start of the shift before the one in progress at ``now`` (aware, in ``zone``).

    With one start a day the "shift" is a day, and this is the previous day's start.
    """
    local = now.astimezone(zone)
    # Three days back always hold two starts at or before ``now``, whatever the rota.
    begun = sorted(
        moment
        for days_back in range(3)
        for start in starts
        if (moment := datetime.combine(local.date() - timedelta(days=days_back), start, tzinfo=zone)) <= local
    )
    return begun[-2]
