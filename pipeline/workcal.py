"""Vietnamese working-day calendar and working-minute arithmetic (domain.md §4, indices.md §0.4).

Holidays, substituted days off and government-declared working Saturdays come from the
`holidays` package (`holidays.VN`, pinned in the lock file); local decisions come from the
override seed `dbt_project/seeds/calendar_overrides.csv`. The same arithmetic exists in SQL
(`dbt_project/macros/working_time.sql`); tests check that both agree.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import holidays

from pipeline.periods import add_months

# The one time zone of the warehouse (Vietnam has no daylight saving time): Dagster's schedules
# and partitions, DuckDB sessions and dbt (WAREHOUSE_TIMEZONE, runtime.dbt_environment) read it.
TIMEZONE = "Asia/Ho_Chi_Minh"
VN_TZ = dt.timezone(dt.timedelta(hours=7), TIMEZONE)

MORNING_OPEN = dt.time(7, 0)
MORNING_CLOSE = dt.time(11, 30)
AFTERNOON_OPEN = dt.time(13, 30)
AFTERNOON_CLOSE = dt.time(17, 0)
MORNING_MINUTES = 270
DAY_MINUTES = 480

OVERRIDES_SEED = (
    Path(__file__).resolve().parent.parent / "dbt_project" / "seeds" / "calendar_overrides.csv"
)


@dataclass(frozen=True)
class CalendarDay:
    date: dt.date
    is_working_day: bool
    holiday_name: str | None


def load_overrides(path: Path = OVERRIDES_SEED) -> dict[dt.date, tuple[bool, str | None]]:
    """Local decisions that override `holidays.VN`: date -> (is_working_day, name)."""
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as fh:
        return {
            dt.date.fromisoformat(row["date"]): (
                row["is_working_day"].strip().lower() == "true",
                row["name"] or None,
            )
            for row in csv.DictReader(fh)
        }


def calendar_days(start: dt.date, end: dt.date) -> list[CalendarDay]:
    """Every date in [start, end] with its working-day flag and holiday name."""
    vn = holidays.VN(years=range(start.year, end.year + 1))
    overrides = load_overrides()
    days = []
    day = start
    while day <= end:
        if day in overrides:
            working, name = overrides[day]
        else:
            working, name = vn.is_working_day(day), vn.get(day)
        days.append(CalendarDay(day, working, name))
        day += dt.timedelta(days=1)
    return days


class WorkingCalendar:
    """Working-minute arithmetic over a fixed span of years.

    A point in time maps to a working-minute index: the number of office minutes elapsed
    since the first working day of the span. Instants outside office hours map to the next
    opening (normalised reception).
    """

    def __init__(self, first_year: int, last_year: int):
        days = calendar_days(dt.date(first_year, 1, 1), dt.date(last_year, 12, 31))
        self.first = days[0].date
        self.last = days[-1].date
        self.working_days: list[dt.date] = [d.date for d in days if d.is_working_day]

    @cached_property
    def _ordinal_by_date(self) -> dict[dt.date, int]:
        return {d: i for i, d in enumerate(self.working_days)}

    def is_working_day(self, day: dt.date) -> bool:
        return day in self._ordinal_by_date

    def next_working_day(self, day: dt.date, *, strictly_after: bool = False) -> dt.date:
        i = (
            bisect.bisect_right(self.working_days, day)
            if strictly_after
            else bisect.bisect_left(self.working_days, day)
        )
        return self.working_days[i]

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day after `day` (n >= 1), or `day` itself rolled forward for n = 0."""
        if n == 0:
            return self.next_working_day(day)
        return self.working_days[bisect.bisect_right(self.working_days, day) - 1 + n]

    @staticmethod
    def _local(ts: dt.datetime) -> dt.datetime:
        if ts.tzinfo is None:
            raise ValueError("timestamps must carry a time zone")
        return ts.astimezone(VN_TZ)

    def normalise(self, ts: dt.datetime) -> dt.datetime:
        """Normalised reception (indices.md §0.4): the next instant the office is open."""
        ts = self._local(ts)
        t = ts.timetz().replace(tzinfo=None)
        day = ts.date()
        if self.is_working_day(day):
            if t < MORNING_OPEN:
                return _at(day, MORNING_OPEN)
            if t < MORNING_CLOSE:
                return ts
            if t < AFTERNOON_OPEN:
                return _at(day, AFTERNOON_OPEN)
            if t < AFTERNOON_CLOSE:
                return ts
        return _at(self.next_working_day(day, strictly_after=True), MORNING_OPEN)

    def working_minute_index(self, ts: dt.datetime) -> float:
        """Office minutes elapsed since the span's first opening, at `ts` (normalised)."""
        ts = self.normalise(ts)
        ordinal = self._ordinal_by_date[ts.date()]
        minutes = (ts - _at(ts.date(), MORNING_OPEN)).total_seconds() / 60
        if minutes >= MORNING_MINUTES:
            minutes -= 120  # the lunch break
        return ordinal * DAY_MINUTES + minutes

    def instant_at(self, index: float) -> dt.datetime:
        """Inverse of `working_minute_index`; a boundary maps to the closing time (11:30, 17:00)."""
        day_no, minute = divmod(index, DAY_MINUTES)
        if minute == 0 and day_no > 0:
            day_no, minute = day_no - 1, DAY_MINUTES
        day = self.working_days[int(day_no)]
        offset = minute if minute <= MORNING_MINUTES else minute + 120
        return _at(day, MORNING_OPEN) + dt.timedelta(minutes=offset)

    def working_minutes_between(self, start: dt.datetime, end: dt.datetime) -> float:
        return self.working_minute_index(end) - self.working_minute_index(start)

    def statutory_due(
        self,
        received: dt.datetime,
        processing_time: float,
        unit: str,
        same_day_cutoff: dt.time | None = None,
    ) -> dt.datetime:
        """Statutory due instant of indices.md §0.4 for a procedure's time limit."""
        received = self._local(received)
        if same_day_cutoff is not None and processing_time == 0:
            day = received.date()
            clock = received.timetz().replace(tzinfo=None)
            if self.is_working_day(day) and clock <= same_day_cutoff:
                return _at(day, AFTERNOON_CLOSE)
            return _at(self.next_working_day(day, strictly_after=True), AFTERNOON_CLOSE)
        start = self.normalise(received)
        if unit == "WORKING_DAY":
            return self.instant_at(self.working_minute_index(start) + processing_time * DAY_MINUTES)
        if unit == "HOUR":
            return self.instant_at(self.working_minute_index(start) + processing_time * 60)
        if unit == "DAY":
            return self._roll_forward(start + dt.timedelta(days=processing_time))
        if unit == "MONTH":
            return self._roll_forward(_add_months(start, int(processing_time)))
        raise ValueError(f"unknown processing time unit {unit!r}")

    def _roll_forward(self, ts: dt.datetime) -> dt.datetime:
        day = self.next_working_day(ts.date())
        return ts if day == ts.date() else ts.replace(year=day.year, month=day.month, day=day.day)


def _at(day: dt.date, clock: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, clock, tzinfo=VN_TZ)


def _add_months(ts: dt.datetime, months: int) -> dt.datetime:
    first = add_months(ts.date(), months)
    last_day = (add_months(first, 1) - dt.timedelta(days=1)).day
    return ts.replace(year=first.year, month=first.month, day=min(ts.day, last_day))
