"""Atomic, append-only Parquet writes into Hive-partitioned datasets.

Each file is written under a temporary name in its final folder and renamed into place, so a
reader (DuckDB, Spark) sees either the whole file or nothing. Files are named by run id, so a
rerun adds a file rather than overwriting one; duplicates across runs are resolved downstream
by the record key and `updated_at`.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.atomic import atomic_path


def write_atomic(table: pa.Table, path: Path) -> Path:
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    return path


def write_staged(table: pa.Table, path: Path) -> Path:
    """A file of a staging folder (`staged.py`): written as is, neither under a temporary name
    nor flushed — no reader sees it, a landing that dies leaves its staging folder to be
    discarded, and the move into the dataset flushes it (`atomic.replace_all_durably`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression="zstd")
    return path


def write_partitioned(
    table: pa.Table, dataset_dir: Path, partition_column: str, run_id: str
) -> list[Path]:
    """One file per value of `partition_column` (a string column), under `<column>=<value>/`.

    The column lives in the folder name only (Hive style). An empty table still writes one
    empty file under `<column>=__none__`, so every dataset has a schema from its first run on.
    """
    keys = table[partition_column]
    body = table.drop_columns([partition_column])
    if table.num_rows == 0:
        folder = dataset_dir / f"{partition_column}=__none__"
        return [write_atomic(body, folder / f"{run_id}.parquet")]
    written = []
    for value in sorted(pc.unique(keys).to_pylist()):
        part = body.filter(pc.equal(keys, value))
        folder = dataset_dir / f"{partition_column}={value}"
        written.append(write_atomic(part, folder / f"{run_id}.parquet"))
    return written
