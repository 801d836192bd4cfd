"""What a unit must do today, as report tables: the open dossiers of `marts.dossier_watchlist`
(most urgent first) and the open findings someone can still act on
(`marts.accountability_findings` with `is_actionable`, those still in time first, each group
earliest `act_by` first, with a count per finding type on top), each row with what to do
(`action_vi`) and by when (`act_by`). The area report's first section and the daily workbook of
each responsible unit (`daily.py`) are built from these.
"""

from __future__ import annotations

import datetime as dt

from pipeline.reports.catalogue import Catalogue
from pipeline.reports.marts import Marts
from pipeline.reports.model import Column, Field, Kind, from_row
from pipeline.workcal import VN_TZ

# The watchlist's reasons in the order a head deals with them: first the dossiers about to turn
# late (the only moment an apology and a new appointment still protect the citizen and the
# score), then the late ones, then the rest. Their names come from the mart's
# `watch_reason_vi`.
WATCH_REASONS = ("DUE_SOON", "OVERDUE", "PAUSED_TOO_LONG", "NOT_SYNCED", "RESULT_NOT_AT_COUNTER")
# Reasons about the due date: for them the working time left is shown.
DEADLINE_REASONS = ("DUE_SOON", "OVERDUE")
# Most urgent first: by reason as above, then the earliest time to act (`act_by`, passed when
# already late to act), then the least working time left, then the code.
WATCH_ORDER = (
    "array_position($reasons, watch_reason), act_by, working_minutes_left NULLS LAST, "
    "w.dossier_code"
)
# Today's items first, as in the watchlist: those still in time (act_by at or after AS_OF, the
# earliest first), then those already late to act (the longest overdue first); then the oldest,
# then the code.
FINDING_ORDER = (
    "act_by < $as_of, act_by, working_days_open DESC NULLS LAST, dossier_code, finding_code"
)
MINUTES_PER_HOUR = 60
ACT_BY = "Hạn thực hiện"  # the by-when column of every worklist table


def _hours_left(row: dict) -> float | None:
    """Working hours to the due date, negative when late: for the reasons about it only."""
    minutes = row["working_minutes_left"]
    if minutes is None or row["watch_reason"] not in DEADLINE_REASONS:
        return None
    return round(minutes / MINUTES_PER_HOUR, 1)


WATCH_FIELDS = [
    from_row("Mã hồ sơ", Kind.TEXT, 24, "dossier_code"),
    from_row("Thủ tục", Kind.TEXT, 40, lambda r: r["procedure_name"] or r["procedure_code"]),
    from_row("Đơn vị tiếp nhận", Kind.TEXT, 15, "unit_code"),
    from_row("Đơn vị chịu trách nhiệm", Kind.TEXT, 15, "responsible_unit_code"),
    from_row("Lý do theo dõi", Kind.TEXT, 26, "watch_reason_vi"),
    from_row("Tiếp nhận", Kind.INSTANT, 16, "received_at"),
    from_row("Hạn trả", Kind.INSTANT, 16, "due_at"),
    from_row("Giờ làm việc còn lại (âm: đã quá hạn)", Kind.DECIMAL, 12, _hours_left),
    from_row("Việc cần làm", Kind.TEXT, 60, "action_vi"),
    from_row(ACT_BY, Kind.INSTANT, 16, "act_by"),
]


def finding_fields(catalogue: Catalogue) -> list[Field]:
    return [
        from_row("Loại việc", Kind.TEXT, 34, lambda r: catalogue.finding(r["finding_code"])),
        from_row("Mã hồ sơ", Kind.TEXT, 24, "dossier_code"),
        from_row("Đơn vị tiếp nhận", Kind.TEXT, 15, "unit_code"),
        from_row("Đơn vị chịu trách nhiệm", Kind.TEXT, 15, "responsible_unit_code"),
        from_row("Phát hiện lúc", Kind.INSTANT, 16, "detected_at"),
        from_row("Số ngày làm việc tồn", Kind.DECIMAL, 10, "working_days_open"),
        from_row("Việc cần làm", Kind.TEXT, 60, "action_vi"),
        from_row(ACT_BY, Kind.INSTANT, 16, "act_by"),
        from_row("Nội dung", Kind.TEXT, 80, "detail_vi"),
    ]


