"""Ways of exporting marts.fct_dossier_indicator as Parquet, measured side by side (issue 20).

    python benchmarks/runs/partitioned_export.py <published warehouse.duckdb> <variant>...

Each variant runs in its own process on the published file (read-only), with the publication's
DuckDB settings (memory_limit 3000MB, preserve_insertion_order false) unless it says otherwise;
one JSON line per variant: CPU seconds (user + sys), wall, peak RSS, MB written (files that are
not hard links), files, row groups and rows. Outputs go beside the source, or under
`$EXPORT_OUT`; `publish_*` run pipeline/publish.py's own export (PYTHONPATH: the repository).
Findings: benchmarks/runs/2026-12-07-partitioned-export.md.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

TABLE = "marts.fct_dossier_indicator"
HIVE = "PARTITION_BY (period_type, period_start), WRITE_PARTITION_COLUMNS true"
BY_DOSSIER = "dossier_id, indicator_code"
# The partitions a daily build changes at 1 M dossiers (AS_OF 2026-11-20): the current year's.
DAILY = (
    "(period_type = 'year' AND period_start = DATE '2026-01-01') OR (period_type = 'quarter' "
    "AND period_start = DATE '2026-10-01') OR (period_type = 'month' "
    "AND period_start = DATE '2026-11-01')"
)
# parts5: one partition per year of period_start, the key a derived column `period_year`
# (not written inside the files: readers get it from the folder names).
BY_YEAR = f"SELECT *, year(period_start) AS period_year FROM {TABLE}"
HIVE_YEAR = "PARTITION_BY (period_year)"
THIS_YEAR = "year(period_start) = 2026"


def copy(con: duckdb.DuckDBPyConnection, query: str, out: Path, options: str = HIVE) -> None:
    extra = f", {options}" if options else ""
    con.execute(f"COPY ({query}) TO '{out}' (FORMAT parquet, COMPRESSION zstd{extra})")


def export(source: str, variant: str, out: Path) -> None:
    config = {"memory_limit": "3000MB", "preserve_insertion_order": False}
    if variant in ("full_main", "full_publish"):  # a whole publication of the table
        from pipeline.publish import _copy_table, _export_partitioned

        con = duckdb.connect(str(out / "published.duckdb"), config=config)
        con.execute(f"ATTACH '{source}' AS build (READ_ONLY)")
        con.execute("CREATE SCHEMA marts")
        if variant == "full_main":  # main: the table copied, then one file
            con.execute(f"CREATE TABLE {TABLE} AS SELECT * FROM build.{TABLE}")
            copy(con, f"SELECT * FROM {TABLE}", out / "export.parquet", "")
        else:  # parts5: copied year by year, then one COPY per year
            _copy_table(con, TABLE)
            _export_partitioned(con, out, TABLE, None)
        return
    con = duckdb.connect(source, read_only=True, config=config)
    everything = f"SELECT * FROM {TABLE}"
    if variant == "single":  # main: one file
        copy(con, everything, out, "")
    elif variant in ("hive_year", "hive_year_threads1"):  # one partition per year (parts5)
        if variant.endswith("threads1"):
            con.execute("SET threads = 1")
        copy(con, BY_YEAR, out, HIVE_YEAR)
    elif variant == "hive_year_columns":  # the same, the key also written inside the files
        copy(con, BY_YEAR, out, f"{HIVE_YEAR}, WRITE_PARTITION_COLUMNS true")
    elif variant.startswith("hive_year_flush"):  # hive_year_flush_<rows>
        con.execute(f"SET partitioned_write_flush_threshold = {variant.rsplit('_', 1)[1]}")
        copy(con, BY_YEAR, out, HIVE_YEAR)
    elif variant == "daily_hive_year":  # the current year's partition
        copy(con, f"{BY_YEAR} WHERE {THIS_YEAR}", out, HIVE_YEAR)
    elif variant in ("per_year", "daily_per_year"):  # one plain COPY per year's folder
        years = [2026]
        if variant == "per_year":
            query = f"SELECT DISTINCT year(period_start) FROM {TABLE} ORDER BY 1"
            years = [y for (y,) in con.execute(query).fetchall()]
        for year in years:
            folder = out / f"period_year={year}"
            folder.mkdir(parents=True)
            where = f"period_start >= DATE '{year}-01-01' AND period_start < '{year + 1}-01-01'"
            copy(con, f"{everything} WHERE {where}", folder / "data_0.parquet", "")
    elif variant in ("publish_whole", "publish_daily"):  # pipeline/publish.py's own export
        from pipeline.publish import _export_partitioned

        changed = {("2026",)} if variant == "publish_daily" else None
        _export_partitioned(con, out, TABLE, changed)
    elif variant == "hive":  # parts3: one partitioned COPY
        copy(con, everything, out)
    elif variant == "hive_threads1":
        con.execute("SET threads = 1")
        copy(con, everything, out)
    elif variant == "hive_8gb":
        con.execute("SET memory_limit = '8GB'")
        copy(con, everything, out)
    elif variant == "hive_sorted_by_period":
        copy(con, f"{everything} ORDER BY period_type, period_start", out)
    elif variant.startswith("hive_sorted_by_dossier"):  # hive_sorted_by_dossier[_<MB>]
        if variant != "hive_sorted_by_dossier":
            con.execute(f"SET memory_limit = '{variant.rsplit('_', 1)[1]}MB'")
        con.execute("SET partitioned_write_max_open_files = 2")
        copy(con, f"{everything} ORDER BY period_type, period_start, {BY_DOSSIER}", out)
    elif variant == "hive_per_period_type_sorted":
        con.execute("SET partitioned_write_max_open_files = 2")
        for (kind,) in con.execute(f"SELECT DISTINCT period_type FROM {TABLE}").fetchall():
            query = f"{everything} WHERE period_type = '{kind}' ORDER BY period_start, {BY_DOSSIER}"
            copy(con, query, out, f"{HIVE}, APPEND")
    elif variant in ("per_partition", "per_partition_sorted"):  # one COPY per partition
        order = f" ORDER BY {BY_DOSSIER}" if variant.endswith("sorted") else ""
        for kind, start in con.execute(
            f"SELECT DISTINCT period_type, period_start FROM {TABLE}"
        ).fetchall():
            folder = out / f"period_type={kind}" / f"period_start={start}"
            folder.mkdir(parents=True)
            where = f"WHERE period_type = '{kind}' AND period_start = DATE '{start}'"
            copy(
                con,
                f"{everything} {where}{order}",
                folder / "data_0.parquet",
                "",
            )
    elif variant in ("daily_hive", "daily_hive_sorted_by_dossier"):
        order = ""
        if variant.endswith("dossier"):
            con.execute("SET partitioned_write_max_open_files = 2")
            order = f" ORDER BY period_type, period_start, {BY_DOSSIER}"
        copy(con, f"{everything} WHERE {DAILY}{order}", out)
    else:
        raise SystemExit(f"unknown variant {variant}")


def measure(source: str, variant: str) -> dict:
    # Written beside the source, or under $EXPORT_OUT when set.
    base = Path(os.environ["EXPORT_OUT"]) / "out" if os.environ.get("EXPORT_OUT") else Path(source)
    out = Path(f"{base}-out-{variant}" + (".parquet" if variant == "single" else ""))
    shutil.rmtree(out, ignore_errors=True)
    out.unlink(missing_ok=True)
    if variant.startswith(("publish", "full")):
        out.mkdir(parents=True)
        if variant == "publish_daily":  # from the last version, written whole beforehand
            one = [sys.executable, __file__, "--one", source, "publish_whole", str(out)]
            subprocess.run(one, check=True)
            os.symlink(next(out.iterdir()).name, out / "fct_dossier_indicator")
    before = set(out.iterdir()) if out.is_dir() else set()
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, __file__, "--one", source, variant, str(out)])
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if variant.startswith("publish"):  # the version folder the publication would link to
        [out] = set(out.iterdir()) - before
    elif variant.startswith("full"):
        (out / "published.duckdb").unlink()  # MB, files and rows: the export's
    # The files written (hard links to the last version's files are not).
    files = [out] if out.is_file() else list(out.rglob("*.parquet"))
    files = [f for f in files if f.stat().st_nlink == 1]
    glob = str(out) if out.is_file() else f"{out}/**/*.parquet"
    [(groups, rows)] = duckdb.sql(
        "SELECT count(*), sum(row_group_num_rows) FROM (SELECT DISTINCT file_name, "
        f"row_group_id, row_group_num_rows FROM parquet_metadata('{glob}'))"
    ).fetchall()
    return {
        "variant": variant,
        "status": status,
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "wall_s": round(wall, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        "mb": round(sum(f.stat().st_size for f in files) / 1e6, 1),
        "files": len(files),
        "row_groups": groups,
        "rows": int(rows),
    }


if __name__ == "__main__":
    if sys.argv[1] == "--one":
        export(sys.argv[2], sys.argv[3], Path(sys.argv[4]))
    else:
        for name in sys.argv[2:]:
            print(json.dumps(measure(sys.argv[1], name)), flush=True)
