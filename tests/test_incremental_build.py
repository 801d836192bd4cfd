"""The daily build is incremental, and gives the warehouse a full build gives.

A world of its own: a first daily run at AS_OF (full build), then the simulator's world moves
on twelve days (new dossiers, dossiers progressing and closing, a new month) and the next daily
run lands the changes and rebuilds incrementally on the kept build file; a second refresh at
the same AS_OF finds nothing new. The same raw zone is then built from scratch in other
folders: every mart must be the same.

Every run here is the daily job without its reports and its dbt docs site (MARTS_ONLY,
NOT_READ): they only read the published marts, and no assertion here reads them (the docs site
alone cost a dbt docs generate on the first run).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import httpx
import pytest

from pipeline.build_state import plan_build, read_state, state_path
from pipeline.config import load_settings, parse_instant
from pipeline.pipeline_env import patched_environ
from pipeline.project import DBT_PROJECT_DIR
from pipeline.runtime import AS_OF_TAG
from simulator.server import run_simulator
from tests.conftest import (
    HISTORY_START,
    dbt_test,
    failures,
    pipeline_environment,
)
from tests.reliability.conftest import fingerprint, public_tables

FIRST = "2026-11-20T08:00:00+07:00"
LATER = "2026-12-02T08:00:00+07:00"
# Two days on with nothing landed: only time passes.
AFTER = "2026-12-04T08:00:00+07:00"
SCALE = 0.02


@dataclass
class Worlds:
    incremental_env: dict[str, str]
    incremental_warehouse: Path
    full_env: dict[str, str]
    full_warehouse: Path
    first_state: dict
    later_state: dict
    later_marts: dict
    again_state: dict
    again_materialized: set[dg.AssetKey]
    publications: dict[str, dict]
    planted: dict[str, str]


# What no assertion here reads: the reports and the docs site, made from the published marts.
NOT_READ = ("reports", "publish/dbt_docs")
# What a build from scratch, the one an incremental build is compared with, needs of the daily
# job: the dbt build and the published marts (the docs site and the reports read those marts).
MARTS_ONLY = ("raw", *NOT_READ)


def run_warehouse_only(
    env: dict[str, str], as_of: str, without: tuple[str, ...] = MARTS_ONLY
) -> dg.ExecuteInProcessResult:
    """The daily job without its landings, reports and docs (or without the assets under
    `without`): the dbt build and the publication, on the raw zone already there."""
    from pipeline.definitions import defs

    job = defs.resolve_job_def("daily_refresh")
    keys = [
        k
        for k in job.asset_layer.executable_asset_keys
        if not any(k.to_user_string() == w or k.path[0] == w for w in without)
    ]
    with patched_environ({**env, "AS_OF": as_of}):
        return job.execute_in_process(
            instance=dg.DagsterInstance.ephemeral(),
            tags={AS_OF_TAG: as_of},
            asset_selection=keys,
            raise_on_error=False,
        )


def run_daily(env: dict[str, str], as_of: str) -> dg.ExecuteInProcessResult:
    """The daily job through Dagster, as the schedule launches it (landings, dbt build,
    publication), but for what no assertion here reads (NOT_READ)."""
    return run_warehouse_only(env, as_of, without=NOT_READ)


def settings_of(env: dict[str, str]):
    with patched_environ(env):
        return load_settings()


@pytest.fixture(scope="module")
def worlds(tmp_path_factory) -> Worlds:
    import datetime as dt

    root = tmp_path_factory.mktemp("incremental")
    with run_simulator(
        as_of=parse_instant(FIRST),
        history_start=dt.date.fromisoformat(HISTORY_START),
        scale=SCALE,
    ) as sim:
        env = pipeline_environment(root / "daily", sim)
        first = run_daily(env, FIRST)
        assert first.success, failures(first)
        first_state = read_state(settings_of(env))
        planted = plant_unattributed(settings_of(env).raw_dir)
        moved = httpx.post(sim.admin("as-of"), json={"as_of": LATER}, timeout=600)
        moved.raise_for_status()
        later = run_daily(env, LATER)
        assert later.success, failures(later)
        later_state = read_state(settings_of(env))
        later_marts = fingerprint(Path(env["WAREHOUSE_PATH"]))
        later_publication = publication_of(later)
        # The same morning again: the landings find nothing new, the clock has not moved.
        again = run_daily(env, LATER)
        assert again.success, failures(again)
        again_state = read_state(settings_of(env))
        again_materialized = {event.asset_key for event in again.get_asset_materialization_events()}
        publications = {"first": publication_of(first), "later": later_publication}
        publications["again"] = publication_of(again)
    # The same raw zone, built from scratch in other folders.
    full_env = {
        **env,
        "DATA_DIR": str(root / "full" / "data"),
        "WAREHOUSE_PATH": str(root / "full" / "warehouse" / "warehouse.duckdb"),
        "REPORTS_DIR": str(root / "full" / "reports"),
    }
    shutil.copytree(root / "daily" / "data" / "raw", root / "full" / "data" / "raw")
    full = run_warehouse_only(full_env, LATER)
    assert full.success, failures(full)
    return Worlds(
        env,
        Path(env["WAREHOUSE_PATH"]),
        full_env,
        Path(full_env["WAREHOUSE_PATH"]),
        first_state,
        later_state,
        later_marts,
        again_state,
        again_materialized,
        publications,
        planted,
    )


PLANTED_RUN = "planted-unattributed"


def plant_unattributed(raw: Path) -> dict[str, str]:
    """Dossiers of a unit or procedure the catalogues do not know, landed as one more raw run
    before the later build (as a crawl lands them): a new dossier of an unknown unit, and a new
    version of a dossier the first build attributed, now naming an unknown procedure (it leaves
    the marts for audit.unattributed_dossiers). Their dossier ids, with what is missing."""
    dossiers = raw / "motcua" / "dossiers"
    source = f"read_parquet('{dossiers}/**/*.parquet', hive_partitioning = true)"
    staging = raw.parent / "planted"
    with duckdb.connect() as con:
        # The dossier that moves is the one updated longest ago: the simulator's later days
        # leave it as it is, so the planted version stays its latest.
        [(new_from, moved)] = con.execute(
            f"select min(id) filter (where id <> oldest), any_value(oldest) from {source}, "
            f"(select arg_min(id, updated_at) as oldest from {source} "
            f"where accepted_at is not null) where accepted_at is not null"
        ).fetchall()
        planted = {f"{new_from}-planted": "UNKNOWN_UNIT", moved: "UNKNOWN_PROCEDURE"}
        con.execute(
            f"""
            copy (
                select * replace (
                    case when id = $moved then id else id || '-planted' end as id,
                    case when id = $moved then code else code || '-planted' end as code,
                    case when id = $moved then nation_code end as nation_code,
                    case when id = $moved then agency_code else 'UNKNOWN-UNIT' end
                        as agency_code,
                    case when id = $moved then 'UNKNOWN-PROCEDURE' else procedure_code end
                        as procedure_code,
                    updated_at + interval 1 second as updated_at,
                    '{PLANTED_RUN}' as _run_id)
                from {source}
                where id in ($new_from, $moved)
                qualify row_number() over (
                    partition by id order by updated_at desc, _extracted_at desc, _run_id desc
                ) = 1
            ) to '{staging}' (format parquet, partition_by (reception_month),
                filename_pattern 'planted-{{i}}')
            """,
            {"new_from": new_from, "moved": moved},
        )
    for path in staging.rglob("*.parquet"):
        target = dossiers / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, target)
    shutil.rmtree(staging)
    return planted


def unattributed(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select * from audit.unattributed_dossiers order by all").fetchall()


def publication_of(result: dg.ExecuteInProcessResult) -> dict:
    """What the run's publication wrote and read (its materialization's metadata)."""
    [event] = [
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["publish", "warehouse"])
    ]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_daily_build_is_incremental_and_equals_a_full_build(worlds):
    assert worlds.first_state["mode"] == "full"
    assert worlds.later_state["mode"] == "incremental", worlds.later_state["reason"]
    assert worlds.later_state["as_of"] == parse_instant(LATER).isoformat()
    # It left out what did not change (seeds, the reference dimensions and their tests) ...
    skipped = worlds.later_state["skipped"]
    assert skipped["seed"] > 0 and skipped["model"] > 0 and skipped["test"] > 0, skipped
    full_state = read_state(settings_of(worlds.full_env))
    assert full_state["mode"] == "full"
    # The later run saw the world move: new dossiers, and the marts evaluated at the later AS_OF.
    with duckdb.connect(str(worlds.incremental_warehouse), read_only=True) as con:
        [(months,)] = con.execute(
            "select count(*) from marts.fct_indicator where period_type = 'month' "
            "and period_start = date '2026-12-01' and indicator_code = 'PROGRESS_ON_TIME' "
            "and denominator > 0"
        ).fetchall()
    assert months > 0
    assert public_tables(worlds.incremental_warehouse) == public_tables(worlds.full_warehouse)
    incremental = fingerprint(worlds.incremental_warehouse)
    full = fingerprint(worlds.full_warehouse)
    assert incremental.keys() == full.keys() and len(full) >= 10
    # The worklist marts (issue 19) are compared like every other, and hold rows to compare:
    # the later AS_OF moved their open dossiers, due times and the running month.
    worklists = {"fct_dossier_indicator", "dossier_watchlist", "unit_points_at_stake"}
    assert worklists <= full.keys()
    assert all(full[table].rows > 0 for table in worklists), {t: full[t].rows for t in worklists}
    differing = [table for table in full if incremental[table] != full[table]]
    assert differing == []
    # The dossiers no catalogue attributes (kept by dossier too): the planted ones, one new and
    # one that left the marts, are there, row for row as a full build has them.
    kept = unattributed(worlds.incremental_warehouse)
    assert kept == unattributed(worlds.full_warehouse)
    assert {row[0]: row[4] for row in kept if row[0] in worlds.planted} == worlds.planted
    with duckdb.connect(str(worlds.incremental_warehouse), read_only=True) as con:
        in_marts = con.execute(
            "select count(*) from marts.fct_dossier where dossier_id in "
            f"({', '.join('?' for _ in worlds.planted)})",
            list(worlds.planted),
        ).fetchone()[0]
    assert in_marts == 0


def materialized(result: dg.ExecuteInProcessResult) -> set[dg.AssetKey]:
    return {event.asset_key for event in result.get_asset_materialization_events()}


def test_a_second_refresh_the_same_morning_skips_what_did_not_change(worlds):
    """The same morning's refresh again. Its landings find nothing new but land again what was
    updated in the watermark overlap (raw runs of the tracked datasets, so the dossier models
    run); what reads only the seeds and the reference data is not run, the publication is, and
    every mart stays as it was (and as a full build makes it, above)."""
    state = worlds.again_state
    assert state["mode"] == "incremental", state["reason"]
    assert state["skipped"]["seed"] > 0 and state["skipped"]["model"] > 0, state["skipped"]
    done = worlds.again_materialized
    for left in (["marts", "dim_unit"], ["marts", "dim_procedure"], ["reference", "score_bands"]):
        assert dg.AssetKey(left) not in done, (left, state["reason"], state["skipped"])
    # What the publication waits for always runs, and the publication with it.
    published = [["marts", "fct_dossier"], ["marts", "fct_indicator"], ["publish", "warehouse"]]
    assert {dg.AssetKey(key) for key in published} <= done
    assert fingerprint(worlds.incremental_warehouse) == worlds.later_marts


# The data tests of fct_dossier_indicator that read, in a daily build, the rows it wrote.
DAY_TESTS = {
    "unique_key": "fct_dossier_indicator,test_name:unique_key",
    "relationships": "fct_dossier_indicator,test_name:relationships",
    "reason_iff": "assert_fct_dossier_indicator_reason_iff_it_cost_the_point",
}
WRITTEN = "written_rows.marts__fct_dossier_indicator"


def day_test_failures(
    build: Path, raw_dir: Path, previous_as_of: str | None, target: Path, parsed_in: Path | None
) -> dict[str, int]:
    """Rows flagged by the DAY_TESTS run by dbt on `build`, by test: as in a daily build when
    `previous_as_of` is given, else as in a full build (`parsed_in`: an earlier call's target
    folder, see dbt_test)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBT_")}
    env.update(RAW_DIR=str(raw_dir), DBT_DUCKDB_PATH=str(build))
    if previous_as_of:
        env["DBT_PREVIOUS_AS_OF"] = previous_as_of
    results = dbt_test(" ".join(DAY_TESTS.values()), env, target, parsed_in)
    assert len(results) == len(DAY_TESTS), [r["unique_id"] for r in results]
    found = {}
    for result in results:
        assert result["status"] in ("pass", "fail"), result["message"]
        [kind] = [k for k in DAY_TESTS if k in result["unique_id"]]
        found[kind] = result["failures"]
    return found


