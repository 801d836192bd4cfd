"""Calendar periods: a month, quarter or year (indices.md §0.1) — the one period type of the
evaluation API's requests, the marts (`period_type`, `period_start`) and the reports — and the
month arithmetic everything else uses (`add_months`)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}
_ROMAN = ("I", "II", "III", "IV")


def add_months(day: dt.date, months: int) -> dt.date:
    """The first of the month `months` after `day`'s month (negative: before)."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def trailing_months(last: dt.date, count: int) -> list[dt.date]:
    """First days of the `count` months ending with `last`'s month, oldest first."""
    return [add_months(last.replace(day=1), offset) for offset in range(1 - count, 1)]


@dataclass(frozen=True, order=True)
class Period:
    period_type: str  # month, quarter or year, as in the marts
    start: dt.date

    @classmethod
    def parse(cls, text: str) -> Period:
        """`2026-10` (month), `2026-Q4` (quarter) or `2026` (year)."""
        value = text.strip().upper()
        if match := re.fullmatch(r"(\d{4})-(\d{1,2})", value):
            year, month = int(match[1]), int(match[2])
            if 1 <= month <= 12:
                return cls("month", dt.date(year, month, 1))
        elif match := re.fullmatch(r"(\d{4})-Q([1-4])", value):
            return cls("quarter", dt.date(int(match[1]), 3 * int(match[2]) - 2, 1))
        elif re.fullmatch(r"\d{4}", value):
            return cls("year", dt.date(int(value), 1, 1))
        raise ValueError(f"not a period (expected 2026-10, 2026-Q4 or 2026): {text!r}")

    @classmethod
    def month_of(cls, day: dt.date) -> Period:
        return cls("month", day.replace(day=1))

    @classmethod
    def covering(cls, first: dt.date, last: dt.date) -> list[Period]:
        """Every month, quarter and year overlapping [first, last]."""
        periods = []
        for kind, months in PERIOD_MONTHS.items():
            start = dt.date(first.year, first.month - (first.month - 1) % months, 1)
            while start <= last:
                period = cls(kind, start)
                periods.append(period)
                start = period.next_start
        return periods

    @property
    def number(self) -> int:
        """The month (1–12) of a month, the quarter (1–4) of a quarter."""
        return self.start.month if self.period_type == "month" else (self.start.month - 1) // 3 + 1

    @property
    def next_start(self) -> dt.date:
        return add_months(self.start, PERIOD_MONTHS[self.period_type])

    @property
    def end(self) -> dt.date:
        """Last calendar day (period_end in the marts)."""
        return self.next_start - dt.timedelta(days=1)

    def previous(self) -> Period:
        return Period(self.period_type, add_months(self.start, -PERIOD_MONTHS[self.period_type]))

    @property
    def key(self) -> str:
        """`2026-11`, `2026-q4` or `2026`: the report's folder and file-name suffix."""
        if self.period_type == "month":
            return f"{self.start:%Y-%m}"
        if self.period_type == "quarter":
            return f"{self.start.year}-q{self.number}"
        return f"{self.start.year}"

    @property
    def typed_key(self) -> str:
        """`month-2026-11`, `quarter-2026-Q4` or `year-2026`: the landed evaluation's `period`."""
        if self.period_type == "month":
            return f"month-{self.start:%Y-%m}"
        if self.period_type == "quarter":
            return f"quarter-{self.start.year}-Q{self.number}"
        return f"year-{self.start.year}"

    @property
    def label_vi(self) -> str:
        if self.period_type == "month":
            return f"Tháng {self.start.month}/{self.start.year}"
        if self.period_type == "quarter":
            return f"Quý {_ROMAN[self.number - 1]}/{self.start.year}"
        return f"Năm {self.start.year}"
