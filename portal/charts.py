"""Small charts drawn on the server as SVG: no JavaScript, no third-party code, and always shown
with a text alternative (a title and description on the SVG, and the figures as a table).

The functions compute geometry only; `templates/charts/*.svg.html` draw it. Series are told apart
by fill pattern as well as colour, so a chart reads in greyscale and for colour-blind readers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

SERIES_STYLES = ("series-a", "series-b", "series-c", "series-d")


@dataclass
class Rect:
    x: float
    y: float
    width: float
    height: float
    style: str
    label: str


@dataclass
class Tick:
    position: float
    label: str


@dataclass
class BarChart:
    width: int
    height: int
    bars: list[Rect] = field(default_factory=list)
    x_labels: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    totals: list[Rect] = field(default_factory=list)  # label positions above each stack
    legend: list[tuple[str, str]] = field(default_factory=list)  # (style, label)
    legend_height: int = 0
    plot_left: float = 0
    plot_bottom: float = 0
    plot_right: float = 0


def nice_max(value: float, steps: int = 4, *, whole: bool = False) -> float:
    """The smallest round number at least `value` that divides into `steps` round ticks; with
    `whole`, ticks are whole numbers (counts of things)."""
    if value <= 0:
        return steps
    raw = value / steps
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if whole:
        step = max(1, math.ceil(step))
    return step * steps


def stacked_bars(
    categories: list[str],
    series: list[tuple[str, list[float]]],
    *,
    width: int = 640,
    height: int = 260,
) -> BarChart:
    """Vertical bars, one per category, stacked by series ((label, values per category))."""
    left, right, top, bottom = 40, 10, 20, 30
    plot_width, plot_height = width - left - right, height - top - bottom
    totals = [sum(values[i] for _, values in series) for i in range(len(categories))]
    whole = all(float(v).is_integer() for _, values in series for v in values)
    top_value = nice_max(max(totals, default=0), whole=whole)
    slot = plot_width / max(len(categories), 1)
    bar_width = slot * 0.6
    chart = BarChart(
        width=width,
        height=height,
        plot_left=left,
        plot_bottom=top + plot_height,
        plot_right=width - right,
    )
    for index, category in enumerate(categories):
        x = left + slot * index + (slot - bar_width) / 2
        y = top + plot_height
        for series_index, (label, values) in enumerate(series):
            value = values[index]
            if value <= 0:
                continue
            bar_height = plot_height * value / top_value
            y -= bar_height
            chart.bars.append(
                Rect(
                    x,
                    y,
                    bar_width,
                    bar_height,
                    SERIES_STYLES[series_index % 4],
                    f"{label}: {value:g}",
                )
            )
        chart.x_labels.append(Tick(x + bar_width / 2, category))
        if totals[index]:
            chart.totals.append(Rect(x + bar_width / 2, y - 4, 0, 0, "", f"{totals[index]:g}"))
    steps = 4
    for step in range(steps + 1):
        value = top_value * step / steps
        chart.y_ticks.append(Tick(top + plot_height - plot_height * step / steps, f"{value:g}"))
    chart.legend = [(SERIES_STYLES[i % 4], label) for i, (label, _) in enumerate(series)]
    chart.legend_height = 10 + 20 * len(chart.legend)
    return chart


def horizontal_bars(
    rows: list[tuple[str, float]], *, width: int = 640, row_height: int = 36, label_width: int = 170
) -> BarChart:
    """One horizontal bar per (label, value), e.g. the member's rate against their peers'."""
    top = 10
    height = top * 2 + row_height * len(rows)
    plot_width = width - label_width - 60
    top_value = max((value for _, value in rows), default=0) or 1
    chart = BarChart(width=width, height=height, plot_left=label_width)
    for index, (label, value) in enumerate(rows):
        y = top + row_height * index + row_height * 0.2
        bar_width = plot_width * value / top_value
        chart.bars.append(
            Rect(
                label_width, y, bar_width, row_height * 0.6, SERIES_STYLES[index % 4], f"{value:g}"
            )
        )
        chart.x_labels.append(Tick(y + row_height * 0.3, label))
    return chart
