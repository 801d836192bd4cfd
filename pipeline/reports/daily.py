"""Every morning, one Excel worklist per responsible unit:
`REPORTS_DIR/daily/<yyyy-mm-dd>/viec-can-lam-<unit code>.xlsx`, the day of the warehouse's
AS_OF in Vietnam time.

Each workbook has the unit's open dossiers of `marts.dossier_watchlist` first (most urgent
first), then the open findings it must act on and still can (a count per finding type, then
every finding: those still in time first, earliest by-when first, then those already late),
every row with what to do and by when; a unit with nothing to do gets a workbook that says so,
so that a missing file always means a missing run. Workbooks are written atomically; those of
units that no longer have a worklist that day are removed, so a rerun leaves exactly one file
per unit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from pipeline.periods import Period
from pipeline.reports import worklist
from pipeline.reports.catalogue import Catalogue
from pipeline.reports.excel import render_excel
from pipeline.reports.marts import Marts
from pipeline.reports.model import Note, Page, Report, Section, Table, table_of
from pipeline.reports.output import atomic_write
from pipeline.reports.vnformat import instant
from pipeline.workcal import VN_TZ

PREFIX = "viec-can-lam-"
TITLE = "Việc cần làm hôm nay"
# Units that receive or handle dossiers; the area and the province get no worklist.
WORKLIST_LEVELS = ("TOWN", "TOWN_DEPT", "WARD", "COMMUNE", "WARD_DEPT")


@dataclass(frozen=True)
class UnitWorklist:
    unit_code: str
    path: Path
    watchlist: int  # rows of the first sheet
    findings: int  # rows of the second sheet


@dataclass(frozen=True)
class DailyWorklists:
    day: dt.date
    folder: Path
    units: list[UnitWorklist]


def daily_folder(out_dir: Path, day: dt.date) -> Path:
    return out_dir / "daily" / day.isoformat()


def worklist_file(out_dir: Path, day: dt.date, unit_code: str) -> Path:
    safe = "".join(c if c.isalnum() or c in ".-_" else "-" for c in unit_code)
    return daily_folder(out_dir, day) / f"{PREFIX}{safe}.xlsx"


def _unit_report(
    marts: Marts, catalogue: Catalogue, unit: dict, as_of: dt.datetime
) -> tuple[Report, int, int]:
    code = unit["unit_code"]
    watched = worklist.watchlist(marts, code)
    findings = worklist.actionable_findings(marts, as_of, code)
    at = instant(as_of)
    watch_page = Page(
        title=f"Hồ sơ cần theo dõi — {unit['unit_name']}",
        sheet="Hồ sơ cần theo dõi",
        anchor="ho-so-can-theo-doi",
        subtitle=f"Hồ sơ đang giải quyết cần xử lý tại thời điểm {at}: đã quá hạn, sắp đến hạn, "
        "tạm dừng quá thời gian, chưa đồng bộ, có kết quả chưa chuyển ra Bộ phận Một cửa. "
        "Thứ tự: sắp đến hạn (còn kịp giữ điểm), đã quá hạn, rồi các lý do khác; trong mỗi "
        "lý do, hạn thực hiện sớm nhất trước.",
    )
    block = (
        table_of(watched, worklist.WATCH_FIELDS, frozen_header=True)
        if watched
        else Note("Không có hồ sơ cần theo dõi.")
    )
    watch_page.sections.append(Section(f"{len(watched)} hồ sơ", [block]))
    finding_page = Page(
        title=f"Việc cần khắc phục — {unit['unit_name']}",
        sheet="Việc cần khắc phục",
        anchor="viec-can-khac-phuc",
        subtitle=f"Phát hiện còn mở tại thời điểm {at} mà đơn vị phải và còn có thể khắc phục. "
        "Việc còn trong hạn trước, hạn thực hiện sớm nhất trước; sau đó việc đã quá hạn "
        "thực hiện, quá hạn lâu nhất trước.",
    )
    if findings:
        summary = worklist.finding_summary(marts, catalogue, as_of, code)
        finding_page.sections.append(
            Section("Theo loại việc", [Table(worklist.SUMMARY_COLUMNS, summary)])
        )
        block = table_of(findings, worklist.finding_fields(catalogue), frozen_header=True)
    else:
        block = Note("Không có việc cần khắc phục.")
    finding_page.sections.append(Section(f"{len(findings)} việc", [block]))
    report = Report(
        title=f"{TITLE} {as_of:%d/%m/%Y} — {unit['unit_name']} ({code})",
        area_code=code,
        area_name=unit["unit_name"],
        period=Period.month_of(as_of.date()),
        period_as_of=as_of,
        data_as_of=as_of,
        generated_at=dt.datetime.now(VN_TZ).replace(microsecond=0),
        pages=[watch_page, finding_page],
    )
    return report, len(watched), len(findings)


def write_daily_worklists(warehouse_path: Path, out_dir: Path) -> DailyWorklists:
    """One workbook per unit that receives or handles dossiers (and per any other unit with
    something to do), for the day of the warehouse's AS_OF."""
    with Marts(warehouse_path) as marts:
        as_of = marts.value("SELECT max(as_of) FROM marts.fct_indicator").astimezone(VN_TZ)
        catalogue = Catalogue.read(marts)
        responsible = [
            r["unit_code"]
            for r in marts.rows(
                "SELECT responsible_unit_code AS unit_code FROM marts.dossier_watchlist "
                "UNION SELECT responsible_unit_code FROM marts.accountability_findings "
                "WHERE resolved_at IS NULL AND is_actionable"
            )
        ]
        units = marts.rows(
            "SELECT unit_code, unit_name FROM marts.dim_unit "
            "WHERE (list_contains($levels, unit_level) AND coalesce(valid_to >= $day, true)) "
            "OR list_contains($responsible, unit_code) ORDER BY unit_code",
            {"levels": list(WORKLIST_LEVELS), "day": as_of.date(), "responsible": responsible},
        )
        day = as_of.date()
        folder = daily_folder(out_dir, day)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for unit in units:
            report, watched, findings = _unit_report(marts, catalogue, unit, as_of)
            path = worklist_file(out_dir, day, unit["unit_code"])
            atomic_write(path, lambda tmp, report=report: render_excel(report, tmp))
            written.append(UnitWorklist(unit["unit_code"], path, watched, findings))
    keep = {w.path for w in written}
    for stale in folder.glob(f"{PREFIX}*.xlsx"):
        if stale not in keep:
            stale.unlink()
    return DailyWorklists(day, folder, written)
