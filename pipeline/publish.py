"""Publication of the warehouse (warehouse.md "Access"), by difference.

The public schemas of the private build file are published as a checkpointed DuckDB file,
renamed over `WAREHOUSE_PATH` in one step: an analyst holding the old file open keeps reading
it undisturbed, and nobody ever sees a half-built mart. The marts are exported as Parquet under
`<warehouse folder>/marts/`, each file swapped in the same way; a partitioned mart (see
`PARTITIONED`) as a folder of Hive partitions, a link to a version folder renamed over the old
link, in which a publication by rows writes again only the partitions whose rows changed. A
publication by rows replaces only the rows that differ from the build's (`_replace_rows`).

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
import re
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import yaml

from pipeline.atomic import (
    atomic_path,
    fsync_path,
    replace_durably,
    temporary_beside,
    write_text_atomic,
)
from pipeline.build_state import build_of, file_identity
from pipeline.row_hash import row_hash, row_hash_by, total

PUBLIC_SCHEMAS = ("marts", "audit")
PROFILES = Path(__file__).resolve().parent.parent / "dbt_project" / "profiles.yml"


def profile_memory_limit(profiles: Path = PROFILES) -> tuple[str, str]:
    """The DuckDB memory limit of the dbt build as its profile writes it: the environment
    variable it reads and its default (`{{ env_var('NAME', 'DEFAULT') }}`)."""
    profile = yaml.safe_load(profiles.read_text(encoding="utf-8"))
    setting = profile["motcua_warehouse"]["outputs"]["duckdb"]["settings"]["memory_limit"]
    found = re.fullmatch(r"\{\{\s*env_var\('(\w+)',\s*'([^']+)'\)\s*\}\}", str(setting))
    if found is None:
        raise ValueError(f"{profiles}: memory_limit is not an env_var with a default")
    return found.group(1), found.group(2)


# The DuckDB limits of the dbt build, read from its profile: unbounded, the copy and Parquet
# export of fct_dossier_indicator (28 M rows at 1 M dossiers) took 3.3 GB and kept the row
# order no reader relies on; bounded, 1.2 GB and half the time
# (benchmarks/runs/2026-12-07-scale.md).
MEMORY_LIMIT_VARIABLE, DEFAULT_MEMORY_LIMIT = profile_memory_limit()


def connection_config() -> dict[str, object]:
    return {
        "memory_limit": os.environ.get(MEMORY_LIMIT_VARIABLE, DEFAULT_MEMORY_LIMIT),
        "preserve_insertion_order": False,
    }


RECORD_NAME = "publication.json"

# Marts exported as a Hive-partitioned folder instead of one file, by the year of a DATE
# column: (the key's column name, the DATE column). The key is not written inside the files:
# `read_parquet('<folder>/**/*.parquet', hive_partitioning=true)` gives the table's columns and
# types plus the key, read from the folder names (`period_year=2026/`). A daily publication by
# rows writes again only the partitions whose rows changed.
# fct_dossier_indicator by year of period_start: a dossier's month, quarter and year rows of a
# year stay side by side as in the single file (which they compress with), and each partition
# is one plain COPY (DuckDB's partitioned writer holds a row group per open partition: by
# (period_type, period_start), 50 partitions, a whole export took 2.9 times the single file's
# CPU and 3 GB). At 1 M dossiers (3 years, 28 M rows) see
# benchmarks/runs/2026-12-07-partitioned-export.md for the whole and daily exports' cost.
PARTITIONED: dict[str, tuple[str, str]] = {
    "marts.fct_dossier_indicator": ("period_year", "period_start"),
}
Partition = tuple[str | None, ...]  # the key's value as text (None: the key is NULL)


@dataclass(frozen=True)
class Content:
    """A table's content fingerprint: its columns, its row count and the sum of its rows'
    hashes (pipeline/row_hash.py). `deleted`: the rows deleted from the published table since
    it was last written whole, whose space DuckDB keeps."""

    columns: tuple[tuple[str, str], ...]
    rows: int
    hash: int
    deleted: int = 0

    @property
    def digest(self) -> str:
        columns = [list(c) for c in self.columns]
        return hashlib.sha256(json.dumps([columns, self.rows, str(self.hash)]).encode()).hexdigest()

    def as_json(self) -> dict:
        columns = [list(c) for c in self.columns]
        return {
            "columns": columns,
            "rows": self.rows,
            "hash": str(self.hash),
            "deleted": self.deleted,
        }

    @classmethod
    def from_json(cls, value: dict) -> Content:
        columns = tuple((str(name), str(kind)) for name, kind in value["columns"])
        return cls(columns, int(value["rows"]), int(value["hash"]), int(value.get("deleted", 0)))


@dataclass(frozen=True)
class ByRows:
    """A table published by rows: in the copy of the published file, of the rows whose
    `column` is in the build's table `keys`, those that differ from the build's are replaced
    (see `_replace_rows`)."""

    column: str
    keys: str
    incoming: int  # the build's rows of those keys
    # Their first and last row ids when they lie together (a daily build appends them so).
    row_range: tuple[int, int] | None = None


@dataclass(frozen=True)
class Plan:
    """What one publication does, table by table (names are `schema.table`)."""

    from_previous: bool
    copy: tuple[str, ...]
    keep: tuple[str, ...]
    drop: tuple[str, ...]
    export: tuple[str, ...]
    export_kept: tuple[str, ...]
    by_rows: tuple[str, ...] = ()

    @property
    def writes_file(self) -> bool:
        return bool(self.copy or self.drop or self.by_rows) or not self.from_previous


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
    by_rows: list[str] = field(default_factory=list)  # published by rows (see `ByRows`)
    compared: list[str] = field(default_factory=list)  # fingerprinted (scanned whole)
    # A partitioned export written: its partitions written and kept (hard links to the last).
    partitions: dict[str, list[int]] = field(default_factory=dict)
    # Published by rows: the rows deleted and inserted (those that differ from the build's).
    replaced: dict[str, list[int]] = field(default_factory=dict)


def plan_publication(
    current: dict[str, str],
    previous: dict[str, str] | None,
    exports_present: set[str],
    compact: bool = False,
    rows: dict[str, int] | None = None,
    by_rows: dict[str, int] | None = None,
) -> Plan:
    """Which tables are copied into the new file and which marts exported again.

    `current`: the build's fingerprint per public table; `previous`: the fingerprints recorded
    for the published file, None when no record vouches for it; `exports_present`: the marts
    whose Parquet file exists; `compact`: the published file holds more free space than data;
    `rows`: the build's row count per table; `by_rows`: the changed tables that may be
    published by rows, each with the number of rows that replace theirs. The new file starts
    empty (its unchanged tables copied again, not their exports) when compacting, or when the
    changed rows are at least as many as the unchanged ones: replacing most of a copied file
    measured slower than writing a new one (1 M dossiers, `fct_dossier_indicator` changed:
    1.7 times). In a new file every table is copied whole."""
    by_rows = by_rows or {}
    unchanged = {
        t
        for t, print_ in current.items()
        if t not in by_rows and previous and previous.get(t) == print_
    }
    counts = rows or {}
    changed_rows = sum(by_rows.get(t, counts.get(t, 0)) for t in current if t not in unchanged)
    kept_rows = sum(counts.get(t, 0) for t in unchanged)
    kept_rows += sum(counts.get(t, 0) - n for t, n in by_rows.items() if t in current)
    mostly_changed = rows is not None and changed_rows >= kept_rows
    from_previous = previous is not None and not compact and not mostly_changed
    rowwise = sorted(t for t in by_rows if from_previous and t in current)
    copy = sorted(t for t in current if not (from_previous and (t in unchanged or t in rowwise)))
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
        by_rows=tuple(rowwise),
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


def public_columns(
    con: duckdb.DuckDBPyConnection, catalog: str
) -> dict[str, tuple[tuple[str, str], ...]]:
    """The public tables and views of `catalog`, each with its columns (name, type)."""
    found: dict[str, list[tuple[str, str]]] = {}
    for schema, table, column, kind in con.execute(
        "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_catalog = ? AND table_schema IN ? "
        "ORDER BY table_schema, table_name, ordinal_position",
        [catalog, list(PUBLIC_SCHEMAS)],
    ).fetchall():
        found.setdefault(f"{schema}.{table}", []).append((column, kind))
    return {t: tuple(columns) for t, columns in found.items()}


def content(
    con: duckdb.DuckDBPyConnection,
    catalog: str | None,
    table: str,
    columns: tuple[tuple[str, str], ...],
) -> Content:
    """The fingerprint of a table of `catalog` (None: the connection's own file), read whole."""
    prefix = f"{_quote(catalog)}." if catalog else ""
    rows, total = row_hash(con, f"{prefix}{_target(table)}")
    return Content(columns, rows, total)


def record_path(build_path: Path) -> Path:
    return build_path.parent / RECORD_NAME


def read_record(build_path: Path, warehouse_path: Path) -> dict | None:
    """The record of the last publication, when it describes the file now published."""
    try:
        record = json.loads(record_path(build_path).read_text(encoding="utf-8"))
        if record["file"] != file_identity(warehouse_path):
            return None
        used, free = record["blocks"]
        tables = record["tables"]
        if isinstance(used, int) and isinstance(free, int) and isinstance(tables, dict):
            return record
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def recorded_contents(record: dict | None) -> dict[str, Content]:
    """The fingerprints a record holds in full (a record without them holds none)."""
    try:
        contents = {t: Content.from_json(v) for t, v in (record or {}).get("content", {}).items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}
    # A record's digests are those of its contents, or it vouches for none of them.
    tables = (record or {}).get("tables", {})
    return {t: c for t, c in contents.items() if tables.get(t) == c.digest}


def vouched_changes(record: dict | None, build: dict | None) -> dict[str, dict | None] | None:
    """What may differ between the published file and the build file, when the records vouch
    for it (`relation -> None | {"column", "keys"}`, build_skip.relation_changes): nothing
    when the build file is the very one published; the build's `changes` when that build
    started from the one published. None (every table compared whole) otherwise: no record of
    the publication or of the build, builds in between that no record names (two builds, a
    full one, a failed one, a build file changed by hand), a publication that stopped."""
    if not record or not build or not record.get("build") or not build.get("build_id"):
        return None
    if build["build_id"] == record["build"]:
        return {}
    changes = build.get("changes")
    if build.get("base_build") == record["build"] and isinstance(changes, dict):
        return changes
    return None


def publish_warehouse(build_path: Path, warehouse_path: Path) -> Publication:
    if not build_path.exists():
        raise FileNotFoundError(f"no built warehouse at {build_path}; run the dbt models first")
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(warehouse_path)
    marts_folder = warehouse_path.parent / "marts"
    record = read_record(build_path, warehouse_path)
    build = build_of(build_path)
    changes = vouched_changes(record, build)
    # From here on the published file and exports may change: no record vouches for them until
    # this publication has finished.
    record_path(build_path).unlink(missing_ok=True)
    recorded = recorded_contents(record)
    contents: dict[str, Content] = {}
    by_rows: dict[str, ByRows] = {}
    compared: list[str] = []
    with duckdb.connect(config=connection_config()) as con:
        con.execute(f"ATTACH {_sql_str(build_path)} AS build (READ_ONLY)")
        columns = public_columns(con, "build")
        for table, cols in columns.items():
            before = recorded.get(table)
            same_columns = before is not None and before.columns == cols
            if changes is not None and table not in changes and same_columns:
                contents[table] = before  # the build did not touch it since it was published
                continue
            spec = (changes or {}).get(table)
            if same_columns and isinstance(spec, dict) and _has_table(con, spec.get("keys")):
                rows_by = _rows_by(con, table, spec, before)
                if rows_by is not None:
                    by_rows[table] = rows_by
                    continue
            contents[table] = content(con, "build", table, cols)
            compared.append(table)
    rows = {t: c.rows for t, c in contents.items()}
    rows.update({t: recorded[t].rows for t in by_rows})  # as published, before its rows change
    plan = plan_publication(
        {t: c.digest for t, c in contents.items()} | {t: "" for t in by_rows},
        record["tables"] if record else None,
        {t for t in columns if export_present(marts_folder, t)},
        compact=bool(record) and needs_compaction(*record["blocks"]),
        rows=rows,
        by_rows={t: b.incoming for t, b in by_rows.items()},
    )
    blocks = record["blocks"] if record else [0, 0]
    whole: list[str] = []
    same: list[str] = []
    exports = (record or {}).get("exports")
    vouched = exports if isinstance(exports, dict) else {}
    replaced: dict[str, list[int]] = {}
    if plan.writes_file:
        blocks, written, whole, same, partitions = _write_file(
            build_path, warehouse_path, plan, by_rows, recorded, vouched, replaced
        )
        contents.update(written)
    else:
        partitions = _export_marts(warehouse_path, marts_folder, plan.export)
    publication = Publication(
        tables=len(contents),
        rows={t: c.rows for t, c in contents.items()},
        copied=sorted([*plan.copy, *whole]),
        kept=list(plan.keep),
        exported=[t for t in plan.export if t not in same],
        export_kept=sorted([*plan.export_kept, *same]),
        from_previous=plan.from_previous,
        by_rows=[t for t in plan.by_rows if t not in whole],
        compared=sorted(compared + [t for t in by_rows if t not in plan.by_rows] + whole),
        partitions=partitions,
        replaced=replaced,
    )
    publication.bytes = warehouse_path.stat().st_size
    write_text_atomic(
        record_path(build_path),
        json.dumps(
            {
                "file": file_identity(warehouse_path),
                "build": build.get("build_id") if build else None,
                "tables": {t: c.digest for t, c in contents.items()},
                "content": {t: c.as_json() for t, c in contents.items()},
                "blocks": blocks,
                # The version folder of each partitioned export, which the next publication
                # may update partition by partition.
                "exports": {
                    t: version.name
                    for t in PARTITIONED
                    if (version := _current_version(marts_folder, t)) is not None
                },
            },
            indent=1,
        ),
    )
    return publication


def _has_table(con: duckdb.DuckDBPyConnection, table: object) -> bool:
    """Whether the build file has the table `schema.name`."""
    if not isinstance(table, str) or "." not in table:
        return False
    schema, name = table.split(".", 1)
    return bool(
        con.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_catalog = 'build' "
            "AND table_schema = ? AND table_name = ? AND table_type = 'BASE TABLE'",
            [schema, name],
        ).fetchall()
    )