def plant(con: duckdb.DuckDBPyConnection, dossier_id: str, into: tuple[str, ...]) -> None:
    """Three bad rows made from a row of `dossier_id`, inserted into each table of `into`: the
    same row again (a duplicate key), one whose dossier_code is in no fct_dossier row, and one
    of a new indicator code whose reason contradicts its numerator flag."""
    con.execute(
        """
        create or replace temp table planted as
        with row as (
            select * from marts.fct_dossier_indicator where dossier_id = $id
            order by all limit 1
        )
        select * from row
        union all
        select * replace ('planted-nowhere' as dossier_code) from row
        union all
        select * replace ('PLANTED ' || $id as indicator_code, not in_numerator as in_numerator)
        from row
        """,
        {"id": dossier_id},
    )
    for table in into:
        con.execute(f"insert into {table} select * from planted")


def test_a_daily_build_tests_the_rows_it_wrote(worlds, tmp_path):
    """The daily build's data tests on a model kept by dossier read the rows it appended, kept
    until its next write in a side table that is not published: bad rows planted among the kept
    rows of fct_dossier_indicator (written, and tested, by an earlier build) are not read by the
    daily key, relationship and reason tests, while the whole-table pass of a full build flags
    them; bad rows among those the day wrote are flagged by both. Without the side table (a
    model that kept none) the daily tests read the rows of the recomputed dossiers."""
    settings = settings_of(worlds.incremental_env)
    assert read_state(settings)["mode"] == "incremental"
    build = tmp_path / "warehouse.duckdb"
    shutil.copyfile(settings.build_path, build)
    recomputed = "select dossier_id from intermediate.int_dossiers__to_refresh"
    with duckdb.connect(str(build)) as con:
        # The side table holds exactly the rows the build appended: those of the dossiers it
        # recomputed, a share of the table.
        [(written, rows)] = con.execute(
            f"select (select count(*) from {WRITTEN}), count(*) from marts.fct_dossier_indicator"
        ).fetchall()
        assert 0 < written < rows
        day = f"select * from marts.fct_dossier_indicator where dossier_id in ({recomputed})"
        side = f"select * from {WRITTEN}"
        for one, other in ((day, side), (side, day)):
            assert con.execute(f"select count(*) from ({one} except all {other})").fetchone() == (
                0,
            )
        [(kept,)] = con.execute(
            f"select min(dossier_id) from marts.fct_dossier_indicator "
            f"where dossier_id not in ({recomputed})"
        ).fetchall()
        [(changed,)] = con.execute(f"select min(dossier_id) from {WRITTEN}").fetchall()
        assert kept is not None and changed is not None
        plant(con, kept, ("marts.fct_dossier_indicator",))
    raw = settings.raw_dir
    none = dict.fromkeys(DAY_TESTS, 0)
    # One parse of the project, the calls on the same build file (DBT_PREVIOUS_AS_OF is read at
    # run time, not at parse time).
    first = tmp_path / "daily-kept"
    assert day_test_failures(build, raw, FIRST, first, None) == none
    whole = day_test_failures(build, raw, None, tmp_path / "full-kept", first)
    assert whole == dict.fromkeys(DAY_TESTS, 1)
    # Bad rows as a build would write them: appended, and kept in the side table.
    with duckdb.connect(str(build)) as con:
        plant(con, changed, ("marts.fct_dossier_indicator", WRITTEN))
    day = day_test_failures(build, raw, FIRST, tmp_path / "daily-changed", first)
    assert day == dict.fromkeys(DAY_TESTS, 1)
    whole = day_test_failures(build, raw, None, tmp_path / "full-changed", first)
    assert whole == dict.fromkeys(DAY_TESTS, 2)
    # No side table: the daily tests read the recomputed dossiers' rows of the table.
    with duckdb.connect(str(build)) as con:
        con.execute(f"drop table {WRITTEN}")
    day = day_test_failures(build, raw, FIRST, tmp_path / "daily-unkept", first)
    assert day == dict.fromkeys(DAY_TESTS, 1)


