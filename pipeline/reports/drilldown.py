"""The dossiers behind each lost point: for every indicator counted over dossiers, which
dossiers of the period (from `marts.fct_dossier`) are outside its numerator, and why.

The populations follow indices.md (§1–§6) as far as the per-dossier facts of the mart carry
them; where an indicator also uses facts the mart does not expose (PAKN links, fee lines,
result files) the list is the mart's best approximation, as docs/reports.md says.
Indicators counted over procedures (ONLINE A/B, PAYMENT B/C, CITIZEN_DATA_CONNECTED_FORMALITY),
petitions (PETITION_*) or official values have no dossier list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipeline.reports.marts import Marts

RECEIVED = "received_at >= $start AND received_at < $end"
HANDLED = "received_at < $end AND (terminal_at IS NULL OR terminal_at >= $start)"
FINISHED = "finished_at >= $start AND finished_at < $end"
LATE = "progress_status IN ('LATE', 'IN_PROGRESS_OVERDUE')"


@dataclass(frozen=True)
class LostPointRule:
    indicator_code: str
    population: str  # SQL over fct_dossier ⋈ dim_procedure: the indicator's denominator
    failing: str  # SQL: in the population, not in the numerator
    reason: str  # SQL: Vietnamese reason shown per dossier


RULES = (
    LostPointRule(
        "DOSSIER_SYNC",
        RECEIVED,
        "NOT coalesce(is_synced, false)",
        "'Chưa có bản sao trên Cổng DVC quốc gia'",
    ),
    LostPointRule(
        "PROGRESS_ON_TIME",
        HANDLED,
        LATE,
        "CASE progress_status WHEN 'LATE' THEN 'Hoàn thành quá hạn' "
        "ELSE 'Đang giải quyết quá hạn' END",
    ),
    LostPointRule(
        "ONLINE_DOSSIER_SHARE",
        RECEIVED,
        "coalesce(channel, 1) <> 2 "
        "OR (coalesce(result_is_document, false) AND NOT coalesce(has_e_result, false))",
        "CASE WHEN coalesce(channel, 1) <> 2 THEN 'Không nộp trực tuyến' "
        "ELSE 'Nộp trực tuyến nhưng chưa có kết quả điện tử' END",
    ),
    LostPointRule(
        "PAYMENT_DOSSIER_ONLINE",
        f"{RECEIVED} AND coalesce(fee_bearing, false)",
        "NOT coalesce(paid_online, false)",
        "'Có phí, lệ phí nhưng không thanh toán trực tuyến'",
    ),
    LostPointRule(
        "DOSSIER_RECEIVING_SATISFACTION",
        HANDLED,
        f"{LATE} OR rating = 'DISSATISFIED'",
        "CASE WHEN rating = 'DISSATISFIED' THEN 'Người dân đánh giá không hài lòng' "
        "ELSE 'Giải quyết quá hạn' END",
    ),
    LostPointRule(
        "ORIGINAL_RESULT_AVAILABLE",
        f"{FINISHED} AND coalesce(result_is_document, false)",
        "NOT coalesce(has_e_result, false)",
        "'Kết quả là giấy tờ nhưng chưa có bản điện tử'",
    ),
    LostPointRule(
        "SO_HOA_GIAY_TO_GIAI_QUYET",
        RECEIVED,
        "NOT coalesce(is_digitized, false)",
        "'Chưa số hóa thành phần hồ sơ'",
    ),
    LostPointRule(
        "REUSED_DIGITIZED_DATA",
        RECEIVED,
        "NOT coalesce(reused_data, false)",
        "'Không tái sử dụng dữ liệu đã số hóa'",
    ),
    LostPointRule(
        "CITIZEN_DATA_CONNECTED_DOSSIER",
        RECEIVED,
        "NOT coalesce(vneid_or_population_db, false)",
        "'Không xác thực VNeID, không khai thác CSDL dân cư'",
    ),
)

RULES_BY_INDICATOR = {rule.indicator_code: rule for rule in RULES}


# Most urgent first: dossiers still in progress (the citizen is still waiting), then the most
# working days late, then the oldest reception.
URGENCY = "finished_at IS NOT NULL, working_days_late DESC NULLS LAST, received_at, dossier_code"
# The same order as one value, for DuckDB's bounded `min_by(…, key, n)` aggregate.
URGENCY_KEY = (
    "{'open': finished_at IS NOT NULL, "
    "'late': coalesce(-working_days_late, 'infinity'::DOUBLE), "
    "'received': received_at, 'dossier': dossier_code}"
)


@dataclass(frozen=True)
class LostPointList:
    """A unit's dossiers failing one rule: how many there are, and the `limit` most urgent."""

    total: int
    dossiers: list[dict]