# The count per finding type above a list of actionable findings: how many, how many are
# already late to act (act_by before AS_OF), how many fall due later on AS_OF's day, and the
# earliest by-when.
SUMMARY_COLUMNS = [
    Column("Loại việc cần khắc phục", Kind.TEXT, 34),
    Column("Số việc", Kind.INTEGER, 10),
    Column("Đã quá hạn thực hiện", Kind.INTEGER, 12),
    Column("Đến hạn trong hôm nay", Kind.INTEGER, 12),
    Column("Hạn sớm nhất", Kind.INSTANT, 16),
]


def watchlist(marts: Marts, responsible: str | None = None, limit: int | None = None) -> list[dict]:
    """Watchlist rows, most urgent first: of one responsible unit, or of all; at most `limit`."""
    where = "WHERE responsible_unit_code = $unit" if responsible is not None else ""
    params: dict = {"reasons": list(WATCH_REASONS)}
    if responsible is not None:
        params["unit"] = responsible
    return marts.rows(
        f"""
        SELECT w.*, p.procedure_name
        FROM marts.dossier_watchlist w
        LEFT JOIN marts.dim_procedure p ON p.procedure_code = w.procedure_code
        {where}
        ORDER BY {WATCH_ORDER}
        {"LIMIT " + str(int(limit)) if limit is not None else ""}
        """,
        params,
    )


def actionable_findings(
    marts: Marts, as_of: dt.datetime, responsible: str | None = None, limit: int | None = None
) -> list[dict]:
    """The open findings one unit (or every unit) must act on and still can, at AS_OF, in
    `FINDING_ORDER`; at most `limit`."""
    where = "AND responsible_unit_code = $unit" if responsible is not None else ""
    params: dict = {"as_of": as_of}
    if responsible is not None:
        params["unit"] = responsible
    return marts.rows(
        "SELECT finding_code, dossier_code, unit_code, responsible_unit_code, detected_at, "
        "working_days_open, action_vi, act_by, detail_vi FROM marts.accountability_findings "
        f"WHERE resolved_at IS NULL AND is_actionable {where} ORDER BY {FINDING_ORDER}"
        + (f" LIMIT {int(limit)}" if limit is not None else ""),
        params,
    )


def finding_summary(
    marts: Marts, catalogue: Catalogue, as_of: dt.datetime, responsible: str | None = None
) -> list[tuple]:
    """One row per finding type of the actionable findings (of one unit, or of all), in
    `SUMMARY_COLUMNS`, the type with the earliest by-when first."""
    end_of_day = dt.datetime.combine(
        as_of.astimezone(VN_TZ).date() + dt.timedelta(days=1), dt.time(), VN_TZ
    )
    where = "AND responsible_unit_code = $unit" if responsible is not None else ""
    params: dict = {"as_of": as_of, "end_of_day": end_of_day}
    if responsible is not None:
        params["unit"] = responsible
    rows = marts.rows(
        "SELECT finding_code, count(*) AS n, count(*) FILTER (WHERE act_by < $as_of) AS late, "
        "count(*) FILTER (WHERE act_by >= $as_of AND act_by < $end_of_day) AS today, "
        "min(act_by) AS earliest FROM marts.accountability_findings "
        f"WHERE resolved_at IS NULL AND is_actionable {where} "
        "GROUP BY finding_code ORDER BY earliest, finding_code",
        params,
    )
    return [
        (catalogue.finding(r["finding_code"]), r["n"], r["late"], r["today"], r["earliest"])
        for r in rows
    ]


def watch_counts(marts: Marts) -> dict[tuple[str, str], int]:
    """(responsible unit, watch reason) → open dossiers."""
    return {
        (r["responsible_unit_code"], r["watch_reason"]): r["n"]
        for r in marts.rows(
            "SELECT responsible_unit_code, watch_reason, count(*) AS n "
            "FROM marts.dossier_watchlist GROUP BY ALL"
        )
    }


def reason_names(marts: Marts) -> dict[str, str]:
    """Watch reason → its Vietnamese name as the mart writes it, in `WATCH_REASONS` order."""
    names = dict(
        (r["watch_reason"], r["watch_reason_vi"])
        for r in marts.rows(
            "SELECT DISTINCT watch_reason, watch_reason_vi FROM marts.dossier_watchlist"
        )
    )
    ordered = {code: names[code] for code in WATCH_REASONS if code in names}
    return {**ordered, **{code: names[code] for code in sorted(set(names) - set(ordered))}}
