"""Renders a report as one self-contained HTML file: inline CSS and SVG charts, no script and
no external resource, so it opens offline and prints to A4 (one page per section of the
report, table headers repeated on every printed page)."""

from __future__ import annotations

from importlib import resources

import jinja2

from pipeline.reports import svg, vnformat
from pipeline.reports.model import Figures, Kind, Note, Report, Table

NUMERIC = {Kind.INTEGER, Kind.POINTS, Kind.RATIO, Kind.DECIMAL}


def display(value, kind: Kind) -> str:
    """A cell as the Vietnamese reader expects it (decimal comma, dd/mm/yyyy)."""
    if value is None:
        return ""
    if kind is Kind.INTEGER:
        return vnformat.number(value, 0)
    if kind is Kind.POINTS:
        return vnformat.number(value, 2)
    if kind is Kind.RATIO:
        return vnformat.percent(value, 1)
    if kind is Kind.DECIMAL:
        return vnformat.number(value, 1)
    if kind is Kind.DATE:
        return vnformat.date(value)
    if kind is Kind.INSTANT:
        return vnformat.instant(value)
    return str(value)


def _kind(item) -> str:
    if isinstance(item, list):
        return "charts"
    return {Table: "table", Figures: "figures", Note: "note"}[type(item)]


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(
            lambda name: (
                resources.files("pipeline.reports")
                .joinpath("templates", name)
                .read_text(encoding="utf-8")
            )
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        display=display,
        kind=_kind,
        line_chart=svg.line_chart,
        instant=vnformat.instant,
        numeric=lambda kind: kind in NUMERIC,
    )
    return env


def render_html(report: Report) -> str:
    return _environment().get_template("report.html.j2").render(report=report)
