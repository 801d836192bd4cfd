"""Renders a report as an Excel workbook: one sheet per report page, Excel tables (filters,
banding) under Vietnamese headings, the main table's header frozen, native line charts over
the tables' cells.

Numbers stay numbers with Excel number formats, so a Vietnamese-locale Excel or LibreOffice
shows them with a decimal comma and the reader can still sum and filter them. Instants are
written in Vietnam time (Excel has no time zones).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from pipeline.reports import vnformat
from pipeline.reports.model import Chart, Figures, Kind, Note, Page, Report, Table

NUMBER_FORMATS = {
    Kind.INTEGER: "#,##0",
    Kind.POINTS: "0.00",
    Kind.RATIO: "0.0%",
    Kind.DECIMAL: "0.0",
    Kind.DATE: "dd/mm/yyyy",
    Kind.INSTANT: "dd/mm/yyyy hh:mm",
}
DEFAULT_WIDTHS = {
    Kind.TEXT: 20,
    Kind.INTEGER: 10,
    Kind.POINTS: 9,
    Kind.RATIO: 9,
    Kind.DECIMAL: 9,
    Kind.DATE: 11,
    Kind.INSTANT: 16,
}
WARN_FILL = "#FDE2E1"
HEAD_FILL = "#1F5FA8"
CHART_WIDTH, CHART_HEIGHT, CHART_ROWS = 520, 270, 15
TABLE_STYLE = "Table Style Light 9"


class _Formats:
    def __init__(self, workbook: xlsxwriter.Workbook):
        self._workbook = workbook
        self._cells: dict[tuple[Kind, bool], object] = {}
        add = workbook.add_format
        self.title = add({"bold": True, "font_size": 15, "font_color": HEAD_FILL})
        self.meta = add({"italic": True, "font_color": "#5B6775"})
        self.section = add({"bold": True, "font_size": 12, "bottom": 1, "font_color": HEAD_FILL})
        self.caption = add({"italic": True, "font_color": "#5B6775"})
        self.note = add({})
        self.missing = add({"bg_color": "#FFF4CE", "bold": True})
        self.header = add(
            {
                "bold": True,
                "font_color": "#FFFFFF",
                "bg_color": HEAD_FILL,
                "text_wrap": True,
                "valign": "bottom",
                "border": 1,
            }
        )
        self.figure_label = add({"font_color": "#5B6775", "text_wrap": True, "valign": "top"})

    def cell(self, kind: Kind, warn: bool = False, big: bool = False):
        key = (kind, warn, big)
        if key not in self._cells:
            props: dict = {"valign": "top"}
            if kind in NUMBER_FORMATS:
                props["num_format"] = NUMBER_FORMATS[kind]
            if warn:
                props["bg_color"] = WARN_FILL
            if big:
                props.update({"bold": True, "font_size": 14, "align": "left"})
            self._cells[key] = self._workbook.add_format(props)
        return self._cells[key]


def _excel_value(value):
    if isinstance(value, dt.datetime):
        return vnformat.local(value).replace(tzinfo=None)
    return value


def _write(sheet: Worksheet, row: int, col: int, value, fmt) -> None:
    value = _excel_value(value)
    if value is None:
        sheet.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value, fmt)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value, fmt)
    elif isinstance(value, dt.date):
        sheet.write_datetime(row, col, value, fmt)
    else:
        sheet.write_string(row, col, str(value), fmt)


class _SheetWriter:
    """Lays one report page out top to bottom on one worksheet."""

    def __init__(self, workbook: xlsxwriter.Workbook, formats: _Formats, page: Page):
        self.workbook, self.formats, self.page = workbook, formats, page
        self.sheet = workbook.add_worksheet(page.sheet)
        self.row = 0
        self.widths: dict[int, int] = {}
        self.tables: dict[int, tuple[int, int]] = {}  # id(table) → (header row, last row)
        self.freeze_at: int | None = None

    def write(self, report: Report) -> None:
        sheet, formats = self.sheet, self.formats
        sheet.write_string(0, 0, self.page.title, formats.title)
        meta = (
            f"{report.title} · {report.area_name} · Số liệu tính đến "
            f"{vnformat.instant(report.period_as_of)}"
        )
        sheet.write_string(1, 0, meta, formats.meta)
        self.row = 2
        if self.page.subtitle:
            sheet.write_string(2, 0, self.page.subtitle, formats.meta)
            self.row = 3
        self.row += 1
        for section in self.page.sections:
            sheet.write_string(self.row, 0, section.title, formats.section)
            self.row += 1
            for item in section.laid_out():
                if isinstance(item, list):
                    self._charts(item)
                elif isinstance(item, Table):
                    self._table(item)
                elif isinstance(item, Figures):
                    self._figures(item)
                elif isinstance(item, Note):
                    fmt = formats.missing if item.missing else formats.note
                    sheet.write_string(self.row, 0, item.text, fmt)
                    self.row += 2
            self.row += 1
        for col, width in self.widths.items():
            sheet.set_column(col, col, width)
        sheet.freeze_panes(self.freeze_at if self.freeze_at is not None else 2, 0)
        sheet.set_landscape()
        sheet.set_paper(9)  # A4
        sheet.fit_to_pages(1, 0)
        sheet.hide_gridlines(2)

    def _widen(self, col: int, width: int) -> None:
        self.widths[col] = max(self.widths.get(col, 0), width)

    def _figures(self, figures: Figures) -> None:
        for col, figure in enumerate(figures.items):
            self.sheet.write_string(self.row, col, figure.label, self.formats.figure_label)
            _write(
                self.sheet,
                self.row + 1,
                col,
                figure.value,
                self.formats.cell(figure.kind, big=True),
            )
            self._widen(col, 14)
        self.sheet.set_row(self.row, 30)
        self.row += 3

    def _table(self, table: Table) -> None:
        sheet, formats = self.sheet, self.formats
        if table.caption:
            sheet.write_string(self.row, 0, table.caption, formats.caption)
            self.row += 1
        if not table.rows:
            sheet.write_string(self.row, 0, "Không có dòng nào.", formats.note)
            self.row += 2
            return
        header = self.row
        last = header + len(table.rows)
        sheet.add_table(
            header,
            0,
            last,
            len(table.columns) - 1,
            {
                "style": TABLE_STYLE,
                "columns": [
                    {"header": c.header, "header_format": formats.header} for c in table.columns
                ],
            },
        )
        sheet.set_row(header, 45)
        for i, row in enumerate(table.rows):
            warn = i in table.highlighted
            for col, column in enumerate(table.columns):
                _write(sheet, header + 1 + i, col, row[col], formats.cell(column.kind, warn))
        for col, column in enumerate(table.columns):
            self._widen(col, column.width or DEFAULT_WIDTHS[column.kind])
        self.tables[id(table)] = (header, last)
        if table.frozen_header and self.freeze_at is None:
            self.freeze_at = header + 1
        self.row = last + 1
        if table.more:
            sheet.write_string(self.row, 0, table.more, formats.caption)
            self.row += 1
        self.row += 1

    def _charts(self, charts: list[Chart]) -> None:
        top = self.row
        for n, chart in enumerate(charts):
            header, last = self.tables[id(chart.table)]
            excel_chart = self.workbook.add_chart({"type": "line"})
            name = self.page.sheet
            for col in chart.series:
                excel_chart.add_series(
                    {
                        "name": [name, header, col],
                        "categories": [name, header + 1, chart.category, last, chart.category],
                        "values": [name, header + 1, col, last, col],
                        "marker": {"type": "circle", "size": 5},
                        "line": {"width": 2.25},
                    }
                )
            excel_chart.set_title({"name": chart.title, "name_font": {"size": 11}})
            axis = {
                "min": 0,
                "num_format": NUMBER_FORMATS[chart.y_kind],
                "major_gridlines": {"visible": True},
            }
            if chart.y_max is not None:
                axis["max"] = chart.y_max
            excel_chart.set_y_axis(axis)
            excel_chart.set_legend(
                {"position": "bottom"} if len(chart.series) > 1 else {"none": True}
            )
            excel_chart.show_blanks_as("gap")
            excel_chart.set_size({"width": CHART_WIDTH, "height": CHART_HEIGHT})
            self.sheet.insert_chart(
                top + (n // 2) * CHART_ROWS,
                0,
                excel_chart,
                {"x_offset": 4 + (n % 2) * (CHART_WIDTH + 16), "y_offset": 4},
            )
        self.row = top + ((len(charts) + 1) // 2) * CHART_ROWS + 1


def render_excel(report: Report, path: Path) -> None:
    workbook = xlsxwriter.Workbook(
        str(path),
        {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    workbook.set_properties(
        {
            "title": report.title,
            "subject": f"{report.area_name} — {report.period.label_vi}",
            "company": report.area_name,
            "comments": "Kho dữ liệu chỉ số phục vụ người dân, doanh nghiệp (QĐ 766/QĐ-TTg)",
        }
    )
    formats = _Formats(workbook)
    for page in report.pages:
        _SheetWriter(workbook, formats, page).write(report)
    workbook.close()
