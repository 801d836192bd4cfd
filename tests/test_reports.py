"""The reports leadership reads (issue 8): the workbook equals the marts, the HTML report renders
in a real headless Chromium, sections without their mart say so, and the asset and the CLI
write where they should."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import openpyxl
import pytest
from PIL import Image

from pipeline.pipeline_env import patched_environ
from pipeline.reports import Period, build_report, report_files, write_report
from pipeline.reports.__main__ import main as reports_cli
from pipeline.reports.build import DRILLDOWN_LIMIT, FINDINGS_PER_KIND, Limits
from pipeline.reports.daily import worklist_file
from pipeline.reports.model import NO_DATA, Note, Table
from pipeline.reports.svg import PALETTE
from pipeline.reports.vnformat import number, percent, round_half_up
from pipeline.reports.worklist import WATCH_REASONS
from pipeline.runtime import AS_OF_TAG
from pipeline.workcal import VN_TZ
from tests.conftest import AS_OF

MONTH = Period.parse(AS_OF[:7])  # the running month of the test world, to date
# The lead section's colour (templates/report.html.j2, --lead), used nowhere else on the page.
LEAD_COLOUR = "#9f1d14"
# Screenshot height: today's work, then the area summary with its 12-month chart.
HEIGHT = 6000
OPTIONAL_MARTS = (
    "accountability_findings",
    "sync_reconciliation",
    "official_vs_computed",
    "dossier_watchlist",
    "fct_dossier_indicator",
    "unit_points_at_stake",
)


def query(path: Path, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture(scope="module")
def month_report(pipeline_run, tmp_path_factory):
    report = build_report(pipeline_run.warehouse_path, MONTH)
    files = write_report(report, tmp_path_factory.mktemp("reports"))
    return report, files


def tables(page) -> list[Table]:
    return [b for s in page.sections for b in s.blocks if isinstance(b, Table)]


# -- formatting and periods -------------------------------------------------------------------


def test_periods_parse_to_marts_periods_with_vietnamese_labels():
    month, quarter, year = Period.parse("2026-10"), Period.parse("2026-q3"), Period.parse("2026")
    assert (month.period_type, month.start, month.end) == (
        "month",
        dt.date(2026, 10, 1),
        dt.date(2026, 10, 31),
    )
    assert (quarter.period_type, quarter.start, quarter.end) == (
        "quarter",
        dt.date(2026, 7, 1),
        dt.date(2026, 9, 30),
    )
    assert (year.key, quarter.key, month.key) == ("2026", "2026-q3", "2026-10")
    assert (month.label_vi, quarter.label_vi, year.label_vi) == (
        "Tháng 10/2026",
        "Quý III/2026",
        "Năm 2026",
    )
    assert Period.parse("2026-01").previous() == Period.parse("2025-12")
    with pytest.raises(ValueError):
        Period.parse("2026-13")


def test_numbers_use_the_decimal_comma_and_the_portal_rounding():
    assert number(1234.5, 2) == "1.234,50"
    assert number(56505) == "56.505"
    assert percent(0.9416058) == "94,2%"
    # Half-up on the decimal form, as the portal shows points (indices.md §0.3).
    assert (
        round_half_up(0.725) == 0.73
        and round_half_up(2.675) == 2.68
        and round_half_up(5.0625) == 5.06
    )


# -- the workbook equals the marts ------------------------------------------------------------


def test_workbook_sheets_headers_and_values_equal_the_marts(pipeline_run, month_report):
    report, files = month_report
    path = pipeline_run.warehouse_path
    book = openpyxl.load_workbook(files.xlsx)
    wards = [
        code
        for (code,) in query(
            path,
            "select distinct unit_code from marts.fct_indicator where rollup = 'SELF' "
            "and indicator_code = 'PROGRESS_ON_TIME' and period_type = 'month' "
            "and period_start = ? and denominator > 0",
            [MONTH.start],
        )
    ]
    assert book.sheetnames[:6] == [
        "Việc cần làm hôm nay",
        "Tổng hợp",
        "Xu hướng",
        "Chính thức - tính toán",
        "Đồng bộ DVCQG",
        "Việc cần xử lý",
    ]
    for code in wards:  # one sheet per unit with dossiers, named by its code
        assert any(name.startswith(code) for name in book.sheetnames), code

    # The scorecard: Vietnamese headers, frozen under them, every row equal to the mart.
    sheet = book["Tổng hợp"]
    header_row = next(r for r in sheet.iter_rows() if r[0].value == "Mã đơn vị")
    headers = [c.value for c in header_row if c.value]
    assert headers[:5] == ["Mã đơn vị", "Tên đơn vị", "Cấp", "Phạm vi", "Công khai, minh bạch (18)"]
    assert "Tổng điểm (100)" in headers and "Xếp loại" in headers
    assert sheet.freeze_panes == f"A{header_row[0].row + 1}"
    # A unit without activity has no band and no rank: "Không phát sinh hồ sơ", not "Yếu".
    mart = {
        (code, rollup): (total, band or "Không phát sinh hồ sơ", rank)
        for code, rollup, total, band, rank in query(
            path,
            "select unit_code, rollup, total, band_name_vi, rank_in_parent "
            "from marts.unit_scorecard where period_type = 'month' and period_start = ?",
            [MONTH.start],
        )
    }
    rollups = {"Đơn vị": "SELF", "Gồm đơn vị trực thuộc": "SUBTREE", "Toàn địa bàn": "AREA"}
    total_col, band_col, rank_col = (
        headers.index(h) for h in ("Tổng điểm (100)", "Xếp loại", "Hạng")
    )
    # Beside each unit's score: the due-soon dossiers and the PROGRESS points they cost if late.
    assert headers[total_col + 1 : total_col + 3] == [
        "Hồ sơ sắp đến hạn",
        "Điểm tiến độ sẽ mất nếu quá hạn",
    ]
    at_stake = {
        code: (due_soon, lost)
        for code, due_soon, lost in query(
            path,
            "select unit_code, due_soon_dossiers, points_lost_if_late "
            "from marts.unit_points_at_stake where period_start = ?",
            [MONTH.start],
        )
    }
    seen, idle = 0, 0
    for row in sheet.iter_rows(min_row=header_row[0].row + 1, values_only=True):
        if row[0] is None:
            break
        key = (row[0], rollups[row[3]])
        assert (row[total_col], row[band_col], row[rank_col]) == pytest.approx(mart[key]), key
        shown = row[total_col + 1 : total_col + 3]
        expected = at_stake[row[0]] if key[1] == "SELF" else (None, None)
        assert shown == pytest.approx(expected), key
        idle += row[band_col] == "Không phát sinh hồ sơ"
        seen += 1
    assert seen == sum(1 for code, rollup in mart if rollup != "SUBTREE" or code in _parents(path))
    assert idle, "the test world has units that received and handled nothing this month"
    assert sum(due_soon for due_soon, _ in at_stake.values()), "and due-soon dossiers"

    # A unit's indicator table: points as the portal rounds them.
    ward = wards[0]
    unit_sheet = book[next(n for n in book.sheetnames if n.startswith(ward))]
    indicator_header = next(r for r in unit_sheet.iter_rows() if r[1].value == "Mã chỉ tiêu")
    columns = [c.value for c in indicator_header]
    points = {}
    for row in unit_sheet.iter_rows(min_row=indicator_header[0].row + 1, values_only=True):
        if row[1] is None:
            break
        points[row[1]] = row[columns.index("Điểm")]
    expected = dict(
        query(
            path,
            "select indicator_code, points from marts.fct_indicator where unit_code = ? "
            "and rollup = 'SELF' and period_type = 'month' and period_start = ?",
            [ward, MONTH.start],
        )
    )
    assert points == {code: round_half_up(value) for code, value in expected.items()}

    # The trend sheet: the area's total of each of the 12 months; native charts in the file.
    trend = book["Xu hướng"]
    month_header = next(r for r in trend.iter_rows() if r[0].value == "Tháng")
    totals = {
        row[0]: row[7]
        for row in trend.iter_rows(
            min_row=month_header[0].row + 1, max_row=month_header[0].row + 12, values_only=True
        )
    }
    area_totals = dict(
        query(
            path,
            "select strftime(period_start, '%m/%Y'), total from marts.unit_scorecard "
            "where rollup = 'AREA' and period_type = 'month' "
            "and period_start > ? - interval 12 month and period_start <= ?",
            [MONTH.start, MONTH.start],
        )
    )
    assert totals == pytest.approx(area_totals)
    with zipfile.ZipFile(files.xlsx) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) >= 8 + len(wards)  # area total, 6 groups, rates; a total per unit


def _parents(path: Path) -> set[str]:
    return {code for (code,) in query(path, "select distinct parent_unit_code from marts.dim_unit")}


def test_trend_is_continuous_across_the_reorganisation(pipeline_run):
    """September 2025's 12 months straddle 1 July 2025: the AREA series has no gap."""
    report = build_report(pipeline_run.warehouse_path, Period.parse("2025-09"))
    trend = tables(report.page("xu-huong"))[0]
    assert [r[0] for r in trend.rows][0] == "10/2024" and trend.rows[-1][0] == "09/2025"
    assert all(r[7] is not None and r[7] > 0 for r in trend.rows)