def _rows_by(
    con: duckdb.DuckDBPyConnection, table: str, spec: dict, before: Content | None
) -> ByRows | None:
    """How a table changed only in the rows of some keys would be published by rows; None
    when it is not worth it: the rows of those keys are half the table or more, or the rows
    deleted from the published table since it was written whole (whose space DuckDB keeps)
    could outnumber its rows. Counts the build's rows of those keys, reading the key column
    alone (their content is read once, when they are compared with the published rows), and
    notes their row ids' range when nothing else lies in it."""
    column, keys = str(spec["column"]), str(spec["keys"])
    quoted = _quote(column)
    [(incoming, first, last)] = con.execute(
        f"SELECT count(*), min(rowid), max(rowid) FROM build.{_target(table)} "
        f"WHERE {quoted} IN (SELECT {quoted} FROM build.{_target(keys)})"
    ).fetchall()
    if before is None or 2 * incoming >= before.rows or before.deleted + incoming > before.rows:
        return None
    together = incoming and last - first + 1 == incoming
    return ByRows(column, keys, incoming, (first, last) if together else None)


def _rows_of(relation: str, column: str, keys: str) -> str:
    """The rows of the table `relation` whose `column` is in the table `keys` (both quoted
    names), as a parenthesised query: their row ids found first, reading the key column alone,
    then their rows fetched whole. A plain `WHERE column IN (...)` reads every column of every
    row; at 3 M dossiers (84.7 M rows, 0.97 M of them the refreshed dossiers') this takes 1.7-2.2
    CPU-s instead of 2.6-3.5 in the build, where a daily build appended these rows together.
    Where they lie scattered (the published file) fetching them by row id costs more than
    reading every column: 6.0 CPU-s instead of 3.3-4.8."""
    quoted = _quote(column)
    return (
        f"(SELECT * FROM {relation} WHERE rowid IN (SELECT rowid FROM {relation} "
        f"WHERE {quoted} IN (SELECT {quoted} FROM {keys})))"
    )


