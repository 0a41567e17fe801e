"""Times for tests, relative to the clock the code reads.

A fixed date in a test expires: the product refuses alert times outside a window around now, keeps
"the last 24 hours" on its timelines and purges by age, so a date that was recent when the test was
written is refused a week later. Tests that send times to the product take them from here; a test
about a fixed instant injects `now` into a pure function instead. `scripts/test` runs the date-sensitive
tests once more with the clock a year ahead (libfaketime) to catch the next fixed date.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def recent(**ago: float) -> datetime:
    """`now` minus `ago` (timedelta's keywords), in UTC and whole seconds, as the API echoes times."""
    return (datetime.now(UTC) - timedelta(**ago)).replace(microsecond=0)


def iso(when: datetime) -> str:
    """The API's spelling of a UTC time: `2026-11-30T10:00:05Z`."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
