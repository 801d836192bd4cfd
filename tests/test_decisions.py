"""Pure decisions as small tables: whether the next dbt build is full or incremental and why
(pipeline/build_state.py), where an incremental landing reads from and what watermark it may
record (pipeline/landing/state.py), the crawler's windows (pipeline/sources/crawl.py), and
the scoring rules of the dbt macros (dbt_project/macros/scoring.sql) on the seed catalogue.
No sockets, no pipeline run: the whole file runs in about a second."""

from __future__ import annotations

import datetime as dt

import duckdb
import jinja2
import pytest

from pipeline.build_state import TRACKED, full_build_reason
from pipeline.landing.state import CLOCK_SKEW_TOLERANCE, WATERMARK_OVERLAP, plan_read
from pipeline.seeds import SEEDS_DIR, seed_rows
from pipeline.sources.crawl import window_plan
from pipeline.workcal import VN_TZ


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=VN_TZ)


# --- build_state: full or incremental ----------------------------------------------------------
RUNS = {dataset: ["run-1"] for dataset in TRACKED}
CURRENT = {
    "as_of": "2026-11-20T08:00:00+07:00",
    "code": "code-A",
    "settings": {"history_start": "2024-01-01"},
    "runs": {dataset: ["run-1", "run-2"] for dataset in TRACKED},
}
PREVIOUS = {**CURRENT, "as_of": "2026-11-19T08:00:00+07:00", "runs": RUNS, "reference": "ref-A"}
GONE = {**CURRENT, "runs": {**CURRENT["runs"], "motcua/dossiers": ["run-2"]}}


@pytest.mark.parametrize(
    ("previous", "current", "build_file", "reference", "reason"),
    [
        (None, CURRENT, True, "ref-A", "no record of a complete previous build"),
        (PREVIOUS, CURRENT, False, "ref-A", "no build file"),
        (
            {**PREVIOUS, "as_of": "2026-11-21T08:00:00+07:00"},
            CURRENT,
            True,
            "ref-A",
            "AS_OF moved backwards (previous build at 2026-11-21T08:00:00+07:00)",
        ),
        (
            {**PREVIOUS, "code": "code-B"},
            CURRENT,
            True,
            "ref-A",
            "the dbt project's code or seeds changed",
        ),
        ({**PREVIOUS, "settings": {}}, CURRENT, True, "ref-A", "the run's settings changed"),
        (PREVIOUS, CURRENT, True, None, "the reference data of the build file cannot be read"),
        (PREVIOUS, CURRENT, True, "ref-B", "agencies, procedures or the working calendar changed"),
        (PREVIOUS, GONE, True, "ref-A", "raw runs read by the previous build are gone"),
        (PREVIOUS, CURRENT, True, "ref-A", ""),  # new runs only: incremental
        ({**PREVIOUS, "as_of": CURRENT["as_of"]}, CURRENT, True, "ref-A", ""),  # same AS_OF
    ],
)
def test_full_or_incremental(previous, current, build_file, reference, reason):
    got = full_build_reason(
        previous, current, build_file_exists=build_file, reference=lambda: reference
    )
    assert got == reason


def test_the_reference_fingerprint_is_read_only_when_the_cheap_checks_pass():
    def never() -> str:
        raise AssertionError("read the build file although the code had changed")

    changed = {**PREVIOUS, "code": "code-B"}
    reason = full_build_reason(changed, CURRENT, build_file_exists=True, reference=never)
    assert reason == "the dbt project's code or seeds changed"


# --- landing/state: where an incremental landing reads ------------------------------------------
HISTORY = dt.date(2024, 1, 1)
STARTED = at("2026-11-20T08:00:00")


@pytest.mark.parametrize(
    ("previous", "as_of", "start", "note", "future", "bound"),
    [
        # first run: from HISTORY_START
        (None, None, at("2024-01-01T00:00:00"), None, STARTED + CLOCK_SKEW_TOLERANCE, STARTED),
        # a stored watermark: re-read the overlap before it
        (
            at("2026-11-19T23:00:00"),
            None,
            at("2026-11-19T23:00:00") - WATERMARK_OVERLAP,
            None,
            STARTED + CLOCK_SKEW_TOLERANCE,
            STARTED,
        ),
        # a watermark in the future cannot be trusted: from HISTORY_START, with a note
        (
            at("2026-11-21T00:00:00"),
            None,
            at("2024-01-01T00:00:00"),
            "stored watermark 2026-11-21T00:00:00+07:00 lies in the future; "
            "re-read from HISTORY_START 2024-01-01",
            STARTED + CLOCK_SKEW_TOLERANCE,
            STARTED,
        ),
        # evaluated in the past (a replay): the watermark is bounded by AS_OF
        (
            None,
            at("2026-11-01T00:00:00"),
            at("2024-01-01T00:00:00"),
            None,
            STARTED + CLOCK_SKEW_TOLERANCE,
            at("2026-11-01T00:00:00"),
        ),
        # evaluated ahead of the wall clock (a simulated world): changes up to AS_OF are real
        (
            None,
            at("2026-12-01T00:00:00"),
            at("2024-01-01T00:00:00"),
            None,
            at("2026-12-01T00:00:00") + CLOCK_SKEW_TOLERANCE,
            STARTED,
        ),
    ],
)
def test_reading_plan(previous, as_of, start, note, future, bound):
    read = plan_read(previous, HISTORY, STARTED, as_of)
    assert (read.start, read.note, read.future, read.bound) == (start, note, future, bound)


