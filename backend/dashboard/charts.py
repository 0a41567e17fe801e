"""Chart geometry for the statistics page: pure functions from counts to SVG shapes.

The dashboard draws its own SVG instead of shipping a chart library: two bar charts need ~100 lines,
no JavaScript, and render before the page is interactive (fast on a phone). Templates only place the
shapes computed here, so the arithmetic is tested without a browser.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

# One colour per alert type, from the Okabe-Ito palette (tells apart with common colour blindness).
TYPE_COLOURS = {
    "intrusion": "#e69f00",
    "person": "#56b4e9",
    "vehicle": "#009e73",
    "suspicious": "#f0e442",
    "violence": "#cc79a7",
    "fire": "#d55e00",
    "smoke": "#9a9a9a",
}
OTHER_COLOUR = "#bbbbbb"


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str


@dataclass
class Chart:
    width: int
    height: int
    bars: list[Bar] = field(default_factory=list)
    x_labels: list[Label] = field(default_factory=list)
    y_labels: list[Label] = field(default_factory=list)
    grid: list[float] = field(default_factory=list)
    plot_left: float = 0
    plot_right: float = 0
    empty: bool = True


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten that is >= value (an axis top that reads well)."""
    if value <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def colour_of(alert_type: str) -> str:
    return TYPE_COLOURS.get(alert_type, OTHER_COLOUR)


def daily_stacked_bars(
    days: list[date],
    counts: dict[tuple[date, str], int],
    types: list[str],
    *,
    width: int = 960,
    height: int = 260,
) -> Chart:
    """One column per day, stacked by alert type (in ``types`` order, bottom up)."""
    left, right, top, bottom = 44, 8, 10, 26
    chart = Chart(width=width, height=height, plot_left=left, plot_right=width - right)
    totals = [sum(counts.get((day, kind), 0) for kind in types) for day in days]
    axis_top = nice_ceiling(max(totals, default=0))
    plot_height = height - top - bottom
    slot = (width - left - right) / max(len(days), 1)
    bar_width = max(slot * 0.78, 1.0)
    for tick in range(5):
        value = axis_top * tick / 4
        y = top + plot_height - plot_height * tick / 4
        chart.grid.append(round(y, 2))
        chart.y_labels.append(Label(left - 6, round(y + 4, 2), _short_number(value)))
    for index, day in enumerate(days):
        x = left + index * slot + (slot - bar_width) / 2
        base: float = top + plot_height
        for kind in types:
            count = counts.get((day, kind), 0)
            if not count:
                continue
            bar_height = plot_height * count / axis_top
            base -= bar_height
            chart.bars.append(
                Bar(
                    round(x, 2),
                    round(base, 2),
                    round(bar_width, 2),
                    round(bar_height, 2),
                    colour_of(kind),
                    f"{day:%d %b}: {count} {kind}",
                )
            )
            chart.empty = False
        # A date under every 5th column (and the last): 30 labels would overlap on a phone.
        if index % 5 == 0 or index == len(days) - 1:
            chart.x_labels.append(Label(round(x + bar_width / 2, 2), height - 8, f"{day:%d %b}"))
    return chart


def camera_stacked_bars(
    rows: list[tuple[str, dict[str, int]]], types: list[str], *, width: int = 960, row_height: int = 24
) -> Chart:
    """One horizontal bar per camera (rows as given), stacked by alert type."""
    left, right, top, bottom = 150, 56, 4, 4
    height = top + bottom + row_height * max(len(rows), 1)
    chart = Chart(width=width, height=height, plot_left=left, plot_right=width - right)
    axis_top = max((sum(per_type.values()) for _, per_type in rows), default=0) or 1
    plot_width = width - left - right
    for index, (name, per_type) in enumerate(rows):
        y = top + index * row_height
        x = float(left)
        chart.y_labels.append(Label(left - 8, y + row_height * 0.68, _truncate(name, 22)))
        for kind in types:
            count = per_type.get(kind, 0)
            if not count:
                continue
            bar_width = plot_width * count / axis_top
            chart.bars.append(
                Bar(
                    round(x, 2),
                    y + 3,
                    round(bar_width, 2),
                    row_height - 6,
                    colour_of(kind),
                    f"{name}: {count} {kind}",
                )
            )
            x += bar_width
            chart.empty = False
        chart.x_labels.append(Label(round(x + 6, 2), y + row_height * 0.68, str(sum(per_type.values()))))
    return chart


def _short_number(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:g}k"
    return f"{value:g}"


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