def _write_file(
    build_path: Path,
    warehouse_path: Path,
    plan: Plan,
    by_rows: dict[str, ByRows],
    recorded: dict[str, Content],
    vouched: dict[str, str],
    replaced: dict[str, list[int]],
) -> tuple[list[int], dict[str, Content], list[str], list[str], dict[str, list[int]]]:
    """The new published file, swapped in: the published one copied with the changed tables
    replaced (or their changed rows), or a new one; returns its used and free blocks, the
    fingerprints of the tables it wrote that the caller did not have, the tables to be
    published by rows that it replaced whole, those whose export it kept, and the partitions
    of partitioned exports written and kept. `vouched`: the version folder the record names
    for each partitioned export (only that one may be updated partition by partition);
    `replaced` gets the rows deleted and inserted per table published by rows."""
    tmp = temporary_beside(warehouse_path)
    written: dict[str, Content] = {}
    whole: list[str] = []
    changed: dict[str, set[Partition]] = {}
    # Partitioned exports written but not yet swapped in: their links are renamed only after
    # the file's own rename, so a publication killed at any point leaves the exports of the
    # previous file or of the new one, each readable whole.
    pending: list[tuple[str, Path]] = []
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
                _copy_table(con, table)
                if table in by_rows:  # changed by rows, copied whole: read it once more
                    written[table] = content(con, None, table, recorded[table].columns)
            for table in plan.by_rows:
                carried, parts, counts = _replace_rows(con, table, by_rows[table], recorded[table])
                if parts is not None:
                    changed[table] = parts
                if carried is None:  # replaced whole
                    carried = content(con, None, table, recorded[table].columns)
                    whole.append(table)
                else:
                    replaced[table] = counts
                written[table] = carried
            con.execute("DETACH build")
            con.execute("CHECKPOINT")
            [(used, free)] = con.execute(
                "SELECT used_blocks, free_blocks FROM pragma_database_size()"
            ).fetchall()
            # A table published by rows that came out as published keeps its export, which the
            # record vouched for: the Parquet of a table is its costliest part to write.
            folder = warehouse_path.parent / "marts"
            same = [
                t
                for t in plan.by_rows
                if t in written
                and t not in whole
                and written[t].digest == recorded[t].digest
                and export_present(folder, t)
            ]
            # A partitioned export the record vouches for is updated partition by partition.
            partial = {
                t: parts
                for t, parts in changed.items()
                if t not in whole
                and (version := _current_version(folder, t)) is not None
                and vouched.get(t) == version.name
            }
            partitions = _export_from(
                con, folder, tuple(t for t in plan.export if t not in same), partial, pending
            )
        replace_durably(tmp, warehouse_path)
        while pending:  # a swap that fails leaves its version to the next publication's cleanup
            table, version = pending.pop(0)
            _swap_in(folder, table, version)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
        for _, version in pending:  # written, never swapped in: no link names them
            shutil.rmtree(version, ignore_errors=True)
    return [used, free], written, whole, same, partitions


