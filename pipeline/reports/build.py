"""Builds the report of one area and period from the published marts (warehouse.md).

Pages: in the report of the running period, today's work first (the watchlist and the
findings that can still be fixed, per responsible unit); the area summary (key figures, the
scorecard of every unit with the lowest units highlighted and the points at stake, the
12-month trend of the total), the trends of the six groups and of the deadline rates, official
vs computed values, sync gaps, the actionable findings grouped by responsible unit, then one
page per unit with activity: its scores, every indicator with the points it lost, the dossiers
behind each lost point, and its actionable findings; last, the annex of the period's
record-only findings.

A mart that is not published yet gives its sections a "chưa có dữ liệu" note.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from pipeline.periods import Period, trailing_months
from pipeline.reports import labels, worklist
from pipeline.reports.catalogue import Catalogue
from pipeline.reports.drilldown import LostPointList, LostPoints, lost_point_lists
from pipeline.reports.labels import label
from pipeline.reports.marts import Marts
from pipeline.reports.model import (
    NO_DATA,
    Chart,
    Column,
    Figure,
    Figures,
    Kind,
    Note,
    Page,
    Report,
    Section,
    Table,
    from_row,
    table_of,
)
from pipeline.reports.vnformat import instant, number, round_half_up
from pipeline.workcal import VN_TZ

TITLE = "Báo cáo Bộ chỉ số phục vụ người dân, doanh nghiệp"
TREND_MONTHS = 12
LOWEST_UNITS = 3  # how many of the lowest-scoring ranked units the scorecard highlights
# Lists are cut in DuckDB to their most urgent rows, the same in both formats, whatever the
# number of dossiers; captions give the full count (docs/reports.md, "Bounded lists").
DRILLDOWN_LIMIT = 30  # dossiers per unit and lost-point indicator
# Open findings per kind in each list (worklist page: per responsible unit; unit page: per
# unit): the oldest of every kind, so that a kind with thousands of old items does not hide
# the others.
FINDINGS_PER_KIND = 10
# The most urgent watchlist dossiers at the top of the report (each unit's daily workbook
# has all of its own).
TODAY_LIMIT = 10
WORKLIST_PRINT_LIMIT = 40  # printed rows of official_vs_computed (the workbook has them all)
FULL_DOSSIER_LIST = "danh sách đầy đủ tra cứu trong kho dữ liệu, bảng marts.fct_dossier_indicator"
FULL_FINDINGS_LIST = (
    "danh sách đầy đủ tra cứu trong kho dữ liệu, bảng marts.accountability_findings"
)
LOST = 0.005  # points below the maximum that count as lost once rounded to 2 decimals
SCORECARD_MART = "unit_scorecard"
NO_ACTIVITY = "Không phát sinh hồ sơ"
# Beside each unit's current score in the running month (marts.unit_points_at_stake).
AT_STAKE_COLUMNS = [
    Column("Hồ sơ sắp đến hạn", Kind.INTEGER, 10),
    Column("Điểm tiến độ sẽ mất nếu quá hạn", Kind.POINTS, 11),
]
AT_STAKE_CAPTION = (
    " Hồ sơ sắp đến hạn: đang giải quyết, còn trong hạn, đến hạn trong vài ngày làm việc tới; "
    "giải quyết đúng hạn thì giữ được số điểm tiến độ bên cạnh, để quá hạn thì mất."
)


class NoDataForPeriod(LookupError):
    """The warehouse has no indicator row for the period (outside history, or in the future)."""


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    level: str
    parent: str | None


@dataclass(frozen=True)
class Limits:
    """How many rows the bounded lists show (tests use small ones)."""

    dossiers: int = DRILLDOWN_LIMIT
    findings_per_kind: int = FINDINGS_PER_KIND
    today: int = TODAY_LIMIT


@dataclass
class OpenFindings:
    """The open findings as counts (every one) and bounded lists (the oldest first)."""

    total: int
    # (responsible unit, finding code) → (count, longest open in working days)
    by_responsible: dict[tuple[str | None, str], tuple[int, float]]
    # unit → open findings of its own dossiers or that it must act on
    per_unit: dict[str, int]
    # Bounded lists, oldest first: per responsible unit, and per unit (receiving or responsible)
    responsible_lists: dict[str | None, list[dict]]
    unit_lists: dict[str | None, list[dict]]


# Oldest first, as one value for DuckDB's bounded `min_by(…, key, n)` aggregate: most working
# days open (none last), then by dossier code; `_oldest_first` is the same order in Python.
OLDEST_KEY = (
    "{'days': coalesce(-working_days_open, 'infinity'::DOUBLE), 'dossier': dossier_code, "
    "'finding': finding_code}"
)


def _oldest_first(finding: dict) -> tuple:
    days = finding["working_days_open"]
    return (days is None, -(days or 0.0), finding["dossier_code"], finding["finding_code"])


def build_report(
    warehouse_path: Path,
    period: Period,
    area_code: str | None = None,
    generated_at: dt.datetime | None = None,
    limits: Limits = Limits(),
) -> Report:
    with Marts(warehouse_path) as marts:
        builder = _ReportBuilder(marts, period, area_code, limits)
        return builder.build(generated_at or dt.datetime.now(VN_TZ).replace(microsecond=0))


def sheet_name(text: str, taken: set[str]) -> str:
    """An Excel sheet name: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    base = re.sub(r"[\[\]:*?/\\]", "-", text).strip()
    if len(base) > 31:
        base = base[:30].rsplit(" ", 1)[0] + "…"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def month_label(month: dt.date) -> str:
    return f"{month.month:02d}/{month.year}"