def _late_dossiers(path: Path) -> dict[str, list[tuple]]:
    """Per unit, the late or overdue dossiers handled in the running month, most urgent first
    (still in progress, most working days late, oldest reception)."""
    late: dict[str, list[tuple]] = {}
    for unit, code, finished, days_late, received in query(
        path,
        "select unit_code, dossier_code, finished_at, working_days_late, received_at "
        "from marts.fct_dossier where progress_status in ('LATE', 'IN_PROGRESS_OVERDUE') "
        "and received_at < ? and (terminal_at is null or terminal_at >= ?)",
        [dt.datetime.fromisoformat(AS_OF), dt.datetime.combine(MONTH.start, dt.time(), VN_TZ)],
    ):
        late.setdefault(unit, []).append((finished, days_late, received, code))
    return {
        unit: [
            r[3]
            for r in sorted(
                rows, key=lambda r: (r[0] is not None, -(r[1] or 0), r[1] is None, r[2], r[3])
            )
        ]
        for unit, rows in late.items()
    }


def test_lost_progress_points_list_exactly_the_late_dossiers(pipeline_run, month_report):
    """At the running month T = AS_OF, so the drill-down of PROGRESS_ON_TIME is exact:
    handled − on time dossiers of the unit, each late or overdue, the count in the caption and
    at most DRILLDOWN_LIMIT of them listed, the most urgent first."""
    report, _ = month_report
    urgent = _late_dossiers(pipeline_run.warehouse_path)
    rows = query(
        pipeline_run.warehouse_path,
        "select unit_code, denominator - numerator, points, max_points from marts.fct_indicator "
        "where indicator_code = 'PROGRESS_ON_TIME' and rollup = 'SELF' and period_type = 'month' "
        "and period_start = ?",
        [MONTH.start],
    )
    checked = 0
    for code, late, points, max_points in rows:
        if late == 0 or round_half_up(points) >= max_points:
            continue  # nothing late (or nothing handled: no page of its own)
        page = report.page(f"don-vi-{code}")
        table = next(
            t
            for t in tables(page)
            if t.caption and t.caption.startswith("Hồ sơ giải quyết đúng hạn")
        )
        assert f"— {number(late)} hồ sơ." in table.caption, code
        assert len(table.rows) == min(late, DRILLDOWN_LIMIT), code
        assert [r[0] for r in table.rows] == urgent[code][:DRILLDOWN_LIMIT], code
        assert {r[6] for r in table.rows} <= {"Quá hạn", "Đang giải quyết quá hạn"}
        assert (table.more is not None) == (late > DRILLDOWN_LIMIT), code
        checked += 1
    assert checked, "the test world has late dossiers this month"