# Column names of `_replace_rows`' work table beside the table's own columns.
_SIDE, _ROW_ID, _PUBLISHED, _BUILT, _ROW_IDS = (
    "__publish_side",
    "__publish_rowid",
    "__publish_published",
    "__publish_built",
    "__publish_rowids",
)


def _replace_rows(
    con: duckdb.DuckDBPyConnection, table: str, by: ByRows, before: Content
) -> tuple[Content | None, set[Partition] | None, list[int]]:
    """Publish a table by rows (see `ByRows`): of the rows of the build's keys, only those that
    differ are replaced. The published rows and the build's rows of those keys are grouped
    together by all their columns, each distinct row counted on each side: the published
    rows the build has fewer of (published EXCEPT ALL built) are deleted by row id, the
    build's rows the table has fewer of (built EXCEPT ALL published) inserted. At 3 M
    dossiers a daily build recomputes 0.97 M rows of `fct_dossier_indicator` of which 8 k
    differ (benchmarks/runs/2026-12-08-publication-by-difference.md).

    Its fingerprint is carried forward: the hashes of the deleted rows subtracted, those of the
    inserted rows added. The table must then hold as many rows as the build's; else it is
    replaced whole (and None returned). For a partitioned mart, also the partitions whose
    rows changed: those holding a deleted or an inserted row; and the rows deleted and
    inserted."""
    target = _target(table)
    cols = ", ".join(_quote(name) for name, _ in before.columns)
    keys = f"build.{_target(by.keys)}"
    side, row_id, published, built, row_ids = map(
        _quote, (_SIDE, _ROW_ID, _PUBLISHED, _BUILT, _ROW_IDS)
    )
    built_rows = _built_rows(table, by)
    diff = _quote(f"__publish_diff_{uuid.uuid4().hex}")
    con.execute("BEGIN TRANSACTION")  # no checkpoint may renumber the row ids in between
    try:
        con.execute(
            f"CREATE TEMP TABLE {diff} AS SELECT {cols}, "
            f"count(*) FILTER ({side}) AS {published}, "
            f"count(*) FILTER (NOT {side}) AS {built}, "
            f"list({row_id}) FILTER ({side}) AS {row_ids} FROM ("
            f"SELECT true AS {side}, rowid AS {row_id}, {cols} FROM {target} "
            f"WHERE {_quote(by.column)} IN (SELECT {_quote(by.column)} FROM {keys}) "
            f"UNION ALL SELECT false, NULL, {cols} FROM {built_rows}"
            f") GROUP BY {cols} HAVING {published} <> {built}"
        )
        # Each differing row as many times as one side has more of it.
        gone = (
            f"(SELECT {cols} FROM (SELECT *, unnest(range({published} - {built})) "
            f"FROM {diff} WHERE {published} > {built}))"
        )
        new = (
            f"(SELECT {cols} FROM (SELECT *, unnest(range({built} - {published})) "
            f"FROM {diff} WHERE {built} > {published}))"
        )
        if table in PARTITIONED:
            gone_parts = row_hash_by(con, gone, (_partition_key(table),))
            new_parts = row_hash_by(con, new, (_partition_key(table),))
            changed = {*gone_parts, *new_parts}
            (gone_rows, gone_hash), (new_rows, new_hash) = total(gone_parts), total(new_parts)
        else:
            changed = None
            (gone_rows, gone_hash), (new_rows, new_hash) = row_hash(con, gone), row_hash(con, new)
        [(deleted,)] = con.execute(
            f"DELETE FROM {target} WHERE rowid IN (SELECT unnest({row_ids}[1:{published} - "
            f"{built}]) FROM {diff} WHERE {published} > {built})"
        ).fetchall()
        [(inserted,)] = con.execute(f"INSERT INTO {target} ({cols}) SELECT * FROM {new}").fetchall()
        con.execute(f"DROP TABLE {diff}")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    rows = before.rows - gone_rows + new_rows
    [(in_build,)] = con.execute(f"SELECT count(*) FROM build.{target}").fetchall()
    [(in_table,)] = con.execute(f"SELECT count(*) FROM {target}").fetchall()
    if (deleted, inserted) != (gone_rows, new_rows) or not rows == in_build == in_table:
        con.execute(f"DROP TABLE {target}")
        _copy_table(con, table)
        return None, None, [deleted, inserted]
    carried = before.hash - gone_hash + new_hash
    result = Content(before.columns, rows, carried, before.deleted + gone_rows)
    return result, changed, [deleted, inserted]


