"""Property-based tests (hypothesis) of the arithmetic every score depends on.

Working time (pipeline/workcal.py, domain.md §4, indices.md §0.4): properties that
tests/test_working_time.py does not state yet — monotonicity, additivity, idempotence,
non-working days never counted, due instants on working days.

Scoring (dbt_project/macros/scoring.sql + seeds/indicator_catalog.csv, indices.md §0.3): the
macros are compiled once by dbt itself (`dbt compile --inline`) and the compiled SQL is
evaluated by DuckDB for generated ratios, denominators, maxima and thresholds.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.project import DBT_PROJECT_DIR
from pipeline.workcal import (
    AFTERNOON_CLOSE,
    AFTERNOON_OPEN,
    DAY_MINUTES,
    MORNING_CLOSE,
    MORNING_OPEN,
    VN_TZ,
    WorkingCalendar,
)

CAL = WorkingCalendar(2024, 2030)  # instants up to mid-2027 plus 40 months
EXAMPLES = settings(max_examples=200, deadline=None)

instants = st.datetimes(min_value=dt.datetime(2024, 1, 2), max_value=dt.datetime(2027, 6, 30)).map(
    lambda d: d.replace(microsecond=0, tzinfo=VN_TZ)
)
non_working_days = st.sampled_from(
    [
        dt.date(2024, 1, 1) + dt.timedelta(days=n)
        for n in range(365 * 3)
        if not CAL.is_working_day(dt.date(2024, 1, 1) + dt.timedelta(days=n))
    ]
)
HOLIDAYS = [
    d
    for d in (dt.date(2024, 1, 1) + dt.timedelta(days=n) for n in range(365 * 3))
    if d.weekday() < 5 and not CAL.is_working_day(d)
]
units = st.sampled_from(["WORKING_DAY", "HOUR", "DAY", "MONTH"])


def in_office_hours(ts: dt.datetime) -> bool:
    t = ts.timetz().replace(tzinfo=None)
    return CAL.is_working_day(ts.date()) and (
        MORNING_OPEN <= t < MORNING_CLOSE or AFTERNOON_OPEN <= t < AFTERNOON_CLOSE
    )


# --- working time --------------------------------------------------------------------------
@EXAMPLES
@given(instants)
def test_normalise_is_idempotent_opens_the_office_and_skips_no_office_minute(ts):
    normalised = CAL.normalise(ts)
    assert CAL.normalise(normalised) == normalised
    assert normalised >= ts
    assert in_office_hours(normalised)
    # between an instant and its normalisation the office is closed: no minute counted
    assert CAL.working_minute_index(ts) == CAL.working_minute_index(normalised)
    if in_office_hours(ts):
        assert normalised == ts


@EXAMPLES
@given(instants, instants)
def test_working_minutes_are_monotone_and_never_negative_forward(a, b):
    a, b = min(a, b), max(a, b)
    assert CAL.working_minute_index(a) <= CAL.working_minute_index(b)
    assert CAL.working_minutes_between(a, b) >= 0
    # never more office minutes than wall-clock minutes
    assert CAL.working_minutes_between(a, b) <= (b - a).total_seconds() / 60 + 1e-9


@EXAMPLES
@given(instants, instants, instants)
def test_working_minutes_are_additive(a, b, c):
    a, b, c = sorted((a, b, c))
    total = CAL.working_minutes_between(a, c)
    parts = CAL.working_minutes_between(a, b) + CAL.working_minutes_between(b, c)
    assert parts == pytest.approx(total, abs=1e-6)


@EXAMPLES
@given(non_working_days, st.integers(0, 24 * 60 - 1), st.integers(0, 24 * 60 - 1))
def test_non_working_days_and_holidays_are_never_counted(day, m1, m2):
    start = dt.datetime.combine(day, dt.time(), tzinfo=VN_TZ) + dt.timedelta(minutes=min(m1, m2))
    end = dt.datetime.combine(day, dt.time(), tzinfo=VN_TZ) + dt.timedelta(minutes=max(m1, m2))
    assert CAL.working_minutes_between(start, end) == 0
    whole_day = CAL.working_minutes_between(
        dt.datetime.combine(day, dt.time(), tzinfo=VN_TZ),
        dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=VN_TZ),
    )
    assert whole_day == 0


def test_the_calendar_has_weekday_holidays_to_test():
    assert len(HOLIDAYS) >= 20  # Tết, 30/4, 1/5, 2/9, … over three years


@EXAMPLES
@given(st.sampled_from(HOLIDAYS), st.integers(1, 30))
def test_a_span_across_a_holiday_counts_only_the_working_days(holiday, days):
    before = CAL.next_working_day(holiday - dt.timedelta(days=10))
    start = dt.datetime.combine(before, MORNING_OPEN, tzinfo=VN_TZ)
    end_day = holiday + dt.timedelta(days=days)
    end = dt.datetime.combine(end_day, MORNING_OPEN, tzinfo=VN_TZ)
    working = sum(
        CAL.is_working_day(before + dt.timedelta(days=n)) for n in range((end_day - before).days)
    )
    assert CAL.working_minutes_between(start, end) == working * DAY_MINUTES


@EXAMPLES
@given(instants, instants, st.integers(0, 30), units)
def test_statutory_due_is_monotone_in_the_reception(a, b, time_limit, unit):
    a, b = min(a, b), max(a, b)
    assert CAL.statutory_due(a, time_limit, unit) <= CAL.statutory_due(b, time_limit, unit)


@EXAMPLES
@given(instants, st.integers(0, 30), st.integers(0, 30), units)
def test_statutory_due_is_monotone_in_the_time_limit(ts, t1, t2, unit):
    t1, t2 = min(t1, t2), max(t1, t2)
    assert CAL.statutory_due(ts, t1, unit) <= CAL.statutory_due(ts, t2, unit)


@EXAMPLES
@given(instants, st.integers(0, 40), units)
def test_statutory_due_falls_on_a_working_day_never_before_the_reception(ts, time_limit, unit):
    due = CAL.statutory_due(ts, time_limit, unit)
    assert CAL.is_working_day(due.date())
    # In office minutes the due instant never precedes the reception. (A limit of 0 without a
    # same-day cutoff maps to the previous closing time, the same working-minute index.)
    assert CAL.working_minute_index(due) >= CAL.working_minute_index(ts)
    if time_limit > 0:
        assert due > ts


@EXAMPLES
@given(instants, st.integers(1, 80))
def test_hours_add_exactly_sixty_office_minutes_each(ts, hours):
    due = CAL.statutory_due(ts, hours, "HOUR")
    assert CAL.working_minutes_between(ts, due) == pytest.approx(hours * 60, abs=1e-6)


@EXAMPLES
@given(instants, st.sampled_from([dt.time(10, 0), dt.time(15, 0), dt.time(16, 30)]))
def test_same_day_procedures_are_due_at_closing_on_a_working_day(ts, cutoff):
    due = CAL.statutory_due(ts, 0, "WORKING_DAY", cutoff)
    assert due.timetz().replace(tzinfo=None) == AFTERNOON_CLOSE
    assert CAL.is_working_day(due.date())
    assert due.date() >= ts.date()
    local = ts.astimezone(VN_TZ)
    if CAL.is_working_day(local.date()) and local.timetz().replace(tzinfo=None) <= cutoff:
        assert due.date() == local.date()


# --- scoring -------------------------------------------------------------------------------
CATALOG = list(
    csv.DictReader((DBT_PROJECT_DIR / "seeds" / "indicator_catalog.csv").open(encoding="utf-8"))
)
INLINE = (
    "select {{ score_points('r', 'd', 'm', 'rule', 't', 'z') }} as points, "
    "{{ portal_round('x') }} as displayed, {{ safe_ratio('n', 'd') }} as ratio"
)


@pytest.fixture(scope="module")
def scoring_sql(tmp_path_factory) -> str:
    """The macros compiled by dbt once: `select <points>, <displayed>, <ratio>` over the free
    columns r, d, m, rule, t, z, x, n."""
    from dbt.cli.main import dbtRunner

    target = tmp_path_factory.mktemp("dbt_inline")
    saved = os.environ.get("DBT_DUCKDB_PATH")
    os.environ["DBT_DUCKDB_PATH"] = str(target / "inline.duckdb")
    try:
        result = dbtRunner().invoke(
            [
                "compile",
                "--quiet",
                "--inline",
                INLINE,
                "--project-dir",
                str(DBT_PROJECT_DIR),
                "--profiles-dir",
                str(DBT_PROJECT_DIR),
                "--target-path",
                str(target / "target"),
                "--log-path",
                str(target),
            ]
        )
    finally:
        if saved is None:
            os.environ.pop("DBT_DUCKDB_PATH", None)
        else:
            os.environ["DBT_DUCKDB_PATH"] = saved
    assert result.success, result.exception
    return result.result.results[0].node.compiled_code


@pytest.fixture(scope="module")
def score(scoring_sql):
    con = duckdb.connect()

    def evaluate(*, r=0.0, d=1, m=6.0, rule="linear", t=None, z="zero", x=0.0, n=0):
        bound = (
            "with args as (select ?::double as r, ?::bigint as d, ?::double as m, "
            "?::varchar as rule, ?::double as t, ?::varchar as z, ?::double as x, "
            "?::bigint as n) "
        )
        sql = bound + f"select compiled.* from args, lateral ({scoring_sql}) as compiled"
        return con.execute(sql, [r, d, m, rule, t, z, x, n]).fetchone()

    yield evaluate
    con.close()


# the DuckDB connection is a module fixture, shared by every example on purpose
SCORING = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture]}
ratios = st.fractions(min_value=0, max_value=1).map(float)
catalog_rows = st.sampled_from(CATALOG)


def _rule(row: dict) -> dict:
    return {
        "m": float(row["max_points"]),
        "rule": row["scoring_rule"],
        "t": float(row["threshold"]) if row["threshold"] else None,
        "z": row["zero_denominator_points"],
    }


@settings(max_examples=300, **SCORING)
@given(catalog_rows, ratios, ratios, st.integers(1, 10_000))
def test_points_lie_within_zero_and_max_and_grow_with_the_ratio(score, row, r1, r2, d):
    rule = _rule(row)
    low, high = min(r1, r2), max(r1, r2)
    (p_low, *_), (p_high, *_) = score(r=low, d=d, **rule), score(r=high, d=d, **rule)
    assert 0 <= p_low <= p_high <= rule["m"] + 1e-9
    if rule["rule"] == "linear":
        assert p_high == pytest.approx(rule["m"] * high)


@settings(max_examples=200, **SCORING)
@given(
    st.sampled_from([2.0, 4.0, 6.0, 20.0]),
    st.floats(0.05, 1.0),
    ratios,
    st.integers(1, 10_000),
)
def test_a_threshold_caps_at_max_and_scales_below_it(score, m, t, r, d):
    (points, *_) = score(r=r, d=d, m=m, rule="threshold", t=t)
    if r >= t:
        assert points == m
    else:
        assert points == pytest.approx(m * r / t)
    assert 0 <= points <= m


@settings(max_examples=60, **SCORING)
@given(catalog_rows, st.one_of(st.none(), ratios), st.sampled_from([0, None]))
def test_a_zero_denominator_scores_as_the_catalog_says(score, row, r, d):
    rule = _rule(row)
    (points, _, ratio) = score(r=r, d=d, **rule)
    expected = {"max": rule["m"], "zero": 0.0, "null": None}[rule["z"]]
    assert points == expected
    assert ratio is None  # safe_ratio: no ratio without a denominator


@settings(max_examples=300, **SCORING)
@given(st.integers(0, 20_000))
def test_portal_rounding_is_half_up_to_two_decimals(score, thousandths):
    x = thousandths / 1000
    (_, displayed, _) = score(x=x)
    expected = float(Decimal(str(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    assert displayed == pytest.approx(expected, abs=1e-12)


@settings(max_examples=200, **SCORING)
@given(st.floats(0, 20, allow_nan=False), st.floats(0, 20, allow_nan=False))
def test_portal_rounding_is_monotone_and_within_half_a_hundredth(score, a, b):
    a, b = min(a, b), max(a, b)
    (_, ra, _), (_, rb, _) = score(x=a), score(x=b)
    assert ra <= rb
    assert abs(ra - a) <= 0.005 + 1e-9


@settings(max_examples=200, **SCORING)
@given(st.integers(0, 10_000), st.integers(1, 10_000))
def test_safe_ratio_is_the_share(score, n, d):
    (_, _, ratio) = score(n=min(n, d), d=d)
    assert ratio == pytest.approx(min(n, d) / d)
    assert 0 <= ratio <= 1