def test_every_lost_point_list_counts_exactly_the_indicators_misses(pipeline_run, month_report):
    """The drill-down reads marts.fct_dossier_indicator: for every unit shown and every
    indicator with a dossier list, the list's count is fct_indicator's denominator minus its
    numerator, and every listed dossier is outside the numerator with the warehouse's reason."""
    report, _ = month_report
    path = pipeline_run.warehouse_path
    counted = {
        (unit, code): (name, den - num)
        for unit, code, name, den, num in query(
            path,
            "select f.unit_code, f.indicator_code, d.indicator_name_vi, f.denominator, "
            "f.numerator from marts.fct_indicator f join marts.dim_indicator d "
            "using (indicator_code) where f.rollup = 'SELF' and f.period_type = 'month' "
            "and f.period_start = ? and f.indicator_code in "
            "(select distinct indicator_code from marts.fct_dossier_indicator)",
            [MONTH.start],
        )
    }
    misses = {
        (unit, code, dossier): reason
        for unit, code, dossier, reason in query(
            path,
            "select unit_code, indicator_code, dossier_code, reason_vi "
            "from marts.fct_dossier_indicator where not in_numerator "
            "and period_type = 'month' and period_start = ?",
            [MONTH.start],
        )
    }
    checked = 0
    for page in report.pages:
        if not page.anchor.startswith("don-vi-"):
            continue
        unit = page.anchor.removeprefix("don-vi-")
        for table in tables(page):
            caption = table.caption or ""
            match = [
                (code, missed)
                for (u, code), (name, missed) in counted.items()
                if u == unit and caption.startswith(f"{name}: mất ")
            ]
            if not match:
                continue
            [(code, missed)] = match
            assert f"— {number(missed)} hồ sơ." in caption, (unit, code)
            for row in table.rows:
                assert misses[(unit, code, row[0])] == row[-1], (unit, code, row[0])
            checked += 1
    assert checked >= 3, "the test world's units lose points on several dossier indicators"