def _built_rows(table: str, by: ByRows) -> str:
    """The build's rows of the keys (see `_rows_of`), as a parenthesised query: read within
    their row ids' range when `_rows_by` found that range to hold them alone (the build file is
    attached read-only, so its row ids stay; at 3 M dossiers 0.1 CPU-s instead of 1.8: no
    second scan of the key column). Should the range miss some of them after all, the row
    counts `_replace_rows` checks against the build's differ and the table is replaced whole."""
    relation, column = f"build.{_target(table)}", _quote(by.column)
    keys = f"build.{_target(by.keys)}"
    if by.row_range is not None:
        first, last = by.row_range
        return (
            f"(SELECT * FROM {relation} WHERE rowid BETWEEN {int(first)} AND {int(last)} "
            f"AND {column} IN (SELECT {column} FROM {keys}))"
        )
    return _rows_of(relation, by.column, keys)


def _export_marts(
    warehouse_path: Path, folder: Path, tables: tuple[str, ...]
) -> dict[str, list[int]]:
    """Exports from the published file itself, when it did not change (a missing Parquet)."""
    if not tables:
        return {}
    with duckdb.connect(str(warehouse_path), read_only=True, config=connection_config()) as con:
        return _export_from(con, folder, tables)


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
    # Version folders of a partitioned export that no link names: a publication that stopped
    # before its swap, or one whose old version was not yet removed.
    for table in PARTITIONED:
        name = table.split(".", 1)[1]
        current = _current_version(folder / "marts", table)
        for version in (folder / "marts").glob(f".{name}-*"):
            if version != current:
                shutil.rmtree(version, ignore_errors=True)


