"""Accountability worklists on the simulated world (indices.md §9, issue 6): every finding type
occurs and reads as a worklist, and the sync reconciliation agrees with the dossiers."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

FINDING_CATALOG = Path(__file__).parents[1] / "dbt_project" / "seeds" / "finding_catalog.csv"


def query(path, sql, params=None):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def finding_codes() -> set[str]:
    with FINDING_CATALOG.open(encoding="utf-8") as f:
        return {row["finding_code"] for row in csv.DictReader(f)}


def test_every_finding_type_occurs_on_the_simulated_world(pipeline_run):
    counts = dict(
        query(
            pipeline_run.warehouse_path,
            "select finding_code, count(*) from marts.accountability_findings group by all",
        )
    )
    assert len(finding_codes()) == 10
    missing = finding_codes() - {code for code, n in counts.items() if n > 0}
    assert not missing, f"finding types never found: {sorted(missing)} (counts: {counts})"


def test_findings_name_who_acts_since_when_in_vietnamese(pipeline_run):
    rows = query(
        pipeline_run.warehouse_path,
        """
        select finding_code, responsible, responsible_unit_code, responsible_unit_name,
            detail_vi, working_days_open
        from marts.accountability_findings
        """,
    )
    assert rows
    for code, responsible, unit, unit_name, detail, days in rows:
        assert unit and unit_name, code
        assert responsible in ("HANDLING_UNIT", "ONE_STOP_COUNTER")
        assert " ngày " in detail and "Quy định: " in detail, detail
        assert days >= 0
    # After the 2025 reorganisation nothing is owed by a dissolved commune or ward.
    dissolved = query(
        pipeline_run.warehouse_path,
        """
        select count(*) from marts.accountability_findings as f
        join marts.dim_unit as u on u.unit_code = f.responsible_unit_code
        where u.valid_to < cast(f.as_of as date)
        """,
    )
    assert dissolved == [(0,)]


def test_sync_reconciliation_agrees_with_the_dossiers(pipeline_run):
    [(received, synced, reconciled_received, reconciled_synced, not_synced)] = query(
        pipeline_run.warehouse_path,
        """
        with dossiers as (
            select count(*) as received, count(*) filter (where is_synced) as synced
            from marts.fct_dossier
            where progress_status not in ('NOT_RECEIVED', 'EXCLUDED')
        ),
        reconciled as (
            select sum(received_one_stop) as received, sum(synced) as synced,
                sum(not_synced) as not_synced
            from marts.sync_reconciliation
        )
        select dossiers.received, dossiers.synced, reconciled.received, reconciled.synced,
            reconciled.not_synced
        from dossiers, reconciled
        """,
    )
    assert (reconciled_received, reconciled_synced) == (received, synced)
    # The simulator leaves a share of dossiers unsynced; each older than a working day is listed.
    assert not_synced > 0
    [(listed,)] = query(
        pipeline_run.warehouse_path,
        "select count(*) from marts.accountability_findings where finding_code = 'NOT_SYNCED'",
    )
    assert 0 < listed <= not_synced


def test_official_vs_computed_is_published_with_its_contract(pipeline_run):
    columns = {
        name
        for (name,) in query(
            pipeline_run.warehouse_path,
            "select column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'official_vs_computed'",
        )
    }
    assert {
        "official_numerator",
        "official_denominator",
        "official_points",
        "computed_numerator",
        "computed_denominator",
        "computed_points",
        "delta_points",
    } <= columns
