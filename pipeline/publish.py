"""Publication of the warehouse (warehouse.md "Access").

The public schemas of the private build file are copied into a new DuckDB file, checkpointed,
and renamed over `WAREHOUSE_PATH` in one step: an analyst holding the old file open keeps
reading it undisturbed, and nobody ever sees a half-built mart. The marts are exported as
Parquet under `<warehouse folder>/marts/`, each file swapped in the same way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline.atomic import atomic_path, replace_durably, temporary_beside

PUBLIC_SCHEMAS = ("marts", "audit")
# The DuckDB limits of the dbt build (dbt_project/profiles.yml, which reads the same variable
# with the same default): unbounded, the copy and Parquet export of fct_dossier_indicator (28 M
# rows at 1 M dossiers) took 3.3 GB and kept the row order no reader relies on; bounded, 1.2 GB
# and half the time (benchmarks/runs/2026-12-07-scale.md).
MEMORY_LIMIT_VARIABLE = "DUCKDB_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "3000MB"


def connection_config() -> dict[str, object]:
    return {
        "memory_limit": os.environ.get(MEMORY_LIMIT_VARIABLE, DEFAULT_MEMORY_LIMIT),
        "preserve_insertion_order": False,
    }


@dataclass
class Publication:
    tables: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    bytes: int = 0


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def publish_warehouse(build_path: Path, warehouse_path: Path) -> Publication:
    if not build_path.exists():
        raise FileNotFoundError(f"no built warehouse at {build_path}; run the dbt models first")
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(warehouse_path)
    publication = Publication()
    tmp = temporary_beside(warehouse_path)
    try:
        with duckdb.connect(str(tmp), config=connection_config()) as con:
            con.execute(f"ATTACH {_sql_str(build_path)} AS build (READ_ONLY)")
            tables = con.execute(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_catalog = 'build' AND table_schema IN ? "
                "ORDER BY table_schema, table_name",
                [list(PUBLIC_SCHEMAS)],
            ).fetchall()
            for schema in PUBLIC_SCHEMAS:
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(schema)}")
            for schema, table in tables:
                target = f"{_quote(schema)}.{_quote(table)}"
                con.execute(f"CREATE TABLE {target} AS SELECT * FROM build.{target}")
                publication.rows[f"{schema}.{table}"] = con.execute(
                    f"SELECT count(*) FROM {target}"
                ).fetchall()[0][0]
            publication.tables = len(tables)
            con.execute("DETACH build")
            con.execute("CHECKPOINT")
            _export_marts(
                con, warehouse_path.parent / "marts", [t for s, t in tables if s == "marts"]
            )
        replace_durably(tmp, warehouse_path)
        publication.bytes = warehouse_path.stat().st_size
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    return publication


def _remove_stale_temporaries(warehouse_path: Path) -> None:
    """Temporary files of a publication that was killed before its cleanup (publications run
    one at a time, in the pool `warehouse_writer`, so none of them is in use)."""
    folder = warehouse_path.parent
    for stale in (
        *folder.glob(f".{warehouse_path.name}.*.tmp"),
        *folder.glob(f".{warehouse_path.name}.*.tmp.wal"),
        *(folder / "marts").glob(".*.tmp"),
    ):
        stale.unlink(missing_ok=True)


def _export_marts(con: duckdb.DuckDBPyConnection, folder: Path, tables: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for table in tables:
        final = folder / f"{table}.parquet"
        with atomic_path(final) as tmp:
            con.execute(
                f"COPY marts.{_quote(table)} TO {_sql_str(tmp)} (FORMAT parquet, COMPRESSION zstd)"
            )


def _sql_str(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"
