"""The walking skeleton end to end: simulator → connector → Parquet → dbt → published warehouse."""

from __future__ import annotations

import duckdb
import httpx
import pytest


def query(path, sql, params=None):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_published_warehouse_has_progress_for_units_months_and_years(pipeline_run):
    rows = query(
        pipeline_run.warehouse_path,
        """
        select period_type, count(distinct unit_code), count(*), sum(denominator)
        from marts.fct_indicator
        where indicator_code = 'PROGRESS_ON_TIME' and rollup = 'SELF'
        group by period_type order by period_type
        """,
    )
    by_type = {r[0]: r[1:] for r in rows}
    assert set(by_type) == {"month", "quarter", "year"}
    # Units of both regimes (22 town units until 2025-06-30, 12 ward units after).
    assert by_type["month"][0] == 34
    assert by_type["year"][2] > 0


def test_progress_rows_follow_unit_validity(pipeline_run):
    rows = query(
        pipeline_run.warehouse_path,
        """
        select unit_code, min(period_start), max(period_start)
        from marts.fct_indicator
        where indicator_code = 'PROGRESS_ON_TIME' and rollup = 'SELF' and period_type = 'month'
        group by unit_code
        """,
    )
    spans = {code: (first, last) for code, first, last in rows}
    first, last = spans["000.21.28.H31"]  # Phường Bần Yên Nhân, dissolved 2025-06-30
    assert str(first) == "2024-01-01" and str(last) == "2025-06-01"
    first, last = spans["000.00.71.H31"]  # Phường Mỹ Hào, from 2025-07-01
    assert str(first) == "2025-07-01" and str(last) == "2026-11-01"


def test_every_dossier_of_the_world_lands_once(pipeline_run, simulator):
    truth = httpx.get(f"{simulator.base_url}/_sim/truth", timeout=60).json()
    expected = {r["code"] for r in truth["dossiers"]}
    rows = query(pipeline_run.warehouse_path, "select dossier_code from marts.fct_dossier")
    landed = [r[0] for r in rows]
    assert len(landed) == len(set(landed))
    assert set(landed) == expected


def test_progress_counters_agree_with_dossier_statuses(pipeline_run):
    """The area's handled count for the running year equals the dossiers open in or received in
    it; SELF rows miss only the dossiers still open at dissolved units (indices.md §0.2)."""
    [(area_handled, self_handled, dossier_handled, open_at_dissolved)] = query(
        pipeline_run.warehouse_path,
        """
        select
            (select sum(denominator) from marts.fct_indicator
             where indicator_code = 'PROGRESS_ON_TIME' and rollup = 'AREA'
               and period_type = 'year' and period_start = date '2026-01-01'),
            (select sum(denominator) from marts.fct_indicator
             where indicator_code = 'PROGRESS_ON_TIME' and rollup = 'SELF'
               and period_type = 'year' and period_start = date '2026-01-01'),
            (select count(*) from marts.fct_dossier
             where progress_status not in ('NOT_RECEIVED', 'EXCLUDED')
               and received_at < as_of
               and (terminal_at is null or terminal_at >= timestamptz '2026-01-01 00:00:00+07')),
            (select count(*) from marts.fct_dossier join marts.dim_unit using (unit_code)
             where dim_unit.valid_to < date '2026-01-01'
               and progress_status not in ('NOT_RECEIVED', 'EXCLUDED')
               and (terminal_at is null or terminal_at >= timestamptz '2026-01-01 00:00:00+07'))
        """,
    )
    assert area_handled == dossier_handled > 0
    assert self_handled == dossier_handled - open_at_dissolved


@pytest.fixture(scope="module")
def rerun(pipeline_run):
    """The daily job run again on the session run's folders, the same day (nothing changed in
    the dbt project's code): the run, and the docs site's modification time before and after."""
    from tests.conftest import run_daily_refresh

    site = pipeline_run.warehouse_path.parent / "docs" / "index.html"
    before = site.stat().st_mtime_ns
    again = run_daily_refresh(pipeline_run.env)
    return again, before, site.stat().st_mtime_ns


def test_rerun_lands_nothing_twice(pipeline_run, rerun):
    again, _, _ = rerun
    assert again.success
    [(rows, distinct)] = query(
        pipeline_run.warehouse_path,
        "select count(*), count(distinct dossier_code) from marts.fct_dossier",
    )
    assert rows == distinct


def test_dbt_docs_site_is_published_beside_the_warehouse(pipeline_run):
    site = pipeline_run.warehouse_path.parent / "docs" / "index.html"
    html = site.read_text(encoding="utf-8")
    assert "fct_indicator" in html and "PROGRESS_ON_TIME" in html


def test_docs_site_stays_when_the_dbt_code_did_not_change(rerun):
    again, before, after = rerun
    assert again.success
    [docs] = again.asset_materializations_for_node("publish__dbt_docs")
    assert docs.metadata["regenerated"].value is False
    assert after == before


def test_marts_are_exported_as_parquet(pipeline_run):
    folder = pipeline_run.warehouse_path.parent / "marts"
    [(rows,)] = query(pipeline_run.warehouse_path, "select count(*) from marts.fct_indicator")
    with duckdb.connect() as con:
        [(exported,)] = con.execute(
            "select count(*) from read_parquet(?)", [str(folder / "fct_indicator.parquet")]
        ).fetchall()
    assert exported == rows > 0


def test_fct_dossier_indicator_is_exported_as_year_partitions(pipeline_run):
    """Read as README says, the partitioned export is the table plus its partition key
    `period_year` (the year of period_start); the publication's metadata says how many
    partitions it wrote (a first publication: one per year, all written, none linked)."""
    folder = pipeline_run.warehouse_path.parent / "marts" / "fct_dossier_indicator"
    table = "marts.fct_dossier_indicator"
    [(rows, years)] = query(
        pipeline_run.warehouse_path,
        f"select count(*), count(distinct year(period_start)) from {table}",
    )
    export = "read_parquet(?, hive_partitioning=true)"
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{pipeline_run.warehouse_path}' AS published (READ_ONLY)")
        glob = [str(folder / "**" / "*.parquet")]
        differ = (
            f"select count(*) from (select * exclude (period_year) from {export} "
            f"except all select * from published.{table})"
        )
        [(extra,)] = con.execute(differ, glob).fetchall()
        [(exported, off_key)] = con.execute(
            "select count(*), count(*) filter (period_year is distinct from year(period_start)) "
            f"from {export}",
            glob,
        ).fetchall()
        columns = "select column_name, column_type from (describe select * from {})"
        described = con.execute(columns.format(export), glob).fetchall()
        table_columns = con.execute(columns.format(f"published.{table}")).fetchall()
    assert exported == rows > 0 and extra == 0 and off_key == 0
    assert described == [*table_columns, ("period_year", "BIGINT")]
    [publish] = pipeline_run.result.asset_materializations_for_node("publish__warehouse")
    assert publish.metadata["parquet_partitions"].value == {table: {"written": years, "linked": 0}}
