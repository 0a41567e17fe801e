"""Keyset pagination of the alert feed: a page costs the same on page 1 and page 2,000.

An offset (``LIMIT 50 OFFSET 99950``) makes the database walk every row before the page, and a total
count walks them all again; with 100k alerts that is what makes a feed slow. The cursor instead names
the last alert shown (its time and id, the feed's sort key), and the next page starts right after it,
straight from the ``(-occurred_at, -id)`` index.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db.models import Q, QuerySet

from surveillance.ids import parse_id

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class BadCursor(ValueError):
    """The ``before`` parameter is not a cursor this module wrote."""


def encode_cursor(occurred_at: datetime, alert_id: int) -> str:
    # Integer microseconds, not float seconds: a float would round and skip or repeat an alert.
    micros = (occurred_at - _EPOCH) // _MICROSECOND
    return f"{micros}_{alert_id}"


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    micros_text, sep, id_text = cursor.partition("_")
    negative = micros_text.startswith("-")
    micros, alert_id = parse_id(micros_text.removeprefix("-")), parse_id(id_text)
    if not sep or micros is None or alert_id is None:
        raise BadCursor(f"{cursor!r} is not a page cursor")
    try:
        when = _EPOCH + (-micros if negative else micros) * _MICROSECOND
    except (OverflowError, OSError, ValueError):
        raise BadCursor(f"{cursor!r} is out of range") from None
    return when, alert_id


def page_before(alerts: QuerySet, cursor: str | None, size: int) -> tuple[list, str | None]:
    """Up to ``size`` alerts after the cursor in feed order, and the cursor of the page after them."""
    alerts = alerts.order_by("-occurred_at", "-id")
    if cursor:
        when, alert_id = decode_cursor(cursor)
        alerts = alerts.filter(Q(occurred_at__lt=when) | Q(occurred_at=when, id__lt=alert_id))
    rows = list(alerts[: size + 1])
    if len(rows) <= size:
        return rows, None
    rows = rows[:size]
    return rows, encode_cursor(rows[-1].occurred_at, rows[-1].id)