@pytest.mark.parametrize(
    ("previous", "latest", "watermark"),
    [
        (None, at("2026-11-20T07:59:00"), at("2026-11-20T07:59:00")),  # the latest change read
        (None, at("2026-11-20T09:00:00"), STARTED),  # a change after the bound never moves it
        (at("2026-11-19T00:00:00"), None, at("2026-11-19T00:00:00")),  # nothing read: kept
        (None, None, at("2024-01-01T00:00:00")),  # nothing read on a first run: its start
    ],
)
def test_recorded_watermark(previous, latest, watermark):
    assert plan_read(previous, HISTORY, STARTED, None).watermark_to(latest) == watermark


# --- crawl: the windows of one crawl ------------------------------------------------------------
@pytest.mark.parametrize(
    ("start", "tail_from", "present", "workers", "parallel", "sequential"),
    [
        # three months before the tail, 1 worker: month windows, none split (2 >= 2 needed)
        (
            at("2026-01-15T00:00:00"),
            at("2026-03-10T00:00:00"),
            None,
            1,
            [
                (at("2026-01-15T00:00:00"), at("2026-02-01T00:00:00")),
                (at("2026-02-01T00:00:00"), at("2026-03-01T00:00:00")),
                (at("2026-03-01T00:00:00"), at("2026-03-10T00:00:00")),
            ],
            [(at("2026-03-10T00:00:00"), None)],
        ),
        # one short window, 2 workers: halved until every worker has two
        (
            at("2026-03-01T00:00:00"),
            at("2026-03-05T00:00:00"),
            at("2026-03-06T00:00:00"),
            2,
            [
                (at("2026-03-01T00:00:00"), at("2026-03-02T00:00:00")),
                (at("2026-03-02T00:00:00"), at("2026-03-03T00:00:00")),
                (at("2026-03-03T00:00:00"), at("2026-03-04T00:00:00")),
                (at("2026-03-04T00:00:00"), at("2026-03-05T00:00:00")),
            ],
            # the future first, the window the source's clock moves into last
            [
                (at("2026-03-06T00:00:00"), None),
                (at("2026-03-05T00:00:00"), at("2026-03-06T00:00:00")),
            ],
        ),
        # the start after the tail: no parallel window, the tail from the start
        (
            at("2026-03-07T00:00:00"),
            at("2026-03-05T00:00:00"),
            at("2026-03-06T00:00:00"),
            4,
            [],
            [(at("2026-03-07T00:00:00"), None)],
        ),
    ],
)
def test_window_plan(start, tail_from, present, workers, parallel, sequential):
    assert window_plan(start, tail_from, present, workers) == (parallel, sequential)


@pytest.mark.parametrize(
    ("hours", "windows"),
    [(1.5, [("00:00", "01:30")]), (2, [("00:00", "01:00"), ("01:00", "02:00")])],
)
def test_windows_are_never_split_below_an_hour(hours, windows):
    start = at("2026-03-01T00:00:00")
    parallel, _ = window_plan(start, start + dt.timedelta(hours=hours), None, 8)
    assert parallel == [(at(f"2026-03-01T{lo}"), at(f"2026-03-01T{hi}")) for lo, hi in windows]


# --- scoring: the macros of dbt_project/macros/scoring.sql on the seed catalogue -------------
CATALOGUE = {row["indicator_code"]: row for row in seed_rows("indicator_catalog")}
MACROS = (
    jinja2.Environment()
    .from_string((SEEDS_DIR.parent / "macros" / "scoring.sql").read_text(encoding="utf-8"))
    .module
)


SQL = duckdb.connect()  # one in-memory database for the whole table


def points(indicator: str, numerator: int, denominator: int) -> float | None:
    """The indicator's points as the models compute them (the macros, run in DuckDB)."""
    rule = CATALOGUE[indicator]
    ratio = MACROS.safe_ratio(str(numerator), str(denominator))
    sql = MACROS.score_points(
        ratio,
        str(denominator),
        rule["max_points"],
        f"'{rule['scoring_rule']}'",
        rule["threshold"] or "null",
        f"'{rule['zero_denominator_points']}'",
    )
    [(value,)] = SQL.execute(f"select {MACROS.portal_round(sql)}").fetchall()
    return value


@pytest.mark.parametrize(
    ("indicator", "numerator", "denominator", "expected"),
    [
        ("PROGRESS_ON_TIME", 17, 20, 17.0),  # linear: 20 × 0.85
        ("PROGRESS_ON_TIME", 1, 3, 6.67),  # 6.666… shown half-up
        ("PROGRESS_ON_TIME", 0, 0, 0.0),  # zero denominator: zero
        ("ONLINE_DOSSIER_SHARE", 1, 4, 3.0),  # threshold 0.5: 6 × 0.25 / 0.5
        ("ONLINE_DOSSIER_SHARE", 3, 4, 6.0),  # above the threshold: the maximum
        ("DOSSIER_RECEIVING_SATISFACTION", 81, 100, 5.4),  # 6 × 0.81 / 0.9
        ("PETITION_PROCESSING_ON_TIME", 0, 0, 6.0),  # no petition: the maximum
        ("PUBLISH_ON_TIME", 0, 0, None),  # official only: no points of our own
        ("PAYMENT_TTHC_INTEGRATED", 1, 8, 0.31),  # 2 × 0.125 / 0.8 = 0.3125 → 0.31
        ("PAYMENT_DOSSIER_ONLINE", 1, 8, 0.75),  # 6 × 0.125 = 0.75 exactly
        ("SO_HOA_GIAY_TO_GIAI_QUYET", 169, 200, 3.38),  # 4 × 0.845 = 3.38 (binary 3.3799…)
    ],
)
def test_points(indicator, numerator, denominator, expected):
    assert points(indicator, numerator, denominator) == expected
