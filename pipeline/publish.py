"""Publication of the warehouse (warehouse.md "Access"), by difference.

The public schemas of the private build file are published as a checkpointed DuckDB file,
renamed over `WAREHOUSE_PATH` in one step: an analyst holding the old file open keeps reading
it undisturbed, and nobody ever sees a half-built mart. The marts are exported as Parquet under
`<warehouse folder>/marts/`, each file swapped in the same way.

Only what changed is published again (issue 20): every public table of the build gets a content
fingerprint (its columns, row count and the sum of its rows' hashes); a table whose fingerprint
equals the one recorded for the published file is neither copied nor exported again. The new
file then starts as a copy of the published one (a plain file copy, much cheaper than copying
tables through DuckDB) in which only the changed tables are replaced, unless they hold most of
the rows (see `plan_publication`). The record lives in the
build folder and names the published file it describes (inode, size, modification time); it is
removed before a publication touches anything and written after the swap, so a publication
that stopped half-way, or a published file replaced by anyone else, leaves no record that could
vouch for it: the next publication then copies and exports everything.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline.atomic import atomic_path, replace_durably, temporary_beside, write_text_atomic

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


RECORD_NAME = "publication.json"


@dataclass(frozen=True)
class Plan:
    """What one publication does, table by table (names are `schema.table`)."""

    from_previous: bool
    copy: tuple[str, ...]
    keep: tuple[str, ...]
    drop: tuple[str, ...]
    export: tuple[str, ...]
    export_kept: tuple[str, ...]

    @property
    def writes_file(self) -> bool:
        return bool(self.copy or self.drop) or not self.from_previous


@dataclass
class Publication:
    tables: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    bytes: int = 0
    copied: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    exported: list[str] = field(default_factory=list)
    export_kept: list[str] = field(default_factory=list)
    from_previous: bool = False


def plan_publication(
    current: dict[str, str],
    previous: dict[str, str] | None,
    exports_present: set[str],
    compact: bool = False,
    rows: dict[str, int] | None = None,
) -> Plan:
    """Which tables are copied into the new file and which marts exported again.

    `current`: the build's fingerprint per public table; `previous`: the fingerprints recorded
    for the published file, None when no record vouches for it; `exports_present`: the marts
    whose Parquet file exists; `compact`: the published file holds more free space than data;
    `rows`: the build's row count per table. The new file starts empty (its unchanged tables
    copied again, not their exports) when compacting, or when the changed tables hold at least
    as many rows as the unchanged ones: replacing most of a copied file measured slower than
    writing a new one (1 M dossiers, `fct_dossier_indicator` changed: 1.7 times)."""
    unchanged = {t for t, print_ in current.items() if previous and previous.get(t) == print_}
    changed_rows = sum((rows or {}).get(t, 0) for t in current if t not in unchanged)
    kept_rows = sum((rows or {}).get(t, 0) for t in unchanged)
    mostly_changed = rows is not None and changed_rows >= kept_rows
    from_previous = previous is not None and not compact and not mostly_changed
    copy = sorted(t for t in current if not (from_previous and t in unchanged))
    drop = sorted(t for t in (previous or {}) if from_previous and t not in current)
    marts = sorted(t for t in current if t.split(".", 1)[0] == "marts")
    export_kept = [t for t in marts if t in unchanged and t in exports_present]
    return Plan(
        from_previous=from_previous,
        copy=tuple(copy),
        keep=tuple(sorted(unchanged)) if from_previous else (),
        drop=tuple(drop),
        export=tuple(t for t in marts if t not in export_kept),
        export_kept=tuple(export_kept),
    )


def needs_compaction(used_blocks: int, free_blocks: int) -> bool:
    """A file rewritten in place keeps the blocks of the tables it dropped for reuse; once
    they outweigh the data the next publication starts a new file (DuckDB never shrinks one)."""
    return free_blocks > used_blocks


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _target(table: str) -> str:
    schema, name = table.split(".", 1)
    return f"{_quote(schema)}.{_quote(name)}"


def fingerprints(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, tuple[str, int]]:
    """Per public table of `catalog`: a fingerprint of its columns and rows (order-insensitive:
    the sum of the rows' 64-bit hashes, with the row count) and its row count."""
    tables = con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_catalog = ? AND table_schema IN ? ORDER BY table_schema, table_name",
        [catalog, list(PUBLIC_SCHEMAS)],
    ).fetchall()
    prints = {}
    for schema, table in tables:
        columns = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_catalog = ? AND table_schema = ? AND table_name = ? "
            "ORDER BY ordinal_position",
            [catalog, schema, table],
        ).fetchall()
        [(rows, hashes)] = con.execute(
            f"SELECT count(*), coalesce(sum(hash(t)), 0) "
            f"FROM {_quote(catalog)}.{_quote(schema)}.{_quote(table)} AS t"
        ).fetchall()
        digest = hashlib.sha256(json.dumps([columns, rows, str(hashes)]).encode()).hexdigest()
        prints[f"{schema}.{table}"] = (digest, rows)
    return prints


