"""Ways of exporting marts.fct_dossier_indicator as Parquet, measured side by side (issue 20).

    python benchmarks/runs/partitioned_export.py <published warehouse.duckdb> <variant>...

Each variant runs in its own process on the published file (read-only), with the publication's
DuckDB settings (memory_limit 3000MB, preserve_insertion_order false) unless it says otherwise;
one JSON line per variant: CPU seconds (user + sys), wall, peak RSS, MB on disk, files, row
groups and rows. Findings: benchmarks/runs/2026-12-07-partitioned-export.md.
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


def copy(con: duckdb.DuckDBPyConnection, query: str, out: Path, options: str = HIVE) -> None:
    extra = f", {options}" if options else ""
    con.execute(f"COPY ({query}) TO '{out}' (FORMAT parquet, COMPRESSION zstd{extra})")


def export(source: str, variant: str, out: Path) -> None:
    config = {"memory_limit": "3000MB", "preserve_insertion_order": False}
    con = duckdb.connect(source, read_only=True, config=config)
    everything = f"SELECT * FROM {TABLE}"
    if variant == "single":  # main: one file
        copy(con, everything, out, "")
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
    out = Path(f"{source}-out-{variant}" + (".parquet" if variant == "single" else ""))
    shutil.rmtree(out, ignore_errors=True)
    out.unlink(missing_ok=True)
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, __file__, "--one", source, variant, str(out)])
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    files = [out] if out.is_file() else list(out.rglob("*.parquet"))
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