def test_long_lists_show_the_most_urgent_rows_and_the_full_count(pipeline_run, tmp_path):
    """With lists bounded to 2 rows (findings: 2 of each kind), every lost-point list and
    findings list shows its most urgent rows, its full count in the caption and how many are
    left out, in both formats."""
    report = build_report(pipeline_run.warehouse_path, MONTH, limits=Limits(2, 2))
    urgent = _late_dossiers(pipeline_run.warehouse_path)
    cut = 0
    for code, dossiers in urgent.items():
        page = next((p for p in report.pages if p.anchor == f"don-vi-{code}"), None)
        if page is None or len(dossiers) <= 2:
            continue
        table = next(
            t for t in tables(page) if t.caption and t.caption.startswith("Hồ sơ giải quyết đúng")
        )
        assert [r[0] for r in table.rows] == dossiers[:2]
        assert f"— {number(len(dossiers))} hồ sơ. Liệt kê 2 hồ sơ cần xử lý trước" in table.caption
        assert table.more == (
            f"… và {number(len(dossiers) - 2)} hồ sơ khác không liệt kê ở đây; danh sách đầy đủ "
            "tra cứu trong kho dữ liệu, bảng marts.fct_dossier_indicator."
        )
        cut += 1
    assert cut, "the test world has a unit with more than 2 late dossiers this month"

    open_by_responsible = dict(
        query(
            pipeline_run.warehouse_path,
            "select responsible_unit_code, count(*) from marts.accountability_findings "
            "where resolved_at is null and is_actionable group by all",
        )
    )
    worklist = report.page("viec-can-xu-ly")
    summary = tables(worklist)[0]
    assert {r[0]: r[-2] for r in summary.rows} == open_by_responsible  # counts are not cut
    for section, row in zip(worklist.sections[1:], summary.rows, strict=True):
        [table] = [b for b in section.blocks if isinstance(b, Table)]
        assert len(table.rows) == sum(min(n, 2) for n in row[2:-2])  # 2 of each kind
        days = [r[4] for r in table.rows]
        assert days == sorted(days, reverse=True)  # the oldest first
        assert row[-1] == pytest.approx(days[0])  # the oldest of all is listed
        # The line under the list appears exactly when findings are left out.
        assert (table.more is not None) == (row[-2] > len(table.rows))

    files = write_report(report, tmp_path)
    html = files.html.read_text(encoding="utf-8")
    assert "hồ sơ khác không liệt kê ở đây; danh sách đầy đủ" in html
    book = openpyxl.load_workbook(files.xlsx)
    lines = [
        str(c.value)
        for sheet in book.worksheets
        for c in sheet["A"]
        if str(c.value).startswith("… và ")
    ]
    assert any("hồ sơ khác không liệt kê ở đây" in line for line in lines)


# -- the HTML report in a real browser --------------------------------------------------------


def render_in_chromium(html: Path, png: Path, user_data: Path, height: int = 2000) -> str:
    """Screenshot of the page in Debian's headless Chromium; returns its log (stderr)."""
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is required: make chromium (apt-get install chromium)"
    done = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={user_data}",
            f"--screenshot={png}",
            f"--window-size=1280,{height}",
            "--enable-logging=stderr",
            "--v=0",
            html.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stderr


def test_html_report_renders_in_headless_chromium(month_report, tmp_path):
    report, files = month_report
    html = files.html.read_text(encoding="utf-8")
    # One self-contained file: no script, no external resource, charts as inline SVG.
    assert "<script" not in html and "src=" not in html and "<link" not in html
    assert html.count('<svg class="chart"') >= 8
    assert "Tổng hợp toàn địa bàn" in html and "Việc cần xử lý theo đơn vị chịu trách nhiệm" in html
    assert "@page { size: A4" in html
    # Today's work is the first section of the page, before the area summary.
    first = html.index('<section class="page')
    assert html.index('id="viec-can-lam-hom-nay"', first) < html.index('id="tong-hop"')
    assert html[first:].startswith('<section class="page lead" id="viec-can-lam-hom-nay">')
    # It ends with the findings to fix, by when: a count per type, then the earliest.
    today = html[first : html.index('id="tong-hop"')]
    assert "Việc cần khắc phục gấp" in today and "Loại việc cần khắc phục" in today
    assert today.count("Hạn thực hiện") >= 2  # the watchlist's and the findings' column

    png = tmp_path / "report.png"
    log = render_in_chromium(files.html, png, tmp_path / "chromium", height=HEIGHT)
    console = [line for line in log.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
    assert console == []
    image = Image.open(png).convert("RGB")
    assert image.size == (1280, HEIGHT)
    pixels = np.asarray(image, dtype=int)
    ink = float((pixels.sum(axis=2) < 720).mean())
    assert ink > 0.05, f"the page looks blank ({ink:.1%} non-white)"

    def drawn(colour: str) -> np.ndarray:
        """Where a colour used nowhere else on the page is drawn (a boolean mask)."""
        rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])
        return np.abs(pixels - rgb).max(axis=2) < 24

    def rows_in(colour: str) -> np.ndarray:
        return np.flatnonzero(drawn(colour).sum(axis=1) > 10)

    # "Việc cần làm hôm nay" is drawn (its heading band, a colour of its own) at the top of
    # the first screen, above the area summary's 12-month chart (its line colour), which is
    # drawn too.
    lead, chart = rows_in(LEAD_COLOUR), rows_in(PALETTE[0])
    assert lead.size and lead[0] < 200, "today's work is not visible at the top of the page"
    assert int(drawn(PALETTE[0]).sum()) > 500 and lead[0] < chart[0]