def test_earlier_as_of_or_changed_code_rebuild_in_full(worlds, tmp_path):
    settings = settings_of(worlds.incremental_env)
    same = plan_build(settings, parse_instant(LATER), DBT_PROJECT_DIR)
    assert not same.full, same.reason
    backfill = plan_build(settings, parse_instant(FIRST), DBT_PROJECT_DIR)
    assert backfill.full and "backwards" in backfill.reason
    # The same project with one model edited.
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    model = project / "models" / "marts" / "fct_indicator.sql"
    model.write_text(model.read_text() + "\n-- edited\n")
    edited = plan_build(settings, parse_instant(LATER), project)
    assert edited.full and "code" in edited.reason


def test_time_alone_moves_findings_of_finished_dossiers(worlds, tmp_path):
    """Nothing lands and no dossier changes, yet a finding starts on dossiers that finished
    before the previous build once the working day they had (to hand the paper result to the
    counter, to call the citizen about a pause) has run out: the incremental build must
    recompute those dossiers too."""
    after = run_warehouse_only(worlds.incremental_env, AFTER)
    assert after.success, failures(after)
    state = read_state(settings_of(worlds.incremental_env))
    assert state["mode"] == "incremental", state["reason"]
    # Nothing landed: what does not read the clock is not run (and the marts, below, are still
    # those of a full build).
    for left in (
        ["staging", "stg_motcua__dossiers"],
        ["intermediate", "int_dossier_events"],
        ["intermediate", "int_supplement_rounds"],
        ["marts", "dim_unit"],
    ):
        assert dg.AssetKey(left) not in materialized(after), (left, state["skipped"])
    full_env = {
        **worlds.full_env,
        "DATA_DIR": str(tmp_path / "data"),
        "WAREHOUSE_PATH": str(tmp_path / "warehouse" / "warehouse.duckdb"),
        "REPORTS_DIR": str(tmp_path / "reports"),
    }
    shutil.copytree(Path(worlds.full_env["DATA_DIR"]) / "raw", tmp_path / "data" / "raw")
    full = run_warehouse_only(full_env, AFTER)
    assert full.success, failures(full)
    full_warehouse = Path(full_env["WAREHOUSE_PATH"])
    with duckdb.connect(str(full_warehouse), read_only=True) as con:
        [(started,)] = con.execute(
            "select count(*) from marts.accountability_findings as findings "
            "inner join marts.fct_dossier as dossiers using (dossier_code) "
            "where findings.detected_at > ? and dossiers.terminal_at < ? "
            # Findings kept per dossier (the other two are recomputed whole every build).
            "and findings.finding_code not in ('NOT_SYNCED', 'STATUS_OUT_OF_SYNC')",
            [parse_instant(LATER), parse_instant(LATER)],
        ).fetchall()
    assert started > 0
    assert fingerprint(worlds.incremental_warehouse) == fingerprint(full_warehouse)


