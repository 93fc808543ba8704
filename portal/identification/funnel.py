"""The funnel plot of a peer group (Spiegelhalter 2005), as geometry for
templates/identification/_funnel.svg.html: the ratio O/E against the number expected, with the
exact Poisson limits at 95% and 99.8% narrowing as E grows, the group's flagged members, and the
member of the profile. The page gives the same figures as a table."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from portal.charts import Tick, nice_max
from portal.identification import statistics as stats

WIDTH, HEIGHT = 360, 280
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 12, 40
SAMPLES = 60


@dataclass
class Funnel:
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: float = LEFT
    plot_right: float = WIDTH - RIGHT
    plot_top: float = TOP
    plot_bottom: float = HEIGHT - BOTTOM
    curves: dict[str, str] = field(default_factory=dict)  # "95"/"99.8" → SVG path (both sides)
    one: float = 0  # y of O/E = 1
    others: list[tuple[float, float]] = field(default_factory=list)
    member: tuple[float, float] | None = None
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)


def funnel(
    member: tuple[float, float], others: list[tuple[float, float]], expected_max: float
) -> Funnel:
    """`member` and `others` are (E, O/E) points; `expected_max` the group's largest E."""
    x_max = nice_max(max(expected_max, member[0], *(e for e, _ in others), 1.0) * 1.05)
    y_max = nice_max(max(3.0, member[1] * 1.1, *(r * 1.05 for _, r in others)))
    chart = Funnel()
    span_x = chart.plot_right - chart.plot_left
    span_y = chart.plot_bottom - chart.plot_top

    def x(value: float) -> float:
        return chart.plot_left + span_x * value / x_max

    def y(value: float) -> float:
        return chart.plot_bottom - span_y * min(value, y_max) / y_max

    grid = np.linspace(x_max / SAMPLES, x_max, SAMPLES)
    for level, name in ((0.95, "95"), (0.998, "99.8")):
        lower, upper = stats.funnel_limits(grid, level)
        top = " ".join(f"{x(e):.1f},{y(u):.1f}" for e, u in zip(grid, upper, strict=True))
        bottom = " ".join(f"{x(e):.1f},{y(v):.1f}" for e, v in zip(grid, lower, strict=True))
        chart.curves[name] = f"M{top.replace(' ', ' L')} M{bottom.replace(' ', ' L')}"
    chart.one = y(1.0)
    chart.others = [(x(e), y(r)) for e, r in others]
    chart.member = (x(member[0]), y(member[1]))
    chart.x_ticks = [Tick(x(v), f"{v:g}") for v in np.linspace(0, x_max, 5)]
    chart.y_ticks = [Tick(y(v), f"{v:g}") for v in np.linspace(0, y_max, 5)]
    return chart