def export_path(folder: Path, table: str) -> Path:
    """The Parquet copy of the public table `table` (`schema.name`) in the exports' folder."""
    return folder / f"{table.split('.', 1)[1]}.parquet"


def _export_from(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    tables: tuple[str, ...],
    partial: dict[str, set[Partition]] | None = None,
    pending: list[tuple[str, Path]] | None = None,
) -> dict[str, list[int]]:
    """Export `tables` of the connection's file under `folder`: one Parquet file each, or a
    partitioned folder (see PARTITIONED), of which only the partitions in `partial` are
    written when given. A partitioned export's new version is swapped in at once, or, given
    `pending`, appended to it for the caller to swap in (`_swap_in`). Returns the partitions
    written and kept per partitioned export."""
    folder.mkdir(parents=True, exist_ok=True)
    partitions = {}
    for table in tables:
        if table in PARTITIONED:
            version, partitions[table] = _export_partitioned(
                con, folder, table, (partial or {}).get(table)
            )
            if pending is None:
                _swap_in(folder, table, version)
            else:
                pending.append((table, version))
            continue
        with atomic_path(export_path(folder, table)) as tmp:
            con.execute(
                f"COPY {_target(table)} TO {_sql_str(tmp)} (FORMAT parquet, COMPRESSION zstd)"
            )
    return partitions