def test_failed_build_leaves_no_record_and_the_next_build_is_full(worlds):
    env = {**worlds.incremental_env, "DUCKDB_MEMORY_LIMIT": "1MB"}
    failed = run_warehouse_only(env, LATER)
    assert not failed.success
    settings = settings_of(worlds.incremental_env)
    assert not state_path(settings).exists()
    after = plan_build(settings, parse_instant(LATER), DBT_PROJECT_DIR)
    assert after.full and "no record" in after.reason
    rebuilt = run_warehouse_only(worlds.incremental_env, LATER)
    assert rebuilt.success, failures(rebuilt)
    assert read_state(settings)["mode"] == "full"
    assert fingerprint(worlds.incremental_warehouse) == fingerprint(worlds.full_warehouse)


def test_the_daily_publication_reads_and_writes_what_the_build_changed(worlds):
    """The publication after a daily build does not read again the tables the build left out
    (the reference dimensions), and publishes the public tables kept by dossier
    (fct_dossier_indicator, audit.unattributed_dossiers) by rows: only the recomputed dossiers'
    rows replaced in the copy of the published file. The published tables are still those of a
    full build (above)."""
    first, later, again = (worlds.publications[k] for k in ("first", "later", "again"))
    assert not first["started_from_previous_file"] and first["tables_by_rows"] == []
    for daily in (later, again):
        assert "marts.dim_unit" in daily["tables_kept"], daily
        assert "marts.dim_unit" not in daily["tables_compared"], daily
        assert "marts.fct_indicator" in daily["tables_compared"], daily
    by_rows = ["audit.unattributed_dossiers", "marts.fct_dossier_indicator"]
    assert again["tables_by_rows"] == by_rows, again
    assert "marts.fct_dossier_indicator" not in again["tables_compared"]