def test_today_page_ends_with_the_findings_to_fix_earliest_by_when_first(
    pipeline_run, month_report
):
    """The running month's report leads with today's work; after the watchlist, the findings
    that can still be fixed: a count per finding type that adds up to the mart, then the ones
    first in the worklist's order (still in time, earliest by-when first, then the late), each
    with what to do."""
    report, _ = month_report
    [section] = [
        s
        for s in report.page("viec-can-lam-hom-nay").sections
        if s.title == "Việc cần khắc phục gấp"
    ]
    summary, listed = section.blocks
    [(total, late, earliest)] = query(
        pipeline_run.warehouse_path,
        "select count(*), count(*) filter (where act_by < as_of), "
        "list(act_by order by act_by < as_of, act_by, working_days_open desc, dossier_code, "
        "finding_code) "
        "from marts.accountability_findings where resolved_at is null and is_actionable",
    )
    assert total > 0
    assert sum(row[1] for row in summary.rows) == total
    assert sum(row[2] for row in summary.rows) == late
    headers = [c.header for c in listed.columns]
    by, action = headers.index("Hạn thực hiện"), headers.index("Việc cần làm")
    assert [row[by] for row in listed.rows] == earliest[: len(listed.rows)]
    assert len(listed.rows) == min(total, Limits().today)
    assert all(row[action] for row in listed.rows)


def test_a_browser_console_error_would_be_caught(tmp_path):
    """The console check of the test above can fail: a page with a script error is reported."""
    page = tmp_path / "broken.html"
    page.write_text("<html><body><p>x</p><script>undefinedFunction()</script></body></html>")
    log = render_in_chromium(page, tmp_path / "broken.png", tmp_path / "chromium")
    assert any("Uncaught ReferenceError" in line for line in log.splitlines())


# -- degraded and complete sections -----------------------------------------------------------


def _copy_warehouse(pipeline_run, tmp_path: Path) -> Path:
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(pipeline_run.warehouse_path, copy)
    return copy


def test_sections_without_their_mart_say_so(pipeline_run, tmp_path):
    copy = _copy_warehouse(pipeline_run, tmp_path)
    with duckdb.connect(str(copy)) as con:
        for mart in (*OPTIONAL_MARTS, "unit_scorecard", "deadline_metrics"):
            con.execute(f"drop table if exists marts.{mart}")
    report = build_report(copy, MONTH)
    anchors = ("chinh-thuc", "dong-bo", "viec-can-xu-ly", "xu-huong", "viec-can-lam-hom-nay")
    for anchor in anchors:
        notes = [b for s in report.page(anchor).sections for b in s.blocks if isinstance(b, Note)]
        assert notes and all(n.missing and n.text.startswith(NO_DATA) for n in notes), anchor
    files = write_report(report, tmp_path / "out")
    assert NO_DATA in files.html.read_text(encoding="utf-8")
    summary = openpyxl.load_workbook(files.xlsx)["Tổng hợp"]
    assert any(str(c.value).startswith(NO_DATA) for c in summary["A"])


def _replace_mart(con, table: str, rows: list[tuple]) -> None:
    con.execute(f"create or replace table marts.{table}")
    name = table.split("(")[0]
    con.executemany(f"insert into marts.{name} values ({', '.join('?' * len(rows[0]))})", rows)