def _current_version(folder: Path, table: str) -> Path | None:
    """The version folder a partitioned export's link `<folder>/<table>` names, if any."""
    name = table.split(".", 1)[1]
    link = folder / name
    if not link.is_symlink():
        return None
    version = folder / os.readlink(link)
    if version.parent != folder or not version.name.startswith(f".{name}-"):
        return None
    return version if version.is_dir() else None


def export_present(folder: Path, table: str) -> bool:
    """Whether a mart's export is there: its Parquet file, or its partitioned folder."""
    if table in PARTITIONED:
        return _current_version(folder, table) is not None
    return table.startswith("marts.") and export_path(folder, table).exists()


def _export_partitioned(
    con: duckdb.DuckDBPyConnection, folder: Path, table: str, changed: set[Partition] | None
) -> tuple[Path, list[int]]:
    """A partitioned export (Hive folders by PARTITIONED[table]) written as a new version
    folder `<folder>/.<name>-<id>/`, for `_swap_in` to publish. With `changed`, only those
    partitions are written; the others are hard links to the current version's files (the
    same files), and the new version must hold as many rows as the table, else it is written
    whole. Returns the version folder and its partitions written and kept."""
    name = table.split(".", 1)[1]
    previous = _current_version(folder, table) if changed is not None else None
    version = folder / f".{name}-{uuid.uuid4().hex}"
    try:
        kept = None
        if previous is not None:
            kept = _write_partitions(con, table, version, previous, changed or set())
            if kept is None:
                shutil.rmtree(version, ignore_errors=True)
        if kept is None:
            kept = 0
            version.mkdir()
            for year in _partition_values(con, table).values():
                _copy_partition(con, table, year, version)
        for path in sorted(version.rglob("*"), reverse=True):
            fsync_path(path)
        fsync_path(version)
    except BaseException:
        shutil.rmtree(version, ignore_errors=True)
        raise
    written = sum(1 for _ in version.glob(f"{PARTITIONED[table][0]}=*")) - kept
    return version, [written, kept]


def _swap_in(folder: Path, table: str, version: Path) -> None:
    """Publish a partitioned export's version folder by renaming the link `<folder>/<name>`
    over the old one: a reader sees the whole old version or the whole new one. Old versions
    (and the single file of before) are removed after the swap."""
    name = table.split(".", 1)[1]
    link = folder / name
    tmp_link = temporary_beside(link)
    try:
        os.symlink(version.name, tmp_link)
        if link.is_dir() and not link.is_symlink():
            shutil.rmtree(link)  # not a version of ours: replaced (no reader can rely on it)
        os.replace(tmp_link, link)
        fsync_path(folder)
    except BaseException:
        tmp_link.unlink(missing_ok=True)
        raise
    for old in folder.glob(f".{name}-*"):
        if old != version:
            shutil.rmtree(old, ignore_errors=True)
    export_path(folder, table).unlink(missing_ok=True)  # the single file of before