class _ReportBuilder:
    def __init__(self, marts: Marts, period: Period, area_code: str | None, limits: Limits):
        self.marts = marts
        self.period = period
        self.limits = limits
        self.params = {"ptype": period.period_type, "pstart": period.start}
        self.units = {
            r["unit_code"]: Unit(
                r["unit_code"], r["unit_name"], r["unit_level"], r["parent_unit_code"]
            )
            for r in marts.rows("SELECT * FROM marts.dim_unit")
        }
        areas = sorted(code for code, unit in self.units.items() if unit.level == "AREA")
        if area_code is None and areas:
            area_code = areas[0]
        if area_code not in areas:
            raise ValueError(f"no area {area_code!r} in marts.dim_unit (areas: {areas})")
        self.area = self.units[area_code]
        self.period_as_of = marts.value(
            "SELECT max(as_of) FROM marts.fct_indicator "
            "WHERE period_type = $ptype AND period_start = $pstart",
            self.params,
        )
        if self.period_as_of is None:
            raise NoDataForPeriod(f"the warehouse has no indicator for {period.key}")
        self.period_as_of = self.period_as_of.astimezone(VN_TZ)
        self.data_as_of = marts.value("SELECT max(as_of) FROM marts.fct_indicator").astimezone(
            VN_TZ
        )
        self.start_instant = dt.datetime.combine(period.start, dt.time(), VN_TZ)
        self.end_instant = dt.datetime.combine(period.next_start, dt.time(), VN_TZ)
        self.indicators = marts.rows(
            "SELECT * FROM marts.fct_indicator "
            "WHERE period_type = $ptype AND period_start = $pstart",
            self.params,
        )
        self.indicator_index = {
            (r["unit_code"], r["rollup"], r["indicator_code"]): r for r in self.indicators
        }
        self.catalogue = Catalogue.read(marts)
        self.group_max = self._group_maxima()
        self.children: dict[str, list[str]] = defaultdict(list)
        for unit in self.units.values():
            if unit.parent in self.units:
                self.children[unit.parent].append(unit.code)
        self.tree = self._tree_order()
        self.scorecard = self._scorecard_rows()
        self.deadlines = self._period_rows("deadline_metrics")
        self.findings = self._open_findings()
        self.at_stake = self._points_at_stake()
        self._lost: LostPoints | None = None

    # -- data ------------------------------------------------------------------------------

    def _group_maxima(self) -> dict[str, float]:
        maxima: dict[str, float] = {}
        seen: set[str] = set()
        for row in self.indicators:
            if row["indicator_code"] not in seen:
                seen.add(row["indicator_code"])
                maxima[row["group_code"]] = maxima.get(row["group_code"], 0.0) + row["max_points"]
        return {group: maxima.get(group) for group in self.catalogue.groups}

    def _tree_order(self) -> list[str]:
        """Units of the area (every unit but the area rows), parents before their children."""
        scored = {c for c, u in self.units.items() if u.level not in ("AREA", "PROVINCE")}
        roots = sorted(c for c in scored if self.units[c].parent not in scored)
        order: list[str] = []

        def visit(code: str) -> None:
            order.append(code)
            for child in sorted(self.children.get(code, [])):
                if child in scored:
                    visit(child)

        for root in roots:
            visit(root)
        return order

    def _period_rows(self, mart: str) -> dict[tuple[str, str], dict] | None:
        if not self.marts.has(mart):
            return None
        rows = self.marts.rows(
            f"SELECT * FROM marts.{mart} WHERE period_type = $ptype AND period_start = $pstart",
            self.params,
        )
        return {(r["unit_code"], r["rollup"]): r for r in rows}

    def _scorecard_rows(self) -> dict[tuple[str, str], dict] | None:
        return self._period_rows(SCORECARD_MART)

    def _open_findings(self) -> OpenFindings | None:
        """The open findings someone can still act on (`is_actionable`)."""
        if not self.marts.has("accountability_findings"):
            return None
        return self._findings("resolved_at IS NULL AND is_actionable", {})

    def _record_only_findings(self) -> OpenFindings | None:
        """The open findings nobody can act on any more, detected in the period (the annex)."""
        if not self.marts.has("accountability_findings"):
            return None
        return self._findings(
            "resolved_at IS NULL AND NOT is_actionable "
            "AND detected_at >= $from AND detected_at < $to",
            {"from": self.start_instant, "to": self.end_instant},
        )

    def _findings(self, where: str, params: dict) -> OpenFindings:
        """The findings matching `where`: every one counted, and the bounded lists (the
        `limits.findings_per_kind` oldest of each kind, oldest first) of each responsible unit
        (worklist page) and of each unit, receiving or responsible (unit pages). Two DuckDB
        aggregates count and pick (bounded state, no sort of every open finding); only the
        picked rows are then read in full, by row id."""
        params = {**params, "limit": self.limits.findings_per_kind}
        by_responsible = self.marts.rows(
            f"""
            SELECT responsible_unit_code AS list_unit, finding_code, count(*) AS n,
                   max(coalesce(working_days_open, 0)) AS oldest,
                   min_by(rowid, {OLDEST_KEY}, $limit) AS rids
            FROM marts.accountability_findings
            WHERE {where}
            GROUP BY ALL
            """,
            params,
        )
        by_unit = self.marts.rows(
            f"""
            SELECT list_unit, finding_code, count(*) AS n,
                   min_by(rid, {OLDEST_KEY}, $limit) AS rids
            FROM (
                SELECT unnest(list_distinct([unit_code, responsible_unit_code])) AS list_unit,
                       rowid AS rid, finding_code, dossier_code, working_days_open
                FROM marts.accountability_findings
                WHERE {where}
            )
            GROUP BY ALL
            """,
            params,
        )
        rids = sorted({rid for r in by_responsible + by_unit for rid in r["rids"]})
        details = {
            r["rid"]: r
            for r in self.marts.rows(
                "SELECT rowid AS rid, finding_code, dossier_code, unit_code, "
                "responsible_unit_code, detected_at, working_days_open, detail_vi, action_vi, "
                "act_by FROM marts.accountability_findings WHERE rowid = ANY($rids)",
                {"rids": rids},
            )
        }

        def oldest_first(picked: list[dict]) -> dict[str | None, list[dict]]:
            lists: dict[str | None, list[dict]] = defaultdict(list)
            for r in picked:
                lists[r["list_unit"]] += [details[rid] for rid in r["rids"]]
            for items in lists.values():
                items.sort(key=_oldest_first)
            return lists

        per_unit: dict[str, int] = defaultdict(int)
        for r in by_unit:
            per_unit[r["list_unit"]] += r["n"]
        return OpenFindings(
            total=sum(r["n"] for r in by_responsible),
            by_responsible={
                (r["list_unit"], r["finding_code"]): (r["n"], r["oldest"]) for r in by_responsible
            },
            per_unit=dict(per_unit),
            responsible_lists=oldest_first(by_responsible),
            unit_lists=oldest_first(by_unit),
        )

    def _points_at_stake(self) -> dict[str, dict] | None:
        """Per unit, the PROGRESS points its due-soon dossiers put at stake: only for the
        running month, the one `unit_points_at_stake` describes."""
        if self.period.period_type != "month" or not self.marts.has("unit_points_at_stake"):
            return None
        rows = self.marts.rows(
            "SELECT * FROM marts.unit_points_at_stake WHERE period_start = $pstart",
            {"pstart": self.period.start},
        )
        return {r["unit_code"]: r for r in rows} or None

    def _at_stake_values(self, code: str, rollup: str) -> tuple:
        if self.at_stake is None:
            return ()
        row = self.at_stake.get(code) if rollup == "SELF" else None
        return (row["due_soon_dossiers"], row["points_lost_if_late"]) if row else (None, None)

    def _indicator(self, unit_code: str, rollup: str, code: str) -> dict | None:
        return self.indicator_index.get((unit_code, rollup, code))

    def _monthly(self, mart: str, unit_code: str, rollup: str) -> list[tuple[dt.date, dict | None]]:
        """The unit's rows of a monthly mart over the 12 months ending with the period (or
        with the month of AS_OF for a running quarter or year)."""
        last = min(self.period.end, self.data_as_of.date())
        months = trailing_months(last, TREND_MONTHS)
        rows = self.marts.rows(
            f"SELECT * FROM marts.{mart} WHERE unit_code = $unit AND rollup = $rollup "
            "AND period_type = 'month' AND period_start BETWEEN $first AND $last",
            {"unit": unit_code, "rollup": rollup, "first": months[0], "last": months[-1]},
        )
        by_month = {r["period_start"]: r for r in rows}
        return [(month, by_month.get(month)) for month in months]

    def _lost_points(self) -> LostPoints | None:
        """The bounded lost-point lists of every indicator and unit, from one pass over the
        period's rows of `fct_dossier_indicator`, the first time they are asked for."""
        if self._lost is None and self.marts.has("fct_dossier_indicator"):
            self._lost = lost_point_lists(
                self.marts, self.period.period_type, self.period.start, self.limits.dossiers
            )
        return self._lost

    # -- pages -----------------------------------------------------------------------------

    def build(self, generated_at: dt.datetime) -> Report:
        taken: set[str] = set()
        pages = [self._today_page(taken)] if self._is_running() else []
        pages += [
            self._summary_page(taken),
            self._trend_page(taken),
            self._official_page(taken),
            self._sync_page(taken),
            self._worklist_page(taken),
        ]
        pages += [self._unit_page(code, taken) for code in self._units_with_pages()]
        pages.append(self._annex_page(taken))
        return Report(
            title=f"{TITLE} — {self.period.label_vi}",
            area_code=self.area.code,
            area_name=self.area.name,
            period=self.period,
            period_as_of=self.period_as_of,
            data_as_of=self.data_as_of,
            generated_at=generated_at,
            pages=pages,
        )

    def _is_running(self) -> bool:
        """The period holds the warehouse's AS_OF: today's work belongs in its report."""
        return self.period.start <= self.data_as_of.date() <= self.period.end

    def _today_page(self, taken: set[str]) -> Page:
        """What must be done today, first in the report: dossiers about to turn late or late,
        paused too long, not synced or with a result not at the counter, and the findings
        that can still be fixed, per responsible unit; then the most urgent dossiers."""
        page = Page(
            title="Việc cần làm hôm nay",
            sheet=sheet_name("Việc cần làm hôm nay", taken),
            anchor="viec-can-lam-hom-nay",
            lead=True,
            subtitle=f"Tại thời điểm {instant(self.data_as_of)}. Mỗi đơn vị chịu trách nhiệm có "
            "danh sách đầy đủ trong tệp Excel hằng ngày (thư mục daily/<ngày>/).",
        )
        if not self.marts.has("dossier_watchlist"):
            missing = Note(f"{NO_DATA}: hồ sơ cần theo dõi (dossier_watchlist).", True)
            page.sections.append(Section("Tổng hợp", [missing]))
            return page
        counts = worklist.watch_counts(self.marts)
        reasons = worklist.reason_names(self.marts)
        fixable: dict[str | None, int] = defaultdict(int)
        for (unit, _), (n, _) in (self.findings.by_responsible if self.findings else {}).items():
            fixable[unit] += n
        figures = [
            Figure(name, sum(n for (_, r), n in counts.items() if r == code), Kind.INTEGER)
            for code, name in reasons.items()
        ]
        if self.findings is not None:
            figures.append(Figure("Việc còn khắc phục được", self.findings.total, Kind.INTEGER))
        order = {code: i for i, code in enumerate(self.tree)}
        units = sorted(
            {unit for unit, _ in counts} | set(fixable),
            key=lambda c: (order.get(c, len(order)), c or ""),
        )
        columns = [
            Column("Mã đơn vị", Kind.TEXT, 15),
            Column("Đơn vị chịu trách nhiệm", Kind.TEXT, 34),
            *[Column(name, Kind.INTEGER, 12) for name in reasons.values()],
            Column("Việc còn khắc phục được", Kind.INTEGER, 12),
        ]
        rows = [
            (
                code,
                self._unit_name(code),
                *(counts.get((code, reason), 0) for reason in reasons),
                fixable.get(code, 0),
            )
            for code in units
        ]
        page.sections.append(
            Section(
                "Tổng hợp",
                [
                    Figures(figures) if figures else Note("Không có việc cần làm hôm nay."),
                    *([Table(columns, rows, frozen_header=True)] if rows else []),
                ],
            )
        )
        total = sum(counts.values())
        urgent = worklist.watchlist(self.marts, limit=self.limits.today)
        table = table_of(
            urgent,
            worklist.WATCH_FIELDS,
            caption=f"{number(total)} hồ sơ cần theo dõi. Thứ tự: sắp đến hạn (còn kịp giữ điểm), "
            "đã quá hạn, rồi các lý do khác; trong mỗi lý do, hạn thực hiện sớm nhất trước.",
            more=(
                f"… và {number(total - len(urgent))} hồ sơ khác: xem tệp Excel hằng ngày của "
                "từng đơn vị hoặc bảng marts.dossier_watchlist."
                if total > len(urgent)
                else None
            ),
        )
        page.sections.append(
            Section("Hồ sơ cần xử lý gấp", [table if urgent else Note("Không có hồ sơ nào.")])
        )
        if self.findings is not None:
            page.sections.append(self._urgent_findings_section())
        return page

    def _urgent_findings_section(self) -> Section:
        """The findings that can still be fixed: a count per finding type (how many are already
        late to act, how many fall due today), then the first of them in the worklist's order
        (still in time first, earliest by-when first)."""
        total = self.findings.total if self.findings else 0
        if not total:
            return Section("Việc cần khắc phục gấp", [Note("Không có việc cần khắc phục.")])
        summary = worklist.finding_summary(self.marts, self.catalogue, self.data_as_of)
        urgent = worklist.actionable_findings(self.marts, self.data_as_of, limit=self.limits.today)
        late = sum(row[2] for row in summary)
        table = table_of(
            urgent,
            worklist.finding_fields(self.catalogue),
            caption=f"{number(total)} việc còn khắc phục được, {number(late)} việc đã quá hạn "
            "thực hiện. Việc còn trong hạn trước, hạn thực hiện sớm nhất trước; sau đó việc đã "
            "quá hạn thực hiện.",
            more=(
                f"… và {number(total - len(urgent))} việc khác: xem tệp Excel hằng ngày của "
                f"từng đơn vị; {FULL_FINDINGS_LIST}."
                if total > len(urgent)
                else None
            ),
        )
        return Section("Việc cần khắc phục gấp", [Table(worklist.SUMMARY_COLUMNS, summary), table])

    def _units_with_pages(self) -> list[str]:
        """Units with a row in the period and activity: dossiers handled or received, or
        open findings. The others are listed on the summary page."""
        return [code for code in self._scored_units() if self._has_activity(code)]

    def _scored_units(self) -> list[str]:
        present = {r["unit_code"] for r in self.indicators if r["rollup"] == "SELF"}
        return [code for code in self.tree if code in present]

    def _has_activity(self, code: str) -> bool:
        for indicator in ("PROGRESS_ON_TIME", "DOSSIER_SYNC"):
            row = self._indicator(code, "SELF", indicator)
            if row and (row["denominator"] or 0) > 0:
                return True
        return bool(self._unit_open_findings(code))

    def _unit_open_findings(self, code: str) -> int:
        """Open findings of the unit's own dossiers or that it must act on."""
        return self.findings.per_unit.get(code, 0) if self.findings is not None else 0

    def _summary_page(self, taken: set[str]) -> Page:
        page = Page(
            title=f"Tổng hợp toàn địa bàn — {self.area.name}",
            sheet=sheet_name("Tổng hợp", taken),
            anchor="tong-hop",
        )
        open_findings = self.findings.total if self.findings is not None else None
        figures = self._key_figures(self.area.code, "AREA", open_findings)
        page.sections.append(Section("Kết quả toàn địa bàn", [figures]))
        page.sections.append(self._scorecard_section())
        page.sections.append(
            self._total_trend_section(self.area.code, "AREA", "Tổng điểm toàn địa bàn theo tháng")
        )
        idle = [c for c in self._scored_units() if not self._has_activity(c)]
        if idle:
            names = "; ".join(f"{self.units[c].name} ({c})" for c in idle)
            page.sections.append(
                Section(
                    "Đơn vị không phát sinh hồ sơ trong kỳ",
                    [Note(f"Không có trang riêng: {names}.")],
                )
            )
        return page

    def _key_figures(self, code: str, rollup: str, open_findings: int | None) -> Figures | Note:
        """Total, band, rank (units), dossiers to handle, on-time rate, late dossiers, online
        share and open worklist items of one row of the scorecard."""
        items: list[Figure] = []
        score = (self.scorecard or {}).get((code, rollup))
        if score:
            items += [
                Figure("Tổng điểm", round_half_up(score["total"]), Kind.POINTS),
                Figure("Xếp loại", _band(score)),
            ]
            if rollup != "AREA":
                rank = score["rank_in_parent"]
                shown = f"{rank}/{score['siblings']}" if rank is not None else "Không xếp hạng"
                items.append(Figure("Hạng trong các đơn vị cùng cấp", shown))
        stake = (self.at_stake or {}).get(code) if rollup == "SELF" else None
        if stake:
            items += [
                Figure(AT_STAKE_COLUMNS[0].header, stake["due_soon_dossiers"], Kind.INTEGER),
                Figure(AT_STAKE_COLUMNS[1].header, stake["points_lost_if_late"], Kind.POINTS),
            ]
        deadline = (self.deadlines or {}).get((code, rollup))
        if deadline:
            late = deadline["completed_late"] + deadline["in_progress_overdue"]
            items += [
                Figure("Hồ sơ phải giải quyết", deadline["handled"], Kind.INTEGER),
                Figure("Tỷ lệ đúng hạn", deadline["on_time_rate"], Kind.RATIO),
                Figure("Hồ sơ quá hạn", late, Kind.INTEGER),
                Figure("Tỷ lệ nộp trực tuyến", deadline["online_share"], Kind.RATIO),
            ]
        if open_findings is not None:
            items.append(Figure("Việc cần xử lý đang mở", open_findings, Kind.INTEGER))
        if not items:
            return Note(f"{NO_DATA}: bảng điểm và chỉ số thời hạn chưa được xây dựng.", True)
        return Figures(items)

    def _group_columns(self) -> list[Column]:
        columns = [
            Column(f"{name} ({_max(self.group_max[g])})", Kind.POINTS, 12)
            for g, name in self.catalogue.groups.items()
        ]
        total = sum(m for m in self.group_max.values() if m is not None)
        return [*columns, Column(f"Tổng điểm ({_max(total)})", Kind.POINTS, 11)]

    def _score_values(self, row: dict) -> tuple:
        return tuple(row[labels.GROUP_COLUMNS[g]] for g in self.catalogue.groups) + (row["total"],)

    def _scorecard_section(self) -> Section:
        section = Section(f"Bảng điểm các đơn vị — {self.period.label_vi}")
        if self.scorecard is None:
            section.blocks.append(Note(f"{NO_DATA}: bảng điểm (unit_scorecard).", True))
            return section
        columns = [
            Column("Mã đơn vị", Kind.TEXT, 15),
            Column("Tên đơn vị", Kind.TEXT, 34),
            Column("Cấp", Kind.TEXT, 16),
            Column("Phạm vi", Kind.TEXT, 20),
            *self._group_columns(),
            *(AT_STAKE_COLUMNS if self.at_stake is not None else []),
            Column("Xếp loại", Kind.TEXT, 11),
            Column("Hạng", Kind.INTEGER, 7),
            Column("Số đơn vị cùng cấp", Kind.INTEGER, 9),
        ]
        keys = [(self.area.code, "AREA")]
        for code in self.tree:
            keys.append((code, "SELF"))
            if self.children.get(code):
                keys.append((code, "SUBTREE"))
        rows, self_totals = [], []
        for code, rollup in keys:
            score = self.scorecard.get((code, rollup))
            if score is None:
                continue
            unit = self.units[code]
            if rollup == "SELF" and score["rank_in_parent"] is not None:
                self_totals.append((score["total"], code, len(rows)))
            rows.append(
                (
                    code,
                    unit.name,
                    label(labels.LEVELS, unit.level),
                    label(labels.ROLLUPS, rollup),
                    *self._score_values(score),
                    *self._at_stake_values(code, rollup),
                    _band(score),
                    score["rank_in_parent"],
                    score["siblings"],
                )
            )
        lowest = {index for _, _, index in sorted(self_totals)[:LOWEST_UNITS]}
        section.blocks.append(
            Table(
                columns,
                rows,
                caption=f"Điểm theo nhóm chỉ số, làm tròn như Cổng DVC quốc gia. Tô màu: "
                f"{LOWEST_UNITS} đơn vị có tổng điểm thấp nhất (trong các đơn vị được xếp hạng). "
                "Hạng: trong các đơn vị cùng cấp, cùng đơn vị cấp trên."
                + (AT_STAKE_CAPTION if self.at_stake is not None else ""),
                highlighted=lowest,
                frozen_header=True,
            )
        )
        return section

    def _trend_table(self, unit_code: str, rollup: str) -> Table | None:
        if self.scorecard is None:
            return None
        rows = []
        for month, row in self._monthly(SCORECARD_MART, unit_code, rollup):
            values = self._score_values(row) if row else (None,) * (len(self.catalogue.groups) + 1)
            rows.append((month_label(month), *values, _band(row) if row else None))
        columns = [Column("Tháng", Kind.TEXT, 9), *self._group_columns(), Column("Xếp loại")]
        return Table(columns, rows, chart_data=True, frozen_header=True)

    def _total_trend_section(self, unit_code: str, rollup: str, chart_title: str) -> Section:
        section = Section(f"Tổng điểm {TREND_MONTHS} tháng gần nhất")
        table = self._trend_table(unit_code, rollup)
        if table is None:
            section.blocks.append(Note(f"{NO_DATA}: bảng điểm (unit_scorecard).", True))
            return section
        total = len(table.columns) - 2
        compact = Table(
            [table.columns[0], table.columns[total]],
            [(r[0], r[total]) for r in table.rows],
            chart_data=True,
        )
        top = sum(m for m in self.group_max.values() if m is not None)
        section.blocks += [compact, Chart(chart_title, compact, 0, [1], y_max=top)]
        return section

    def _trend_page(self, taken: set[str]) -> Page:
        page = Page(
            title=f"Xu hướng {TREND_MONTHS} tháng — {self.area.name}",
            sheet=sheet_name("Xu hướng", taken),
            anchor="xu-huong",
            subtitle="Chuỗi toàn địa bàn liên tục qua sắp xếp đơn vị hành chính 01/07/2025.",
        )
        section = Section("Điểm theo nhóm chỉ số")
        table = self._trend_table(self.area.code, "AREA")
        if table is None:
            section.blocks.append(Note(f"{NO_DATA}: bảng điểm (unit_scorecard).", True))
        else:
            section.blocks.append(table)
            for index, (group, name) in enumerate(self.catalogue.groups.items(), start=1):
                section.blocks.append(Chart(name, table, 0, [index], y_max=self.group_max[group]))
        page.sections.append(section)
        page.sections.append(self._deadline_trend_section(self.area.code, "AREA"))
        return page

    def _deadline_trend_section(self, unit_code: str, rollup: str) -> Section:
        section = Section("Tỷ lệ đúng hạn và tỷ lệ nộp trực tuyến")
        if self.deadlines is None:
            section.blocks.append(Note(f"{NO_DATA}: chỉ số thời hạn (deadline_metrics).", True))
            return section
        columns = [
            Column("Tháng", Kind.TEXT, 9),
            Column("Hồ sơ phải giải quyết", Kind.INTEGER, 11),
            Column("Quá hạn", Kind.INTEGER, 9),
            Column("Tỷ lệ đúng hạn", Kind.RATIO, 10),
            Column("Tỷ lệ nộp trực tuyến", Kind.RATIO, 10),
        ]
        rows = []
        for month, r in self._monthly("deadline_metrics", unit_code, rollup):
            if r is None:
                rows.append((month_label(month), None, None, None, None))
            else:
                late = r["completed_late"] + r["in_progress_overdue"]
                rows.append(
                    (month_label(month), r["handled"], late, r["on_time_rate"], r["online_share"])
                )
        table = Table(columns, rows, chart_data=True)
        section.blocks += [
            table,
            Chart("Tỷ lệ đúng hạn, tỷ lệ trực tuyến", table, 0, [3, 4], 1.0, Kind.RATIO),
        ]
        return section

    def _official_page(self, taken: set[str]) -> Page:
        page = Page(
            title="Số liệu chính thức và số liệu tính toán",
            sheet=sheet_name("Chính thức - tính toán", taken),
            anchor="chinh-thuc",
            subtitle="Điểm do Cổng DVC quốc gia công bố so với điểm kho dữ liệu tính lại từ hồ sơ.",
        )
        section = Section(self.period.label_vi)
        page.sections.append(section)
        if not self.marts.has("official_vs_computed"):
            section.blocks.append(
                Note(f"{NO_DATA}: đối chiếu chính thức (official_vs_computed).", True)
            )
            return page
        rows = self.marts.rows(
            "SELECT * FROM marts.official_vs_computed "
            "WHERE period_type = $ptype AND period_start = $pstart "
            "ORDER BY abs(delta_points) DESC NULLS LAST, unit_code, indicator_code",
            self.params,
        )
        fields = [
            from_row("Mã đơn vị", Kind.TEXT, 15, "unit_code"),
            from_row("Tên đơn vị", Kind.TEXT, 30, lambda r: self._unit_name(r["unit_code"])),
            from_row(
                "Chỉ tiêu", Kind.TEXT, 36, lambda r: self.catalogue.indicator(r["indicator_code"])
            ),
            from_row("Tử số chính thức", Kind.INTEGER, 10, "official_numerator"),
            from_row("Mẫu số chính thức", Kind.INTEGER, 10, "official_denominator"),
            from_row(
                "Điểm chính thức", Kind.POINTS, 10, lambda r: round_half_up(r["official_points"])
            ),
            from_row("Tử số tính toán", Kind.INTEGER, 10, "computed_numerator"),
            from_row("Mẫu số tính toán", Kind.INTEGER, 10, "computed_denominator"),
            from_row(
                "Điểm tính toán", Kind.POINTS, 10, lambda r: round_half_up(r["computed_points"])
            ),
            from_row("Chênh lệch", Kind.POINTS, 10, lambda r: round_half_up(r["delta_points"])),
        ]
        table = table_of(
            rows,
            fields,
            caption="Tô màu: chênh lệch từ 0,01 điểm trở lên.",
            print_limit=WORKLIST_PRINT_LIMIT,
            frozen_header=True,
        )
        table.highlighted = {
            i for i, r in enumerate(rows) if abs(r["delta_points"] or 0) >= 0.01 - 1e-9
        }
        section.blocks.append(table if rows else Note("Không có chỉ tiêu chính thức trong kỳ."))
        return page

    def _unit_name(self, code: str | None) -> str:
        unit = self.units.get(code)
        return unit.name if unit else (code or "")

    def _sync_page(self, taken: set[str]) -> Page:
        page = Page(
            title="Đồng bộ hồ sơ với Cổng DVC quốc gia",
            sheet=sheet_name("Đồng bộ DVCQG", taken),
            anchor="dong-bo",
            subtitle="Hồ sơ tiếp nhận trên hệ thống một cửa so với bản sao trên Cổng DVC quốc gia, "
            "cộng theo ngày tiếp nhận trong kỳ.",
        )
        section = Section(self.period.label_vi)
        page.sections.append(section)
        if not self.marts.has("sync_reconciliation"):
            section.blocks.append(Note(f"{NO_DATA}: đối soát đồng bộ (sync_reconciliation).", True))
            return page
        rows = self.marts.rows(
            "SELECT unit_code, sum(received_one_stop) AS received_one_stop, "
            "sum(received_national) AS received_national, sum(synced) AS synced, "
            "sum(not_synced) AS not_synced, sum(status_out_of_sync) AS status_out_of_sync, "
            "median(median_sync_lag_hours) AS lag_hours "
            "FROM marts.sync_reconciliation WHERE date >= $pstart AND date < $next "
            "GROUP BY unit_code",
            {"pstart": self.period.start, "next": self.period.next_start},
        )
        order = {code: i for i, code in enumerate([self.area.code, *self.tree])}
        rows.sort(key=lambda r: (order.get(r["unit_code"], len(order)), r["unit_code"]))
        fields = [
            from_row("Mã đơn vị", Kind.TEXT, 15, "unit_code"),
            from_row("Tên đơn vị", Kind.TEXT, 34, lambda r: self._unit_name(r["unit_code"])),
            from_row("Tiếp nhận (một cửa)", Kind.INTEGER, 11, "received_one_stop"),
            from_row("Tiếp nhận (DVCQG)", Kind.INTEGER, 11, "received_national"),
            from_row("Đã đồng bộ", Kind.INTEGER, 10, "synced"),
            from_row("Chưa đồng bộ", Kind.INTEGER, 10, "not_synced"),
            from_row("Lệch trạng thái", Kind.INTEGER, 10, "status_out_of_sync"),
            from_row("Độ trễ đồng bộ (giờ, trung vị)", Kind.DECIMAL, 12, "lag_hours"),
        ]
        table = table_of(
            rows,
            fields,
            caption="Tô màu: đơn vị còn hồ sơ chưa đồng bộ hoặc lệch trạng thái. Độ trễ: trung vị "
            "của các trung vị theo ngày.",
            frozen_header=True,
        )
        table.highlighted = {
            i for i, r in enumerate(rows) if (r["not_synced"] or 0) + (r["status_out_of_sync"] or 0)
        }
        section.blocks.append(table if rows else Note("Không có hồ sơ trong kỳ."))
        return page

    def _worklist_page(self, taken: set[str]) -> Page:
        page = Page(
            title="Việc cần xử lý theo đơn vị chịu trách nhiệm",
            sheet=sheet_name("Việc cần xử lý", taken),
            anchor="viec-can-xu-ly",
            subtitle=f"Các phát hiện còn mở và còn khắc phục được tại thời điểm "
            f"{instant(self.data_as_of)}. Các phát hiện chỉ còn ghi nhận (không thể khắc phục "
            "nữa) ở phụ lục cuối báo cáo.",
        )
        self._findings_summary(page, self.findings, "Không có việc nào đang mở.", True)
        return page

    def _annex_page(self, taken: set[str]) -> Page:
        findings = self._record_only_findings()
        page = Page(
            title=f"Phụ lục: phát hiện chỉ ghi nhận — {self.period.label_vi}",
            sheet=sheet_name("Phụ lục ghi nhận", taken),
            anchor="phu-luc-ghi-nhan",
            subtitle="Phát hiện phát sinh trong kỳ, còn mở tại thời điểm "
            f"{instant(self.data_as_of)}, nhưng không còn khắc phục được (ví dụ hồ sơ đã trả "
            "kết quả mà chưa số hóa): lưu để đánh giá, không giao việc.",
        )
        if findings is not None:
            every = self.marts.value(
                "SELECT count(*) FROM marts.accountability_findings "
                "WHERE resolved_at IS NULL AND NOT is_actionable"
            )
            counts = [
                Figure("Phát hiện chỉ ghi nhận trong kỳ", findings.total, Kind.INTEGER),
                Figure("Tổng số phát hiện chỉ ghi nhận (mọi kỳ)", every, Kind.INTEGER),
            ]
            page.sections.append(Section("Số lượng", [Figures(counts)]))
        self._findings_summary(page, findings, "Không có phát hiện chỉ ghi nhận trong kỳ.", False)
        return page

    def _findings_summary(
        self, page: Page, findings: OpenFindings | None, empty: str, actionable: bool
    ) -> None:
        """A count per responsible unit and kind, then one bounded list per responsible unit."""
        if findings is None:
            page.sections.append(
                Section(
                    "Tổng hợp",
                    [Note(f"{NO_DATA}: việc cần xử lý (accountability_findings).", True)],
                )
            )
            return
        counts = findings.by_responsible
        present = {finding for _, finding in counts}
        order = {code: i for i, code in enumerate(self.tree)}
        responsible = sorted(
            {unit for unit, _ in counts}, key=lambda c: (order.get(c, len(order)), c or "")
        )
        codes = [c for c in self.catalogue.findings if c in present]
        codes += sorted(present - set(codes))
        columns = [
            Column("Mã đơn vị", Kind.TEXT, 15),
            Column("Đơn vị chịu trách nhiệm", Kind.TEXT, 34),
            *[Column(self.catalogue.finding(c), Kind.INTEGER, 12) for c in codes],
            Column("Tổng số", Kind.INTEGER, 9),
            Column("Lâu nhất (ngày làm việc)", Kind.DECIMAL, 11),
        ]
        summary = []
        for code in responsible:
            cells = [counts.get((code, c), (0, None)) for c in codes]
            oldest = max(o for n, o in cells if n)
            total = sum(n for n, _ in cells)
            summary.append((code, self._unit_name(code), *(n for n, _ in cells), total, oldest))
        page.sections.append(
            Section("Tổng hợp", [Table(columns, summary) if summary else Note(empty)])
        )
        lists = findings.responsible_lists
        for row in summary:
            code, total = row[0], row[-2]
            page.sections.append(
                Section(
                    f"{self._unit_name(code)} ({code})",
                    [self._findings_table(lists[code], total, False, actionable)],
                )
            )

    def _findings_table(
        self, findings: list[dict], total: int, show_responsible: bool, actionable: bool = True
    ) -> Table:
        responsible = [from_row("Đơn vị chịu trách nhiệm", Kind.TEXT, 15, "responsible_unit_code")]
        action = [
            from_row("Việc cần làm", Kind.TEXT, 60, "action_vi"),
            from_row(worklist.ACT_BY, Kind.INSTANT, 16, "act_by"),
        ]
        fields = [
            from_row(
                "Loại việc", Kind.TEXT, 34, lambda f: self.catalogue.finding(f["finding_code"])
            ),
            from_row("Mã hồ sơ", Kind.TEXT, 24, "dossier_code"),
            from_row("Đơn vị tiếp nhận", Kind.TEXT, 15, "unit_code"),
            *(responsible if show_responsible else []),
            from_row("Phát hiện lúc", Kind.INSTANT, 16, "detected_at"),
            from_row("Số ngày làm việc tồn", Kind.DECIMAL, 10, "working_days_open"),
            *(action if actionable else []),
            from_row("Nội dung", Kind.TEXT, 80, "detail_vi"),
        ]
        caption = f"{number(total)} việc, lâu nhất trước."
        more = None
        if total > len(findings):
            caption = (
                f"{number(total)} việc; liệt kê {number(len(findings))} việc: mỗi loại tối đa "
                f"{self.limits.findings_per_kind} việc tồn lâu nhất, lâu nhất trước."
            )
            more = (
                f"… và {number(total - len(findings))} việc khác không liệt kê ở đây; "
                f"{FULL_FINDINGS_LIST}."
            )
        return table_of(findings, fields, caption=caption, more=more)

    def _unit_page(self, code: str, taken: set[str]) -> Page:
        unit = self.units[code]
        page = Page(
            title=f"{unit.name} ({code})",
            sheet=sheet_name(f"{code} {unit.name}", taken),
            anchor=f"don-vi-{code}",
            subtitle=f"{label(labels.LEVELS, unit.level)} — hồ sơ do đơn vị tiếp nhận, "
            f"{self.period.label_vi}.",
        )
        open_findings = self._unit_open_findings(code) if self.findings is not None else None
        figures = self._key_figures(code, "SELF", open_findings)
        page.sections.append(Section("Điểm của đơn vị", [figures]))
        page.sections.append(self._indicator_section(code))
        trend = self._total_trend_section(code, "SELF", f"Tổng điểm — {unit.name}")
        page.sections.append(trend)
        page.sections.append(self._lost_points_section(code))
        findings = Section("Việc cần xử lý đang mở")
        if self.findings is None:
            findings.blocks.append(
                Note(f"{NO_DATA}: việc cần xử lý (accountability_findings).", True)
            )
        elif open_findings:
            items = self.findings.unit_lists[code]
            findings.blocks.append(self._findings_table(items, open_findings, True))
        else:
            findings.blocks.append(Note("Không có việc nào đang mở."))
        page.sections.append(findings)
        return page

    def _indicator_section(self, code: str) -> Section:
        rows = [r for r in self.indicators if r["unit_code"] == code and r["rollup"] == "SELF"]
        group_order = {g: i for i, g in enumerate(self.catalogue.groups)}
        rows.sort(
            key=lambda r: (
                group_order.get(r["group_code"], 99),
                self.catalogue.indicator_order(r["indicator_code"]),
                r["indicator_code"],
            )
        )
        columns = [
            Column("Nhóm", Kind.TEXT, 22),
            Column("Mã chỉ tiêu", Kind.TEXT, 30),
            Column("Chỉ tiêu", Kind.TEXT, 40),
            Column("Tử số", Kind.INTEGER, 9),
            Column("Mẫu số", Kind.INTEGER, 9),
            Column("Tỷ lệ", Kind.RATIO, 9),
            Column("Điểm", Kind.POINTS, 8),
            Column("Tối đa", Kind.POINTS, 8),
            Column("Điểm bị mất", Kind.POINTS, 9),
            Column("Nguồn", Kind.TEXT, 22),
        ]
        values, lost = [], set()
        for i, r in enumerate(rows):
            points = round_half_up(r["points"]) if r["points"] is not None else None
            missing = round_half_up(r["max_points"] - (points or 0.0))
            if missing >= LOST:
                lost.add(i)
            values.append(
                (
                    self.catalogue.group(r["group_code"]),
                    r["indicator_code"],
                    self.catalogue.indicator(r["indicator_code"]),
                    r["numerator"],
                    r["denominator"],
                    r["ratio"],
                    points,
                    r["max_points"],
                    missing,
                    label(labels.FLAGS, r["flag"]),
                )
            )
        return Section(
            "Điểm theo chỉ tiêu",
            [
                Table(
                    columns,
                    values,
                    caption="Điểm mỗi chỉ tiêu làm tròn 2 chữ số như Cổng DVC quốc gia. "
                    "Tô màu: chỉ tiêu bị mất điểm.",
                    highlighted=lost,
                )
            ],
        )

    def _lost_points_section(self, code: str) -> Section:
        section = Section("Hồ sơ làm mất điểm")
        lost = self._lost_points()
        if lost is None:
            section.blocks.append(
                Note(f"{NO_DATA}: hồ sơ theo chỉ tiêu (fct_dossier_indicator).", True)
            )
            return section
        rows = [r for r in self.indicators if r["unit_code"] == code and r["rollup"] == "SELF"]
        without_list = []
        for r in sorted(rows, key=lambda r: self.catalogue.indicator_order(r["indicator_code"])):
            missing = r["max_points"] - (round_half_up(r["points"]) or 0.0)
            if missing < LOST:
                continue
            name = self.catalogue.indicator(r["indicator_code"])
            if r["indicator_code"] not in lost.indicators:
                without_list.append(name)
                continue
            dossiers = lost.of(r["indicator_code"], code)
            if dossiers:
                section.blocks.append(self._dossier_table(name, round_half_up(missing), dossiers))
            else:
                section.blocks.append(
                    Note(
                        f"{name}: mất {_points(round_half_up(missing))} điểm — không có hồ sơ "
                        "nào của đơn vị trong mẫu số của chỉ tiêu trong kỳ."
                    )
                )
        if without_list:
            section.blocks.append(
                Note(
                    "Chỉ tiêu mất điểm tính theo thủ tục, phản ánh kiến nghị hoặc số liệu "
                    f"chính thức (không có danh sách hồ sơ): {'; '.join(without_list)}."
                )
            )
        if not section.blocks:
            section.blocks.append(Note("Đơn vị không bị mất điểm ở chỉ tiêu nào."))
        return section

    def _dossier_table(self, indicator_name: str, missing: float, listed: LostPointList) -> Table:
        dossiers = listed.dossiers
        fields = [
            from_row("Mã hồ sơ", Kind.TEXT, 24, "dossier_code"),
            from_row(
                "Thủ tục", Kind.TEXT, 44, lambda d: d["procedure_name"] or d["procedure_code"]
            ),
            from_row("Kênh nộp", Kind.TEXT, 12, lambda d: label(labels.CHANNELS, d["channel"])),
            from_row("Tiếp nhận", Kind.INSTANT, 16, "received_at"),
            from_row("Hạn trả", Kind.INSTANT, 16, "due_at"),
            from_row("Kết thúc", Kind.INSTANT, 16, "finished_at"),
            from_row(
                "Trạng thái",
                Kind.TEXT,
                22,
                lambda d: label(labels.PROGRESS_STATUSES, d["progress_status"]),
            ),
            from_row("Số ngày trễ", Kind.DECIMAL, 8, "working_days_late"),
            from_row("Lý do mất điểm", Kind.TEXT, 40, "reason"),
        ]
        caption = f"{indicator_name}: mất {_points(missing)} điểm — {number(listed.total)} hồ sơ."
        more = None
        if listed.total > len(dossiers):
            caption += (
                f" Liệt kê {number(len(dossiers))} hồ sơ cần xử lý trước: đang giải quyết, "
                "trễ nhiều ngày nhất, tiếp nhận sớm nhất."
            )
            more = (
                f"… và {number(listed.total - len(dossiers))} hồ sơ khác không liệt kê ở đây; "
                f"{FULL_DOSSIER_LIST}."
            )
        return table_of(dossiers, fields, caption=caption, more=more)


def _band(score: dict) -> str:
    """The band's name; a unit with no activity in the period has none (marts.unit_scorecard
    leaves band and rank null) and is shown as such, not as weak."""
    return score["band_name_vi"] or NO_ACTIVITY


def _max(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else _points(value)


def _points(value: float) -> str:
    return number(value, 2)
