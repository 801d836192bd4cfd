"""The report as a document of plain values: pages of sections of blocks (key figures,
tables, charts, notes). It is built once from the marts (`build.py`) and rendered to both
formats (`html.py`, `excel.py`), which only lay it out: neither computes anything.

Cell values are raw (numbers, dates, instants, text); each column's `Kind` says how to show
them: Vietnamese number and date formats in HTML, number formats in Excel.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from pipeline.periods import Period

# A section whose mart is not published yet says so instead of failing the report.
NO_DATA = "Chưa có dữ liệu"


class Kind(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    POINTS = "points"  # 2 decimals, already rounded half-up as the portal shows them
    RATIO = "ratio"  # [0, 1], shown as a percentage
    DECIMAL = "decimal"  # 1 decimal: working days, hours
    DATE = "date"
    INSTANT = "instant"  # timestamptz, shown in Vietnam time


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = Kind.TEXT
    width: int | None = None  # characters; None: from the kind


@dataclass
class Table:
    columns: list[Column]
    rows: list[tuple]
    caption: str | None = None
    # Row indices shown in the warning colour (lowest units, lost points, deltas).
    highlighted: set[int] = field(default_factory=set)
    # The printed (HTML) report shows at most this many rows; the workbook keeps every row.
    print_limit: int | None = None
    # The workbook keeps this table's header in view while scrolling (the sheet's main table).
    frozen_header: bool = False
    # The data of the charts that follow, first column the categories: the HTML shows it
    # compactly, one column per category.
    chart_data: bool = False
    # A line under the table in both formats when `rows` are only the first rows of a longer
    # list (a bounded drill-down): how many are left out and where the full list is.
    more: str | None = None


@dataclass
class Chart:
    """A line chart of some columns of a table of the same section, one point per row."""

    title: str
    table: Table
    category: int  # column index of the x labels
    series: list[int]  # column indices of the lines
    y_max: float | None = None
    y_kind: Kind = Kind.POINTS


@dataclass
class Figure:
    label: str
    value: object
    kind: Kind = Kind.TEXT


@dataclass
class Figures:
    items: list[Figure]


@dataclass
class Note:
    text: str
    missing: bool = False  # a mart is absent: shown as "chưa có dữ liệu"


Block = Table | Chart | Figures | Note


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)

    def laid_out(self) -> list[Block | list[Chart]]:
        """The blocks in order, consecutive charts gathered into one list (shown side by side)."""
        items: list[Block | list[Chart]] = []
        for block in self.blocks:
            if isinstance(block, Chart):
                if items and isinstance(items[-1], list):
                    items[-1].append(block)
                else:
                    items.append([block])
            else:
                items.append(block)
        return items


@dataclass
class Page:
    title: str
    sheet: str  # Excel sheet name (≤ 31 characters, unique)
    anchor: str  # HTML id
    sections: list[Section] = field(default_factory=list)
    subtitle: str | None = None
    # The page a reader must see first (today's work): set apart at the top of the HTML.
    lead: bool = False


@dataclass
class Report:
    title: str
    area_code: str
    area_name: str
    period: Period
    period_as_of: dt.datetime  # T = min(next period start, AS_OF) of the period
    data_as_of: dt.datetime  # AS_OF of the published warehouse (worklists are as of then)
    generated_at: dt.datetime
    pages: list[Page]

    def page(self, anchor: str) -> Page:
        return next(page for page in self.pages if page.anchor == anchor)


@dataclass(frozen=True)
class Field:
    """A column of a table built from mart rows: its heading and how a row gives its value."""

    column: Column
    value: Callable[[dict], object]


def from_row(header: str, kind: Kind, width: int, get: str | Callable[[dict], object]) -> Field:
    return Field(Column(header, kind, width), (lambda r: r[get]) if isinstance(get, str) else get)


def table_of(rows: list[dict], fields: list[Field], **options) -> Table:
    return Table(
        [f.column for f in fields], [tuple(f.value(r) for f in fields) for r in rows], **options
    )
