"""Line charts as inline SVG, drawn from a report table: no script, no network, prints as
vectors. Axis labels use the Vietnamese number format."""

from __future__ import annotations

import math
from html import escape

from pipeline.reports.model import Chart, Kind
from pipeline.reports.vnformat import number, percent

WIDTH, HEIGHT = 560, 230
LEFT, RIGHT, TOP, BOTTOM = 46, 30, 30, 44
PALETTE = ("#0b7a75", "#d9480f", "#5c3c92", "#2b8a3e", "#e67700", "#c2255c")
TICKS = 5  # about this many grid steps, at round values (1, 2, 2.5 or 5 × 10ⁿ)


def _tick_label(value: float, kind: Kind) -> str:
    if kind is Kind.RATIO:
        return percent(value, 0)
    return number(value, 0 if float(value).is_integer() else 1)


def _ticks(top: float) -> list[float]:
    raw = top / TICKS
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [i * step for i in range(int(top / step + 1e-9) + 1)]


def line_chart(chart: Chart) -> str:
    table = chart.table
    categories = [str(row[chart.category]) for row in table.rows]
    series = [
        (table.columns[i].header, [row[i] for row in table.rows], PALETTE[n % len(PALETTE)])
        for n, i in enumerate(chart.series)
    ]
    values = [v for _, vals, _ in series for v in vals if v is not None]
    top = chart.y_max or (max(values) * 1.1 if values else 1.0) or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(categories) - 1, 1)

    def x(i: int) -> float:
        return LEFT + i * step

    def y(v: float) -> float:
        return TOP + plot_h * (1 - min(max(v / top, 0.0), 1.0))

    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(chart.title)}">',
        f"<title>{escape(chart.title)}</title>",
        f'<text x="{LEFT}" y="18" class="chart-title">{escape(chart.title)}</text>',
    ]
    for v in _ticks(top):
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            'class="grid"/>'
            f'<text x="{LEFT - 6}" y="{y(v) + 3:.1f}" class="tick" text-anchor="end">'
            f"{escape(_tick_label(v, chart.y_kind))}</text>"
        )
    for i, category in enumerate(categories):
        parts.append(
            f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 16}" class="tick" '
            f'text-anchor="middle">{escape(category)}</text>'
        )
    for _name, vals, colour in series:
        for segment in _segments(vals):
            points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in segment)
            parts.append(
                f'<polyline class="series" points="{points}" fill="none" stroke="{colour}" '
                'stroke-width="2.5"/>'
            )
        for i, v in enumerate(vals):
            if v is not None:
                parts.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}">'
                    f"<title>{escape(categories[i])}: {escape(_value(v, chart.y_kind))}</title>"
                    "</circle>"
                )
        last = next(((i, v) for i, v in reversed(list(enumerate(vals))) if v is not None), None)
        if last:
            parts.append(
                f'<text x="{x(last[0]):.1f}" y="{y(last[1]) - 7:.1f}" class="value" '
                f'text-anchor="end" fill="{colour}">{escape(_value(last[1], chart.y_kind))}</text>'
            )
    if len(series) > 1:
        for n, (name, _, colour) in enumerate(series):
            lx = LEFT + n * 200
            parts.append(
                f'<rect x="{lx}" y="{HEIGHT - 16}" width="12" height="4" fill="{colour}"/>'
                f'<text x="{lx + 16}" y="{HEIGHT - 11}" class="tick">{escape(name)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _value(v: float, kind: Kind) -> str:
    return percent(v, 1) if kind is Kind.RATIO else number(v, 2)


def _segments(values: list[float | None]) -> list[list[tuple[int, float]]]:
    """Runs of consecutive known values: a month without data breaks the line."""
    runs: list[list[tuple[int, float]]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((i, v))
    return [run for run in runs if run]
