"""Server-rendered SVG charts: inline markup, no script, no third-party host.

A chart is an `<svg>` with a viewBox and `width: 100%` (it scales to its container, laptop or phone),
a `<title>` and `<desc>` for screen readers and a `<title>` tooltip per point; the pages put a table
with the same numbers next to it. Only geometry is computed here: the numbers come from the engine.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from oteapp.number_format import format_money, format_money_compact
from oteapp.templatetags.ote import pct

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 84, 70, 18, 56
# In viewBox units, so text scales with the chart; app.css enlarges it on phones (CSS beats the
# presentation attribute) and hides the "minor" month labels (every other one) there to make room.
FONT = 15
INK, MUTED, GRID = "#1d2433", "#5d6678", "#dde2ea"
# Distinct in hue and lightness, with a dash pattern each, so lines differ without colour too.
PALETTE = ("#2457d6", "#c2410c", "#0f766e", "#7c3aed", "#be185d", "#4d7c0f")
DASHES = ("", "9 5", "3 4", "12 4 3 4", "6 3", "2 6")
BAR_FILL = "#b9c9f2"

Value = Decimal | None


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[Value]  # one per month of the chart; None leaves a gap


def _nice_scale(largest: float, floor: float) -> tuple[float, float]:
    """(top, step): an axis from 0 to at least max(largest, floor) in four or five round steps."""
    target = max(largest, floor, 1e-9)
    raw = target / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return step * math.ceil(target / step - 1e-9), step


def _step_for(target: float, ticks: int) -> float:
    """The smallest round step that reaches `target` in `ticks` steps."""
    raw = target / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if m * magnitude >= raw - 1e-12)


def _axis_percent(value: float) -> str:
    return f"{value * 100:.0f}%"


class _Frame:
    """The plot area: months along x (one slot each), values up y."""

    def __init__(self, months: Sequence[date], top: float) -> None:
        self.months = months
        self.top = top
        self.plot_width = WIDTH - LEFT - RIGHT
        self.plot_height = HEIGHT - TOP - BOTTOM
        self.slot = self.plot_width / max(len(months), 1)

    def x(self, index: int) -> float:
        return LEFT + self.slot * (index + 0.5)

    def y(self, value: float, top: float | None = None) -> float:
        scale_top = top or self.top
        return TOP + self.plot_height * (1 - min(max(value, 0.0), scale_top) / scale_top)

    def month_labels(self) -> list[SafeString]:
        every = max(1, math.ceil(len(self.months) / 12))  # at most 12 labels, whatever the span
        last = len(self.months) - 1
        parts = []
        year_shown = None
        for index, month in enumerate(self.months):
            if (last - index) % every:  # counted from the newest month, which is always labelled
                continue
            minor = ((last - index) // every) % 2 == 1
            x = self.x(index)
            parts.append(
                format_html(
                    '<text class="{}" x="{}" y="{}" text-anchor="middle" font-size="{}" fill="{}">{}</text>',
                    "tick minor" if minor else "tick",
                    f"{x:.1f}",
                    HEIGHT - BOTTOM + 22,
                    FONT,
                    MUTED,
                    month.strftime("%b"),
                )
            )
            if not minor and month.year != year_shown:  # under a label that phones show too
                year_shown = month.year
                parts.append(
                    format_html(
                        '<text class="year" x="{}" y="{}" text-anchor="middle" font-size="{}" fill="{}">{}</text>',
                        f"{x:.1f}",
                        HEIGHT - BOTTOM + 46,
                        FONT - 2,
                        MUTED,
                        month.strftime("%Y"),
                    )
                )
        return parts

    def y_axis(self, step: float, label: Callable[[float], str], *, side: str, top: float | None = None) -> list:
        scale_top = top or self.top
        parts = []
        ticks = round(scale_top / step)
        for tick in range(ticks + 1):
            value = step * tick
            y = self.y(value, scale_top)
            if side == "left":
                parts.append(
                    format_html(
                        '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"/>',
                        LEFT,
                        WIDTH - RIGHT,
                        f"{y:.1f}",
                        f"{y:.1f}",
                        GRID,
                    )
                )
            x, anchor = (LEFT - 8, "end") if side == "left" else (WIDTH - RIGHT + 8, "start")
            parts.append(
                format_html(
                    '<text class="axis" x="{}" y="{}" text-anchor="{}" font-size="{}" fill="{}">{}</text>',
                    x,
                    f"{y + 5:.1f}",
                    anchor,
                    FONT - 1,
                    MUTED,
                    label(value),
                )
            )
        return parts

    def reference(self, value: float, text: str) -> list[SafeString]:
        """A dashed line at `value` (the 100% of OTE), labelled on the right."""
        y = self.y(value)
        return [
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1.5" stroke-dasharray="5 4"/>',
                LEFT,
                WIDTH - RIGHT,
                f"{y:.1f}",
                f"{y:.1f}",
                INK,
            ),
            format_html(
                '<text class="axis" x="{}" y="{}" font-size="{}" fill="{}">{}</text>',
                WIDTH - RIGHT + 6,
                f"{y + 5:.1f}",
                FONT - 2,
                INK,
                text,
            ),
        ]


def _line(frame: _Frame, values: Sequence[Value], colour: str, dash: str, label: str, top: float | None = None) -> list:
    """A polyline broken at gaps, with a dot and a tooltip on every known point."""
    parts: list[SafeString] = []
    segments: list[list[tuple[float, float]]] = [[]]
    dots = []
    for index, value in enumerate(values):
        if value is None:
            if segments[-1]:
                segments.append([])
            continue
        point = (frame.x(index), frame.y(float(value), top))
        segments[-1].append(point)
        dots.append((point, f"{label}, {frame.months[index]:%b %Y}: {pct(value)}"))
    for segment in segments:
        if len(segment) > 1:
            parts.append(
                format_html(
                    '<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5" stroke-dasharray="{}" '
                    'stroke-linejoin="round"/>',
                    " ".join(f"{x:.1f},{y:.1f}" for x, y in segment),
                    colour,
                    dash or "none",
                )
            )
    for (x, y), title in dots:
        parts.append(
            format_html(
                '<circle cx="{}" cy="{}" r="4" fill="{}" stroke="#fff" stroke-width="1.5"><title>{}</title></circle>',
                f"{x:.1f}",
                f"{y:.1f}",
                colour,
                title,
            )
        )
    return parts


def _svg(chart_id: str, title: str, desc: str, parts: list[SafeString]) -> SafeString:
    return format_html(
        '<svg class="chart-svg" viewBox="0 0 {} {}" width="100%" role="img" aria-labelledby="{}-title {}-desc" '
        'preserveAspectRatio="xMidYMid meet"><title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        WIDTH,
        HEIGHT,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        desc,
        format_html_join("", "{}", ((part,) for part in parts)),
    )


def _legend(items: list[tuple[str, str, str, str]]) -> SafeString:
    """(label, colour, dash, kind) with kind "line" or "bar"; HTML so it wraps on a phone."""
    rows = []
    for label, colour, dash, kind in items:
        if kind == "bar":
            swatch = format_html('<rect x="2" y="1" width="20" height="10" fill="{}"/>', colour)
        else:
            swatch = format_html(
                '<line x1="0" x2="24" y1="6" y2="6" stroke="{}" stroke-width="3" stroke-dasharray="{}"/>',
                colour,
                dash or "none",
            )
        rows.append(format_html('<li><svg width="24" height="12" aria-hidden="true">{}</svg> {}</li>', swatch, label))
    return format_html('<ul class="chart-legend">{}</ul>', format_html_join("", "{}", ((row,) for row in rows)))


def _empty(chart_id: str, title: str) -> SafeString:
    parts = [
        format_html(
            '<text x="{}" y="{}" text-anchor="middle" font-size="{}" fill="{}">No data for these months yet</text>',
            WIDTH // 2,
            HEIGHT // 2,
            FONT + 1,
            MUTED,
        )
    ]
    return format_html('<div class="chart">{}</div>', _svg(chart_id, title, "No data.", parts))


def attainment_chart(*, chart_id: str, title: str, months: Sequence[date], series: Sequence[Series]) -> SafeString:
    """One line per series of attainment ratios (1.0 = 100%), with the 100% line for reference."""
    known = [float(value) for line in series for value in line.values if value is not None]
    if not months or not known:
        return _empty(chart_id, title)
    top, step = _nice_scale(max(known), 1.2)
    frame = _Frame(months, top)
    parts = [*frame.y_axis(step, _axis_percent, side="left"), *frame.month_labels(), *frame.reference(1.0, "OTE")]
    legend = []
    for index, line in enumerate(series):
        colour, dash = PALETTE[index % len(PALETTE)], DASHES[index % len(DASHES)]
        parts += _line(frame, line.values, colour, dash, line.label)
        legend.append((line.label, colour, dash, "line"))
    desc = (
        f"OTE attainment per month from {months[0]:%B %Y} to {months[-1]:%B %Y} for "
        + ", ".join(line.label for line in series)
        + ". The dashed line marks 100% of OTE; the table below lists every value."
    )
    return format_html('<div class="chart">{}{}</div>', _svg(chart_id, title, desc, parts), _legend(legend))


def revenue_attainment_chart(
    *,
    chart_id: str,
    title: str,
    months: Sequence[date],
    revenue: Sequence[Value],
    attainment: Sequence[Value],
    currency: str,
) -> SafeString:
    """Revenue as bars (left axis, in `currency`) and team OTE attainment as a line (right axis)."""
    known_revenue = [float(value) for value in revenue if value is not None]
    known_attainment = [float(value) for value in attainment if value is not None]
    if not months or not (known_revenue or known_attainment):
        return _empty(chart_id, title)
    money_top, money_step = _nice_scale(max(known_revenue, default=0.0), 1.0)
    # The right axis reuses the left axis's gridlines, so it gets the same number of steps.
    ticks = round(money_top / money_step)
    pct_step = _step_for(max(max(known_attainment, default=0.0), 1.2), ticks)
    pct_top = pct_step * ticks
    frame = _Frame(months, money_top)
    axis_money = partial(format_money_compact, currency=currency)  # axes start at zero: €0, €850, €45K, €1.2M
    parts = [*frame.y_axis(money_step, axis_money, side="left"), *frame.month_labels()]
    parts += frame.y_axis(pct_step, _axis_percent, side="right", top=pct_top)
    bar_width = frame.slot * 0.6
    for index, value in enumerate(revenue):
        if value is None:
            continue
        y = frame.y(float(value))
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" rx="2"><title>Revenue, {}: {}</title></rect>',
                f"{frame.x(index) - bar_width / 2:.1f}",
                f"{y:.1f}",
                f"{bar_width:.1f}",
                f"{HEIGHT - BOTTOM - y:.1f}",
                BAR_FILL,
                f"{months[index]:%b %Y}",
                format_money(value, currency=currency),
            )
        )
    reference_y = frame.y(1.0, pct_top)
    parts.append(
        format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1.2" stroke-dasharray="5 4"/>',
            LEFT,
            WIDTH - RIGHT,
            f"{reference_y:.1f}",
            f"{reference_y:.1f}",
            MUTED,
        )
    )
    parts += _line(frame, attainment, PALETTE[1], "", "Team OTE attainment", top=pct_top)
    desc = (
        f"Monthly revenue (bars, left axis) and team OTE attainment (line, right axis; dashed at 100%) "
        f"from {months[0]:%B %Y} to {months[-1]:%B %Y}. The table below lists every value."
    )
    legend = _legend([("Revenue", BAR_FILL, "", "bar"), ("Team OTE attainment", PALETTE[1], "", "line")])
    return format_html('<div class="chart">{}{}</div>', _svg(chart_id, title, desc, parts), legend)