def test_worklists_sync_gaps_and_official_values_from_their_marts(pipeline_run, tmp_path):
    """The marts of warehouse.md's columns, given known rows: findings grouped by responsible
    unit, sync counts summed over the period's days, deltas of 0.01 or more highlighted."""
    copy = _copy_warehouse(pipeline_run, tmp_path)
    ward, dept, other = "000.00.71.H31", "000.02.71.H31", "000.00.72.H31"

    def at(day: int) -> dt.datetime:
        return dt.datetime(2026, 11, day, 9, tzinfo=VN_TZ)

    with duckdb.connect(str(copy)) as con:
        [(dossier,)] = con.execute(
            "select min(dossier_code) from marts.fct_dossier where unit_code = ?", [dept]
        ).fetchall()
        many = FINDINGS_PER_KIND + 55  # open findings of one kind for the ward: beyond the bound
        findings = [
            (
                "NOT_DIGITIZED",
                dossier,
                dept,
                ward,
                at(3),
                None,
                12.5,
                "Chưa số hóa",
                True,
                "Số hóa",
            ),
            (
                "LATE_WITHOUT_APOLOGY",
                dossier,
                dept,
                dept,
                at(10),
                None,
                7.0,
                "Quá hạn",
                True,
                "Xin lỗi",
            ),
            ("NOT_SYNCED", "X-1", other, other, at(1), at(2), 1.0, "Đã khắc phục", True, None),
            *[
                (
                    "NOT_SYNCED",
                    f"W-{i:03d}",
                    ward,
                    ward,
                    at(5),
                    None,
                    i / 10,
                    "Chưa đồng bộ",
                    True,
                    "Đồng bộ",
                )
                for i in range(many)
            ],
            # Record-only: open, but nobody can act any more; to the annex of its month.
            ("NOT_DIGITIZED", "R-1", ward, ward, at(4), None, 11.0, "Chưa số hóa", False, None),
            ("NOT_DIGITIZED", "R-2", ward, ward, at(6), None, 9.0, "Chưa số hóa", False, None),
            (
                "NOT_DIGITIZED",
                "R-0",
                ward,
                ward,
                at(6) - dt.timedelta(days=40),
                None,
                40.0,
                "Chưa số hóa",
                False,
                None,
            ),
        ]
        _replace_mart(
            con,
            "accountability_findings(finding_code varchar, dossier_code varchar, "
            "unit_code varchar, responsible_unit_code varchar, detected_at timestamptz, "
            "resolved_at timestamptz, working_days_open double, detail_vi varchar, "
            "is_actionable boolean, action_vi varchar, act_by timestamptz)",
            # An actionable finding is due one day after its detection.
            [(*row, row[4] + dt.timedelta(days=1) if row[8] else None) for row in findings],
        )
        _replace_mart(
            con,
            "sync_reconciliation(unit_code varchar, date date, received_one_stop bigint, "
            "received_national bigint, synced bigint, not_synced bigint, "
            "status_out_of_sync bigint, median_sync_lag_hours double)",
            [
                (ward, dt.date(2026, 11, 2), 10, 9, 9, 1, 0, 2.0),
                (ward, dt.date(2026, 11, 3), 5, 5, 5, 0, 1, 4.0),
                (ward, dt.date(2026, 10, 31), 7, 7, 7, 0, 0, 1.0),
                (other, dt.date(2026, 11, 2), 3, 3, 3, 0, 0, 1.0),
            ],
        )
        _replace_mart(
            con,
            "official_vs_computed(unit_code varchar, period_type varchar, period_start date, "
            "indicator_code varchar, official_numerator bigint, official_denominator bigint, "
            "official_points double, computed_numerator bigint, computed_denominator bigint, "
            "computed_points double, delta_points double)",
            [
                (
                    ward,
                    "month",
                    MONTH.start,
                    "PROGRESS_ON_TIME",
                    40,
                    45,
                    17.78,
                    41,
                    45,
                    18.22,
                    0.44,
                ),
                (other, "month", MONTH.start, "DOSSIER_SYNC", 41, 41, 6.0, 41, 41, 6.0, 0.0),
            ],
        )
    report = build_report(copy, MONTH)

    worklist = report.page("viec-can-xu-ly")
    summary = tables(worklist)[0]
    assert [r[0] for r in summary.rows] == [ward, "000.02.71.H31"]  # open findings only
    assert [r[-2:] for r in summary.rows] == [(1 + many, 12.5), (1, 7.0)]  # every one counted
    assert [s.title for s in worklist.sections[1:]] == [
        "UBND phường Mỹ Hào (000.00.71.H31)",
        "Phòng Kinh tế, Hạ tầng và Đô thị (000.02.71.H31)",
    ]
    # The ward's list: the FINDINGS_PER_KIND oldest of each kind, oldest first, the full count
    # and how many are left out.
    ward_list = tables(worklist)[1]
    # Finding names are the seed's (marts.dim_finding), not a copy in the report's code.
    assert ward_list.rows[0][:2] == ("Hồ sơ chưa số hóa thành phần hồ sơ", dossier)
    assert len(ward_list.rows) == 1 + FINDINGS_PER_KIND
    assert [r[1] for r in ward_list.rows[1:4]] == ["W-064", "W-063", "W-062"]
    assert ward_list.caption == (
        f"{1 + many} việc; liệt kê {1 + FINDINGS_PER_KIND} việc: mỗi loại tối đa "
        f"{FINDINGS_PER_KIND} việc tồn lâu nhất, lâu nhất trước."
    )
    assert ward_list.more == (
        f"… và {many - FINDINGS_PER_KIND} việc khác không liệt kê ở đây; danh sách đầy đủ "
        "tra cứu trong kho dữ liệu, bảng marts.accountability_findings."
    )
    ward_figures = report.page(f"don-vi-{ward}").sections[0].blocks[0]
    assert {f.label: f.value for f in ward_figures.items}["Việc cần xử lý đang mở"] == 1 + many
    area_figures = report.page("tong-hop").sections[0].blocks[0]
    assert {f.label: f.value for f in area_figures.items}["Việc cần xử lý đang mở"] == 2 + many
    # The department's page lists both findings of its dossier, whoever must act.
    dept_findings = tables(report.page("don-vi-000.02.71.H31"))[-1]
    assert sorted(r[0] for r in dept_findings.rows) == [
        "Hồ sơ chưa số hóa thành phần hồ sơ",
        "Hồ sơ quá hạn không có văn bản xin lỗi",
    ]

    # Record-only findings are not work: counted and listed only in the annex of the month
    # they were detected in (R-0 belongs to October's).
    annex = report.page("phu-luc-ghi-nhan")
    figures = {f.label: f.value for f in annex.sections[0].blocks[0].items}
    assert figures == {
        "Phát hiện chỉ ghi nhận trong kỳ": 2,
        "Tổng số phát hiện chỉ ghi nhận (mọi kỳ)": 3,
    }
    assert [r[1] for r in tables(annex)[1].rows] == ["R-1", "R-2"]
    assert not any(r[1].startswith("R-") for t in tables(worklist) for r in t.rows)
    assert report.pages[-1] is annex

    sync = tables(report.page("dong-bo"))[0]
    by_unit = {r[0]: r[2:] for r in sync.rows}
    assert by_unit[ward] == (15, 14, 14, 1, 1, 3.0)  # 31 October is outside November
    assert sync.highlighted == {0}

    official = tables(report.page("chinh-thuc"))[0]
    assert official.rows[0][0] == ward and official.rows[0][-1] == 0.44
    assert official.highlighted == {0}