# The dossiers a rule can list: received and not excluded, with their procedure's facts.
DOSSIERS = """
    SELECT f.rowid AS rid, f.*, p.procedure_name, p.result_is_document
    FROM marts.fct_dossier f
    LEFT JOIN marts.dim_procedure p USING (procedure_code)
    WHERE f.progress_status NOT IN ('NOT_RECEIVED', 'EXCLUDED')
"""


def lost_point_lists(
    marts: Marts,
    rules: list[LostPointRule],
    start: dt.datetime,
    end: dt.datetime,
    limit: int,
) -> dict[str, dict[str, LostPointList]]:
    """Per indicator of `rules` and per unit, the dossiers failing the rule in [start, end):
    their count and the `limit` most urgent (`URGENCY`).

    One pass over `fct_dossier` tags each dossier with the rules it fails; one DuckDB aggregate
    with bounded state counts and picks per rule and unit (no sort of every failing dossier);
    only the picked rows are then read in full, by row id."""
    if not rules:
        return {}
    failing = [f"(({rule.population}) AND ({rule.failing}))" for rule in rules]
    tags = ", ".join(f"CASE WHEN {cond} THEN {i} END" for i, cond in enumerate(failing))
    picked = marts.rows(
        f"""
        WITH d AS ({DOSSIERS}),
        tagged AS (
            SELECT rid, unit_code, {URGENCY_KEY} AS urgency, unnest([{tags}]) AS rule
            FROM d
            WHERE {" OR ".join(failing)}
        )
        SELECT rule, unit_code, count(*) AS total, min_by(rid, urgency, $limit) AS rids
        FROM tagged
        WHERE rule IS NOT NULL
        GROUP BY rule, unit_code
        """,
        {"start": start, "end": end, "limit": limit},
    )
    lists: dict[str, dict[str, LostPointList]] = {rule.indicator_code: {} for rule in rules}
    for r in picked:
        lists[rules[r["rule"]].indicator_code][r["unit_code"]] = LostPointList(r["total"], [])
    pairs = [(rid, r["rule"]) for r in picked for rid in r["rids"]]
    if not pairs:
        return lists
    reasons = " ".join(f"WHEN {i} THEN {rule.reason}" for i, rule in enumerate(rules))
    rows = marts.rows(
        f"""
        WITH d AS ({DOSSIERS}),
        picked AS (SELECT unnest($rids) AS rid, unnest($rules) AS rule)
        SELECT picked.rule, unit_code, dossier_code, procedure_code, procedure_name, channel,
               received_at, due_at, finished_at, progress_status, working_days_late,
               CASE picked.rule {reasons} END AS reason
        FROM d JOIN picked USING (rid)
        WHERE d.rid = ANY($rids)
        ORDER BY picked.rule, unit_code, {URGENCY}
        """,
        {"rids": [rid for rid, _ in pairs], "rules": [rule for _, rule in pairs]},
    )
    for row in rows:
        lists[rules[row["rule"]].indicator_code][row["unit_code"]].dossiers.append(row)
    return lists
