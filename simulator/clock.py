"""Fast working-time arithmetic on integer epoch seconds, and the wire formats of timestamps.

The simulator places millions of events; `pipeline.workcal.WorkingCalendar` is the reference
(and computes every statutory due instant), this module only re-expresses its working days as
arrays so that moving an instant by working seconds costs a few integer operations.
"""

from __future__ import annotations

import datetime as dt
import functools

from pipeline.workcal import DAY_MINUTES, MORNING_MINUTES, VN_TZ, WorkingCalendar

OFFSET = 7 * 3600  # Vietnam time, no daylight saving
DAY = 86400
WORK_DAY = DAY_MINUTES * 60
MORNING = MORNING_MINUTES * 60
OPEN = 7 * 3600
LUNCH = 2 * 3600
AFTERNOON_OPEN = OPEN + MORNING + LUNCH
CLOSE = AFTERNOON_OPEN + (WORK_DAY - MORNING)
_UNIX = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def epoch(ts: dt.datetime) -> int:
    return int((ts - _UNIX).total_seconds())


def to_datetime(t: int) -> dt.datetime:
    return (_UNIX + dt.timedelta(seconds=t)).astimezone(VN_TZ)


def local_date(t: int) -> dt.date:
    return dt.date.fromordinal(719163 + (t + OFFSET) // DAY)


@functools.lru_cache(maxsize=4096)
def day_strings(days: int) -> tuple[str, str]:
    """`YYYY-MM-DD` and `YYYYMMDD` of a local day (days since 1970-01-01)."""
    d = dt.date.fromordinal(719163 + days)
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}", f"{d.year:04d}{d.month:02d}{d.day:02d}"


@functools.cache
def _time_of_day(second: int) -> tuple[str, str]:
    """`THH:MM:SS.000+0700` and `HHMMSS` of a second of the local day (a few tens of thousands
    of distinct seconds in a world: cached, every page writes a dozen instants per record)."""
    minutes, second = divmod(second, 60)
    hour, minute = divmod(minutes, 60)
    return f"T{hour:02d}:{minute:02d}:{second:02d}.000+0700", f"{hour:02d}{minute:02d}{second:02d}"


def iso(t: int | None) -> str | None:
    """`2025-07-02T08:30:00.000+0700` (sources.md A)."""
    if t is None:
        return None
    days, second = divmod(t + OFFSET, DAY)
    return day_strings(days)[0] + _time_of_day(second)[0]


def compact(t: int | None) -> str:
    """`yyyyMMddHHmmss` in Vietnam time, `""` when absent (sources.md B.1)."""
    if t is None:
        return ""
    days, second = divmod(t + OFFSET, DAY)
    return day_strings(days)[1] + _time_of_day(second)[1]


class Clock:
    """Working seconds over the calendar's span: index 0 is the first working day's 07:00."""

    def __init__(self, calendar: WorkingCalendar):
        self.calendar = calendar
        self.first_day = calendar.first.toordinal() - 719163  # unix day number
        days = (calendar.last - calendar.first).days + 1
        working = {d.toordinal() - 719163 for d in calendar.working_days}
        self.day_of_ordinal = [d.toordinal() - 719163 for d in calendar.working_days]
        self.is_working = [self.first_day + i in working for i in range(days)]
        self.next_ordinal = [0] * days  # first working ordinal on or after the day
        ordinal = len(self.day_of_ordinal)
        for i in range(days - 1, -1, -1):
            if self.is_working[i]:
                ordinal -= 1
            self.next_ordinal[i] = ordinal

    def working_day(self, unix_day: int) -> bool:
        return self.is_working[unix_day - self.first_day]

    def ordinal(self, unix_day: int) -> int:
        """Working-day ordinal of the day, or of the next working day."""
        return self.next_ordinal[unix_day - self.first_day]

    def wsec(self, t: int) -> int:
        """Working seconds elapsed at instant t (normalised: closed time maps to next opening)."""
        local = t + OFFSET
        unix_day, sec = divmod(local, DAY)
        i = unix_day - self.first_day
        if self.is_working[i]:
            ordinal = self.next_ordinal[i]
            if sec < OPEN:
                return ordinal * WORK_DAY
            if sec < OPEN + MORNING:
                return ordinal * WORK_DAY + sec - OPEN
            if sec < AFTERNOON_OPEN:
                return ordinal * WORK_DAY + MORNING
            if sec < CLOSE:
                return ordinal * WORK_DAY + sec - OPEN - LUNCH
        return self.next_ordinal[i + 1] * WORK_DAY

    def instant(self, ws: int) -> int:
        """Inverse of `wsec`; a boundary maps to the closing time (11:30, 17:00)."""
        ordinal, sec = divmod(ws, WORK_DAY)
        if sec == 0 and ordinal > 0:
            ordinal, sec = ordinal - 1, WORK_DAY
        base = self.day_of_ordinal[ordinal] * DAY - OFFSET + OPEN
        return base + (sec if sec <= MORNING else sec + LUNCH)

    def after(self, t: int, working_seconds: float) -> int:
        """The instant `working_seconds` of office time after t."""
        return self.instant(self.wsec(t) + int(working_seconds))

    def statutory_due(
        self, accepted: int, processing_time: float, unit: str, cutoff: dt.time | None
    ) -> int:
        return epoch(
            self.calendar.statutory_due(to_datetime(accepted), processing_time, unit, cutoff)
        )

    def unix_day_of_date(self, day: dt.date) -> int:
        return day.toordinal() - 719163
