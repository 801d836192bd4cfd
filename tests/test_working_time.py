"""Working-time arithmetic (indices.md §0.4): Python reference vs the warehouse's SQL."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.workcal import VN_TZ, WorkingCalendar

CAL = WorkingCalendar(2024, 2028)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=VN_TZ)


@pytest.mark.parametrize(
    ("received", "time", "unit", "cutoff", "due"),
    [
        # Friday 16:00 + 1 working day: Saturday 2025-04-26 is a declared working day.
        ("2025-04-25 16:00", 1, "WORKING_DAY", None, "2025-04-26 16:00"),
        # 2025-04-30, 05-01 holidays and 05-02 swapped off: Tuesday 29th + 1 day = Monday 5th.
        ("2025-04-29 09:00", 1, "WORKING_DAY", None, "2025-05-05 09:00"),
        # Lunch and closing boundaries: 11:30 is lunch, 17:00 is after close.
        ("2025-03-03 11:30", 0.5, "WORKING_DAY", None, "2025-03-04 07:30"),
        ("2025-03-03 10:30", 0.5, "WORKING_DAY", None, "2025-03-03 16:30"),
        ("2025-03-03 17:00", 1, "WORKING_DAY", None, "2025-03-04 17:00"),
        ("2025-03-03 06:00", 4, "HOUR", None, "2025-03-03 11:00"),
        # Same-day procedure: after the 15:00 cutoff it is due the next working day at 17:00.
        ("2025-03-07 15:30", 0, "WORKING_DAY", dt.time(15, 0), "2025-03-10 17:00"),
        ("2025-03-07 15:00", 0, "WORKING_DAY", dt.time(15, 0), "2025-03-07 17:00"),
        # Calendar days roll forward to a working day keeping the clock time.
        ("2025-03-06 10:00", 2, "DAY", None, "2025-03-10 10:00"),
        # Months roll forward past 2026-11-24 (a holiday from 2026 on); a reception in Tết
        # (2025-01-31) starts on the first working day after it.
        ("2026-09-24 09:00", 2, "MONTH", None, "2026-11-25 09:00"),
        ("2025-01-31 09:00", 1, "MONTH", None, "2025-03-03 07:00"),
    ],
)
def test_statutory_due_cases(received, time, unit, cutoff, due):
    assert CAL.statutory_due(at(received), time, unit, cutoff) == at(due)


instants = st.datetimes(min_value=dt.datetime(2024, 1, 2), max_value=dt.datetime(2027, 6, 30)).map(
    lambda d: d.replace(second=0, microsecond=0, tzinfo=VN_TZ)
)


@settings(max_examples=300, deadline=None)
@given(instants)
def test_index_round_trips_through_office_hours(ts):
    index = CAL.working_minute_index(ts)
    back = CAL.instant_at(index)
    assert CAL.working_minute_index(back) == index
    normalised = CAL.normalise(ts)
    assert normalised >= ts
    assert CAL.is_working_day(normalised.date())


@settings(max_examples=300, deadline=None)
@given(instants, st.integers(min_value=1, max_value=40))
def test_working_days_add_exactly_480_minutes_each(ts, days):
    due = CAL.statutory_due(ts, days, "WORKING_DAY")
    assert CAL.working_minutes_between(ts, due) == days * 480
    assert due > ts


def test_sql_statutory_due_equals_python_for_every_landed_dossier(pipeline_run):
    """The dbt model computes the same due instant as the Python reference, dossier by dossier."""
    build = pipeline_run.data_dir / "build" / "warehouse.duckdb"
    with duckdb.connect(str(build), read_only=True) as con:
        rows = con.execute(
            """
            select d.accepted_at, p.processing_time, p.processing_time_unit, p.same_day_cutoff,
                   due.statutory_due_at
            from intermediate.int_dossiers__statutory_due as due
            join staging.stg_motcua__dossiers as d using (dossier_id)
            join staging.stg_motcua__procedures as p using (procedure_version_id)
            """
        ).fetchall()
    assert rows
    mismatches = []
    for accepted, time, unit, cutoff, sql_due in rows:
        cutoff_time = dt.time.fromisoformat(cutoff) if cutoff else None
        expected = CAL.statutory_due(accepted, time, unit, cutoff_time)
        if sql_due is None or abs((sql_due - expected).total_seconds()) > 1:
            mismatches.append((accepted, time, unit, cutoff, sql_due, expected))
    assert not mismatches, f"{len(mismatches)} of {len(rows)} differ, e.g. {mismatches[:3]}"