# -- where reports are written ----------------------------------------------------------------


def test_cli_writes_any_period_and_refuses_one_without_data(pipeline_run, tmp_path, capsys):
    args = ["--warehouse", str(pipeline_run.warehouse_path), "--out", str(tmp_path)]
    assert reports_cli(["--period", "2026-Q3", *args]) == 0
    files = report_files(tmp_path, Period.parse("2026-Q3"))
    assert files.html.exists() and files.xlsx.exists()
    assert capsys.readouterr().out.split() == [str(files.html), str(files.xlsx)]
    assert "Quý III/2026" in files.html.read_text(encoding="utf-8")
    assert reports_cli(["--period", "2031-01", *args]) == 2
    assert not (tmp_path / "2031-01").exists()


def test_asset_writes_the_month_of_as_of_and_the_previous_one(pipeline_run, tmp_path):
    from pipeline.assets.reports import monthly_area_report

    env = {**pipeline_run.env, "REPORTS_DIR": str(tmp_path)}
    with patched_environ(env):
        result = dg.materialize(
            [monthly_area_report],
            instance=dg.DagsterInstance.ephemeral(),
            tags={AS_OF_TAG: AS_OF},
        )
    assert result.success
    metadata = result.asset_materializations_for_node("reports__monthly_area_report")[0].metadata
    assert metadata["current_html"].path == str(tmp_path / "2026-11" / "bao-cao-2026-11.html")
    for key in ("current_html", "current_xlsx", "previous_html", "previous_xlsx"):
        assert Path(metadata[key].path).is_file(), key
    assert not list(tmp_path.rglob("*.tmp"))


def test_reports_group_reads_the_published_warehouse():
    from pipeline.definitions import defs

    node = defs.resolve_asset_graph().get(dg.AssetKey(["reports", "monthly_area_report"]))
    assert node.group_name == "reports"
    assert node.parent_keys == {dg.AssetKey(["publish", "warehouse"])}


# -- every morning, one worklist per responsible unit -----------------------------------------


def _sheet_rows(sheet, first_header: str) -> tuple[list[str], list[tuple]]:
    """The header and the rows of the sheet's table whose first heading is `first_header`."""
    header = next(r for r in sheet.iter_rows() if r[0].value == first_header)
    names = [c.value for c in header if c.value]
    rows = []
    for row in sheet.iter_rows(min_row=header[0].row + 1, values_only=True):
        if row[0] is None:
            break
        rows.append(row[: len(names)])
    return names, rows


def _shown(instant: dt.datetime | None) -> dt.datetime | None:
    """An instant as the workbook holds it: Vietnam time without the zone, to the second
    (a spreadsheet date is a fraction of a day)."""
    if instant is None:
        return None
    if instant.tzinfo is not None:
        instant = instant.astimezone(VN_TZ).replace(tzinfo=None)
    return (instant + dt.timedelta(microseconds=500_000)).replace(microsecond=0)