def record_path(build_path: Path) -> Path:
    return build_path.parent / RECORD_NAME


def _file_identity(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_ino, stat.st_size, stat.st_mtime_ns]


def read_record(build_path: Path, warehouse_path: Path) -> dict | None:
    """The record of the last publication, when it describes the file now published."""
    try:
        record = json.loads(record_path(build_path).read_text(encoding="utf-8"))
        if record["file"] != _file_identity(warehouse_path):
            return None
        used, free = record["blocks"]
        tables = record["tables"]
        if isinstance(used, int) and isinstance(free, int) and isinstance(tables, dict):
            return record
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def publish_warehouse(build_path: Path, warehouse_path: Path) -> Publication:
    if not build_path.exists():
        raise FileNotFoundError(f"no built warehouse at {build_path}; run the dbt models first")
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(warehouse_path)
    marts_folder = warehouse_path.parent / "marts"
    record = read_record(build_path, warehouse_path)
    # From here on the published file and exports may change: no record vouches for them until
    # this publication has finished.
    record_path(build_path).unlink(missing_ok=True)
    with duckdb.connect(config=connection_config()) as con:
        con.execute(f"ATTACH {_sql_str(build_path)} AS build (READ_ONLY)")
        current = fingerprints(con, "build")
    plan = plan_publication(
        {t: digest for t, (digest, _) in current.items()},
        record["tables"] if record else None,
        {f"marts.{p.stem}" for p in marts_folder.glob("*.parquet")},
        compact=bool(record) and needs_compaction(*record["blocks"]),
        rows={t: rows for t, (_, rows) in current.items()},
    )
    publication = Publication(
        tables=len(current),
        rows={t: rows for t, (_, rows) in current.items()},
        copied=list(plan.copy),
        kept=list(plan.keep),
        exported=list(plan.export),
        export_kept=list(plan.export_kept),
        from_previous=plan.from_previous,
    )
    blocks = record["blocks"] if record else [0, 0]
    if plan.writes_file:
        blocks = _write_file(build_path, warehouse_path, plan)
    else:
        _export_marts(warehouse_path, marts_folder, plan.export)
    publication.bytes = warehouse_path.stat().st_size
    write_text_atomic(
        record_path(build_path),
        json.dumps(
            {
                "file": _file_identity(warehouse_path),
                "tables": {t: digest for t, (digest, _) in current.items()},
                "blocks": blocks,
            },
            indent=1,
        ),
    )
    return publication


def _write_file(build_path: Path, warehouse_path: Path, plan: Plan) -> list[int]:
    """The new published file, swapped in: the published one copied with the changed tables
    replaced, or a new one; returns its used and free blocks."""
    tmp = temporary_beside(warehouse_path)
    try:
        if plan.from_previous:
            shutil.copyfile(warehouse_path, tmp)
        with duckdb.connect(str(tmp), config=connection_config()) as con:
            con.execute(f"ATTACH {_sql_str(build_path)} AS build (READ_ONLY)")
            for schema in PUBLIC_SCHEMAS:
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(schema)}")
            if plan.from_previous:
                for table in (*plan.drop, *plan.copy):
                    con.execute(f"DROP TABLE IF EXISTS {_target(table)}")
            # The dropped tables' blocks are freed at a checkpoint, for the new ones to reuse.
            con.execute("CHECKPOINT")
            for table in plan.copy:
                target = _target(table)
                con.execute(f"CREATE TABLE {target} AS SELECT * FROM build.{target}")
            con.execute("DETACH build")
            con.execute("CHECKPOINT")
            [(used, free)] = con.execute(
                "SELECT used_blocks, free_blocks FROM pragma_database_size()"
            ).fetchall()
            _export_from(con, warehouse_path.parent / "marts", plan.export)
        replace_durably(tmp, warehouse_path)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    return [used, free]


def _export_marts(warehouse_path: Path, folder: Path, tables: tuple[str, ...]) -> None:
    """Exports from the published file itself, when it did not change (a missing Parquet)."""
    if tables:
        with duckdb.connect(str(warehouse_path), read_only=True, config=connection_config()) as con:
            _export_from(con, folder, tables)


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


def _export_from(con: duckdb.DuckDBPyConnection, folder: Path, tables: tuple[str, ...]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for table in tables:
        final = folder / f"{table.split('.', 1)[1]}.parquet"
        with atomic_path(final) as tmp:
            con.execute(
                f"COPY {_target(table)} TO {_sql_str(tmp)} (FORMAT parquet, COMPRESSION zstd)"
            )


def _sql_str(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"
