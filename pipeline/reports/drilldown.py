"""The dossiers behind each lost point, read from `marts.fct_dossier_indicator`: for every
indicator counted over dossiers, the dossiers of a period's denominator outside its numerator,
with the warehouse's reason (`reason_vi`).

The `ind_*` models aggregate the same rows, so a list's count is exactly the indicator's
denominator minus its numerator, and an analyst asks the warehouse the same question in SQL.
Indicators counted over procedures, petitions or official values have no rows there, hence no
list.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.reports.marts import Marts

# Most urgent first: dossiers still in progress (the citizen is still waiting), then the most
# working days late (none last), then the oldest reception; as one value, for DuckDB's bounded
# `min_by(…, key, n)` aggregate.
URGENCY_KEY = (
    "{'open': d.finished_at IS NOT NULL, "
    "'late': coalesce(-d.working_days_late, 'infinity'::DOUBLE), "
    "'received': d.received_at, 'dossier': d.dossier_code}"
)


@dataclass(frozen=True)
class LostPointList:
    """A unit's dossiers outside one indicator's numerator: how many there are, and the
    `limit` most urgent."""

    total: int
    dossiers: list[dict]


@dataclass(frozen=True)
class LostPoints:
    """The period's drill-down: which indicators are counted over dossiers (they have a
    list, possibly empty), and per indicator and unit the list."""

    indicators: set[str]
    lists: dict[str, dict[str, LostPointList]]

    def of(self, indicator_code: str, unit_code: str) -> LostPointList | None:
        return self.lists.get(indicator_code, {}).get(unit_code)


# What a list shows of each dossier, picked in the aggregate itself: reading the picked rows
# again by row id scanned the whole mart (4.2 of the report's 10 s at 3 M dossiers).
LISTED = (
    "{'dossier_code': d.dossier_code, 'procedure_code': d.procedure_code, "
    "'channel': d.channel, 'received_at': d.received_at, 'due_at': d.due_at, "
    "'finished_at': d.finished_at, 'progress_status': d.progress_status, "
    "'working_days_late': d.working_days_late, 'reason': i.reason_vi, "
    "'procedure_name': p.procedure_name}"
)


def lost_point_lists(marts: Marts, period_type: str, period_start, limit: int) -> LostPoints:
    """Per indicator and unit of the period, the dossiers outside the numerator: their count
    and the `limit` most urgent (`URGENCY_KEY`), each with its procedure's name.

    One DuckDB aggregate with bounded state counts and picks per indicator and unit (no sort of
    every failing dossier); `min_by` gives the picked dossiers in the key's order."""
    params = {"ptype": period_type, "pstart": period_start, "limit": limit}
    picked = marts.rows(
        f"""
        SELECT i.indicator_code, i.unit_code,
               count(*) FILTER (WHERE NOT i.in_numerator) AS total,
               min_by({LISTED}, {URGENCY_KEY}, $limit) FILTER (WHERE NOT i.in_numerator)
                   AS dossiers
        FROM marts.fct_dossier_indicator i
        JOIN marts.fct_dossier d USING (dossier_code)
        LEFT JOIN marts.dim_procedure p ON p.procedure_code = d.procedure_code
        WHERE i.period_type = $ptype AND i.period_start = $pstart
        GROUP BY ALL
        """,
        params,
    )
    lists: dict[str, dict[str, LostPointList]] = {}
    for r in picked:
        if r["total"]:
            codes = {"indicator_code": r["indicator_code"], "unit_code": r["unit_code"]}
            dossiers = [codes | d for d in r["dossiers"]]
            lists.setdefault(r["indicator_code"], {})[r["unit_code"]] = LostPointList(
                r["total"], dossiers
            )
    return LostPoints({r["indicator_code"] for r in picked}, lists)