def test_daily_run_writes_one_worklist_per_responsible_unit(pipeline_run):
    """The daily run wrote REPORTS_DIR/daily/<day of AS_OF>/ with one workbook per responsible
    unit: first the unit's watchlist (every row of marts.dossier_watchlist it is responsible
    for, due soon first, then late, then the rest), then the open findings it can still fix (every
    actionable one), each row with what to do; Vietnamese headers."""
    path = pipeline_run.warehouse_path
    folder = Path(pipeline_run.env["REPORTS_DIR"]) / "daily" / AS_OF[:10]
    reasons = [
        name
        for code in WATCH_REASONS
        for (name,) in query(
            path,
            "select any_value(watch_reason_vi) from marts.dossier_watchlist "
            "where watch_reason = ? having count(*) > 0",
            [code],
        )
    ]
    watch: dict[str, Counter] = defaultdict(Counter)
    for unit, dossier, reason, action in query(
        path,
        "select responsible_unit_code, dossier_code, watch_reason_vi, action_vi "
        "from marts.dossier_watchlist",
    ):
        watch[unit][(dossier, reason, action)] += 1
    fixable: dict[str, Counter] = defaultdict(Counter)
    for unit, name, dossier, action, act_by in query(
        path,
        "select f.responsible_unit_code, d.finding_name_vi, f.dossier_code, f.action_vi, "
        "f.act_by from marts.accountability_findings f join marts.dim_finding d "
        "using (finding_code) where f.resolved_at is null and f.is_actionable",
    ):
        fixable[unit][(name, dossier, action, _shown(act_by))] += 1
    assert sum(map(len, watch.values())) and sum(map(len, fixable.values()))
    out, day = Path(pipeline_run.env["REPORTS_DIR"]), dt.date.fromisoformat(AS_OF[:10])
    # The workbook shows instants in Vietnam time, without the zone.
    as_of_local = dt.datetime.fromisoformat(AS_OF).replace(tzinfo=None)
    books = {unit: worklist_file(out, day, unit) for unit in set(watch) | set(fixable)}
    assert all(path.is_file() for path in books.values()), "a responsible unit has no worklist"
    # The other units get a workbook too, that says there is nothing to do.
    idle = [path for path in folder.glob("viec-can-lam-*.xlsx") if path not in books.values()]
    assert idle, "units without work in the test world get a workbook too"

    both = 0
    for unit, file in [*books.items(), *((None, path) for path in idle)]:
        book = openpyxl.load_workbook(file)
        assert book.sheetnames == ["Hồ sơ cần theo dõi", "Việc cần khắc phục"]
        watch_sheet, finding_sheet = book.worksheets
        if watch[unit]:
            headers, rows = _sheet_rows(watch_sheet, "Mã hồ sơ")
            assert headers[:1] + headers[4:] == [
                "Mã hồ sơ",
                "Lý do theo dõi",
                "Tiếp nhận",
                "Hạn trả",
                "Giờ làm việc còn lại (âm: đã quá hạn)",
                "Việc cần làm",
                "Hạn thực hiện",
            ]
            assert Counter((r[0], r[4], r[8]) for r in rows) == watch[unit], unit
            order = [(reasons.index(r[4]), r[9]) for r in rows]
            assert order == sorted(order), "due soon, then late, then the rest; earliest first"
            assert all(r[8] for r in rows), "every row says what to do"
        else:
            assert watch_sheet["A6"].value == "Không có hồ sơ cần theo dõi."
        if fixable[unit]:
            headers, rows = _sheet_rows(finding_sheet, "Loại việc")
            assert headers[:2] == ["Loại việc", "Mã hồ sơ"] and "Việc cần làm" in headers
            action, by = headers.index("Việc cần làm"), headers.index("Hạn thực hiện")
            listed = Counter((r[0], r[1], r[action], _shown(r[by])) for r in rows)
            assert listed == fixable[unit], unit
            assert all(r[action] for r in rows), "every row says what to do"
            assert all(isinstance(r[by], dt.datetime) for r in rows), "every row says by when"
            # Still in time first, then already late to act; earliest by-when first in each.
            order = [(r[by] < as_of_local, r[by]) for r in rows]
            assert order == sorted(order), "today's items first, earliest by-when first"
            # Above the list, a count per finding type: how many, already late to act, due
            # today, the earliest by-when.
            headers, summary = _sheet_rows(finding_sheet, "Loại việc cần khắc phục")
            assert headers == [
                "Loại việc cần khắc phục",
                "Số việc",
                "Đã quá hạn thực hiện",
                "Đến hạn trong hôm nay",
                "Hạn sớm nhất",
            ]
            kinds = Counter(r[0] for r in rows)
            assert {r[0]: r[1] for r in summary} == kinds, unit
            late = sum(1 for r in rows if r[by] < as_of_local)
            assert sum(r[2] for r in summary) == late, unit
            assert {r[0]: r[4] for r in summary} == {
                kind: min(r[by] for r in rows if r[0] == kind) for kind in kinds
            }
        else:
            assert finding_sheet["A6"].value == "Không có việc cần khắc phục."
        both += bool(watch[unit] and fixable[unit])
    assert both, "the test world has a unit with both a watchlist and findings to fix"


def test_daily_worklists_run_in_the_daily_job_after_publication():
    from pipeline.definitions import defs

    key = dg.AssetKey(["reports", "daily_worklists"])
    node = defs.resolve_asset_graph().get(key)
    assert node.group_name == "reports"
    assert node.parent_keys == {dg.AssetKey(["publish", "warehouse"])}
    assert key in defs.resolve_job_def("daily_refresh").asset_layer.selected_asset_keys


def test_a_rerun_leaves_one_worklist_per_unit(pipeline_run, tmp_path):
    """Rewriting the day's worklists replaces the files and removes a stale one."""
    from pipeline.reports.daily import write_daily_worklists

    first = write_daily_worklists(pipeline_run.warehouse_path, tmp_path)
    stale = first.folder / "viec-can-lam-000.99.99.H31.xlsx"
    stale.write_bytes(b"old")
    second = write_daily_worklists(pipeline_run.warehouse_path, tmp_path)
    assert second.folder == first.folder == tmp_path / "daily" / AS_OF[:10]
    assert sorted(p.name for p in second.folder.iterdir()) == sorted(
        w.path.name for w in second.units
    )
    assert not stale.exists()