def _partition_key(table: str) -> str:
    """The partition key of a partitioned mart, as SQL over its columns."""
    return f"year({_quote(PARTITIONED[table][1])})"


def _partition_values(
    con: duckdb.DuckDBPyConnection, table: str, relation: str | None = None
) -> dict[str | None, int | None]:
    """The years the table's partitions may hold (`relation`: where the table is read, by
    default the connection's own): as text (a `Partition`'s) -> as numbers. Every year from
    the first to the last (one read of the date column alone), and None when some rows have
    no date; a year without rows writes no partition."""
    column = _quote(PARTITIONED[table][1])
    [(first, last, undated)] = con.execute(
        f"SELECT year(min({column})), year(max({column})), "
        f"count(*) FILTER ({column} IS NULL) FROM {relation or _target(table)}"
    ).fetchall()
    years: dict[str | None, int | None] = {}
    if first is not None:
        years = {str(y): y for y in range(first, last + 1)}
    if undated:
        years[None] = None
    return years


def _year_filter(table: str, year: int | None) -> str:
    """The rows of a partition, as a filter on the date column that the scan applies itself."""
    column = _quote(PARTITIONED[table][1])
    if year is None:
        return f"{column} IS NULL"
    return f"{column} >= DATE '{year:04d}-01-01' AND {column} < DATE '{year + 1:04d}-01-01'"


def _copy_table(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """A table of the attached build copied into the connection's file. A partitioned mart is
    copied year by year (each year's rows together, in the build's order), so that exporting
    a year scans only its own row groups: at 1 M dossiers the copy costs about the same and the
    whole export went from 1.18 to about 0.9 times the single file's CPU
    (benchmarks/runs/2026-12-07-partitioned-export.md)."""
    target = _target(table)
    if table not in PARTITIONED:
        con.execute(f"CREATE TABLE {target} AS SELECT * FROM build.{target}")
        return
    con.execute(f"CREATE TABLE {target} AS SELECT * FROM build.{target} LIMIT 0")
    for year in _partition_values(con, table, f"build.{target}").values():
        where = _year_filter(table, year)
        con.execute(f"INSERT INTO {target} SELECT * FROM build.{target} WHERE {where}")


def _copy_partition(
    con: duckdb.DuckDBPyConnection, table: str, year: int | None, version: Path
) -> None:
    """One year's rows, in the table's order, as one Parquet file of its folder: a plain COPY
    per partition (a partitioned COPY keeps a row group in the making per partition), its
    filter a date range the scan applies itself. A year without rows leaves no folder."""
    where = _year_filter(table, year)
    target = version / f"{PARTITIONED[table][0]}={'NULL' if year is None else year}"
    target.mkdir()
    [(rows,)] = con.execute(
        f"COPY (SELECT * FROM {_target(table)} WHERE {where}) "
        f"TO {_sql_str(target / 'data_0.parquet')} (FORMAT parquet, COMPRESSION zstd)"
    ).fetchall()
    if not rows:
        shutil.rmtree(target)


def _write_partitions(
    con: duckdb.DuckDBPyConnection,
    table: str,
    version: Path,
    previous: Path,
    changed: set[Partition],
) -> int | None:
    """The changed partitions written into `version`, the others linked from `previous`;
    the number of partitions linked, or None when the result does not hold the table's rows."""
    version.mkdir()
    present = _partition_values(con, table)
    for value, year in present.items():
        if (value,) in changed:
            _copy_partition(con, table, year, version)
    kept = 0
    for part in previous.glob(f"{PARTITIONED[table][0]}=*"):
        value = part.name.split("=", 1)[1]
        value = None if value == "NULL" else value
        if value not in present or (value,) in changed:
            continue
        target = version / part.name
        try:
            target.mkdir()
        except FileExistsError:
            return None  # written and kept: the folder names do not read as the values
        for file in part.iterdir():
            os.link(file, target / file.name)
        kept += 1
    exported = 0
    if any(version.rglob("*.parquet")):
        glob = _sql_str(version / "**" / "*.parquet")
        [(exported,)] = con.execute(f"SELECT count(*) FROM read_parquet({glob})").fetchall()
    [(rows,)] = con.execute(f"SELECT count(*) FROM {_target(table)}").fetchall()
    return kept if exported == rows else None


def _sql_str(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"
