"""The same dbt project on Spark: built from the same raw Parquet as the DuckDB warehouse, every
public mart holds the same rows (same keys, text, dates and instants; doubles within 1e-9).

Spark runs locally in the dbt process (dbt-spark session mode, `local[2]`), its tables and
metastore in a temporary folder; the DuckDB side is the session's pipeline run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipeline.assets.warehouse import dbt_vars
from pipeline.config import VN_TZ, load_settings, parse_instant
from pipeline.pipeline_env import patched_environ
from tests.conftest import AS_OF

pytestmark = pytest.mark.spark

DBT_PROJECT = Path(__file__).resolve().parents[1] / "dbt_project"
TOLERANCE = 1e-9
# A hang guard, not a speed target (speed is the benchmarks' business): the Spark build (JVM
# start, seeds, models) takes 1-3 minutes on 2 cores.
BUILD_TIMEOUT_SECONDS = 840

# The JVM of one short build on a small world: the C1 compiler alone and the serial collector
# spend less CPU than the default JIT tiers and parallel collector (the dbt build of this test
# measured side by side: 156 instead of 192 CPU seconds); what Spark computes is the same.
JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"

# Every public mart of warehouse.md; the test also fails when DuckDB publishes one not listed.
PUBLIC_MARTS = (
    "accountability_findings",
    "deadline_metrics",
    "dim_calendar",
    "dim_finding",
    "dim_indicator",
    "dim_procedure",
    "dim_unit",
    "dossier_watchlist",
    "fct_dossier",
    "fct_dossier_indicator",
    "fct_indicator",
    "official_vs_computed",
    "sync_reconciliation",
    "unit_points_at_stake",
    "unit_scorecard",
)
PUBLIC_AUDIT = ("load_log", "rejects", "source_drift", "unattributed_dossiers")
FLOATING = {"DOUBLE", "FLOAT", "REAL"}


def spark_build_command(target_path: Path, vars_json: str) -> list[str]:
    """dbt build of the seeds and models on the `spark` target. Data tests are left to the
    DuckDB build of the same rows (their results follow from equal marts), to keep the suite short;
    the conformance models read the portal's JSON captures with DuckDB functions and stay
    DuckDB-only, as do the dbt unit tests (two fixtures are DuckDB list literals)."""
    return [
        str(Path(sys.executable).parent / "dbt"),
        "build",
        "--target",
        "spark",
        "--profiles-dir",
        ".",
        "--target-path",
        str(target_path),
        "--vars",
        vars_json,
        "--resource-type",
        "seed",
        "--resource-type",
        "model",
        "--exclude",
        "path:models/conformance",
    ]


@pytest.fixture(scope="module")
def spark_warehouse(pipeline_run, tmp_path_factory):
    """Builds the project on Spark over the pipeline run's raw zone; yields its table folders."""
    root = tmp_path_factory.mktemp("spark")
    with patched_environ(pipeline_run.env):
        settings = load_settings()
    as_of = parse_instant(AS_OF).astimezone(VN_TZ)
    env = {
        **os.environ,
        "DBT_TARGET": "spark",
        "RAW_DIR": str(settings.raw_dir),
        "SPARK_DIR": str(root),
        "DBT_LOG_PATH": str(root / "logs"),
        # The evaluation instant reaches dbt through the environment (macros/run_vars.sql).
        "DBT_AS_OF": as_of.isoformat(),
        "JAVA_TOOL_OPTIONS": f"{os.environ.get('JAVA_TOOL_OPTIONS', '')} {JVM_OPTIONS}".strip(),
    }
    build = subprocess.run(
        spark_build_command(root / "target", dbt_vars(settings)),
        cwd=DBT_PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_SECONDS,
    )
    assert build.returncode == 0, build.stdout[-6000:] + build.stderr[-3000:]
    yield root / "warehouse"


def table_files(warehouse: Path, schema: str, table: str) -> str:
    folder = warehouse / f"{schema}.db" / table
    assert any(folder.glob("*.parquet")), f"Spark built no {schema}.{table}"
    return str(folder / "*.parquet")


def differences(con: duckdb.DuckDBPyConnection, schema: str, table: str, spark_glob: str):
    """Rows of DuckDB's table and Spark's, paired in the order of every non-floating column
    (then the floating ones); returns one message per column that differs, with examples."""
    con.execute(f"create or replace temp view duck as select * from wh.{schema}.{table}")
    con.execute(f"create or replace temp view spark as select * from read_parquet('{spark_glob}')")
    columns = con.execute("select column_name, column_type from (describe duck)").fetchall()
    spark_columns = [row[0] for row in con.execute("describe spark").fetchall()]
    if [name for name, _ in columns] != spark_columns:
        return [f"columns differ: {[n for n, _ in columns]} vs {spark_columns}"]
    exact = [name for name, kind in columns if kind not in FLOATING]
    floating = [name for name, kind in columns if kind in FLOATING]
    order = ", ".join(f'"{name}"' for name in exact + floating)
    for side in ("duck", "spark"):
        con.execute(
            f"create or replace temp table {side}_rows as "
            f"select *, row_number() over (order by {order}) as row_no from {side}"
        )
    [(duck_rows, spark_rows)] = con.execute(
        "select (select count(*) from duck_rows), (select count(*) from spark_rows)"
    ).fetchall()
    if duck_rows != spark_rows:
        return [f"{duck_rows} rows on DuckDB, {spark_rows} on Spark"]
    problems = []
    for name in exact + floating:
        if name in exact:
            differs = f'd."{name}" is distinct from s."{name}"'
        else:
            differs = (
                f'(d."{name}" is null) <> (s."{name}" is null) '
                f'or abs(d."{name}" - s."{name}") > {TOLERANCE} * greatest(1, abs(d."{name}"))'
            )
        examples = con.execute(
            f'select d."{name}", s."{name}" from duck_rows d join spark_rows s using (row_no) '
            f"where {differs} limit 3"
        ).fetchall()
        if examples:
            problems.append(f"{name}: {examples}")
    return problems


def test_marts_are_identical_on_duckdb_and_spark(pipeline_run, spark_warehouse):
    warehouse = spark_warehouse
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'Asia/Ho_Chi_Minh'")
        con.execute(f"attach '{pipeline_run.warehouse_path}' as wh (read_only)")
        published = {
            (schema, table)
            for schema, table in con.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_catalog = 'wh' and table_schema in ('marts', 'audit')"
            ).fetchall()
        }
        compared = {("marts", t) for t in PUBLIC_MARTS} | {("audit", t) for t in PUBLIC_AUDIT}
        assert published == compared
        report = {}
        for schema, table in sorted(compared):
            problems = differences(con, schema, table, table_files(warehouse, schema, table))
            if problems:
                report[f"{schema}.{table}"] = problems
        [(dossiers,)] = con.execute("select count(*) from wh.marts.fct_dossier").fetchall()
    assert dossiers > 1000
    assert not report, "\n".join(f"{t}: {p}" for t, p in report.items())
