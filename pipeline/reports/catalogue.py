"""The Vietnamese names a report shows that the seeds own, read from the published warehouse:
groups and indicators (`marts.dim_indicator`), finding types (`marts.dim_finding`).

A warehouse published before these marts existed shows the codes themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.reports.labels import GROUP_COLUMNS
from pipeline.reports.marts import Marts


@dataclass(frozen=True)
class Catalogue:
    groups: dict[str, str]  # group code → name, in the portal's order
    indicators: dict[str, str]  # indicator code → name, by group then code
    findings: dict[str, str]  # finding code → name, by code

    @classmethod
    def read(cls, marts: Marts) -> Catalogue:
        groups = {code: code for code in GROUP_COLUMNS}
        indicators: dict[str, str] = {}
        if marts.has("dim_indicator"):
            for r in marts.rows(
                "SELECT indicator_code, indicator_name_vi, group_code, group_name_vi "
                "FROM marts.dim_indicator ORDER BY group_display_order, indicator_code"
            ):
                groups[r["group_code"]] = r["group_name_vi"]
                indicators[r["indicator_code"]] = r["indicator_name_vi"]
        findings = {}
        if marts.has("dim_finding"):
            findings = dict(
                (r["finding_code"], r["finding_name_vi"])
                for r in marts.rows(
                    "SELECT finding_code, finding_name_vi FROM marts.dim_finding "
                    "ORDER BY finding_code"
                )
            )
        return cls(groups, indicators, findings)

    def group(self, code: str | None) -> str:
        return self.groups.get(code, code or "")

    def indicator(self, code: str | None) -> str:
        return self.indicators.get(code, code or "")

    def finding(self, code: str | None) -> str:
        return self.findings.get(code, code or "")

    def indicator_order(self, code: str) -> int:
        """Position of an indicator in the catalogue (unknown codes last)."""
        order = list(self.indicators)
        return order.index(code) if code in order else len(order)
