"""Streaming landing of a large crawl: rows are written as they come, in bounded chunks, into a
run-scoped staging folder outside the raw zone, and moved into the dataset only on `commit`.

What a landing guaranteed when it held the whole crawl in memory still holds:
- nothing reaches the raw zone before the reject-rate gate passed (the landing commits only
  after the gate; a failed landing discards its staging folder);
- every file appears atomically (written under a temporary name, renamed into place);
- a record read twice in one crawl lands once, in its latest version (the latest change
  instant, the one read last on a tie): the staging keeps a compact index of every staged
  row (key, instant, order read; about 50 bytes a row) and `commit` drops the superseded
  rows from the few files that hold one before moving them.

Memory: one chunk of rows (`chunk_rows`) plus the index, whatever the size of the crawl.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.atomic import replace_all_durably
from pipeline.landing.writer import write_atomic, write_staged

CHUNK_ROWS = 20_000
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MICROSECOND = dt.timedelta(microseconds=1)


def staging_dir(settings, run_id: str, name: str) -> Path:
    """The staging folder of one landing of one run: under DATA_DIR (same file system as the
    raw zone, so moving a file in is a rename), outside `raw/` (no reader ever globs it)."""
    return settings.data_dir / "staging" / run_id / name


def micros(ts: dt.datetime) -> int:
    """Exact epoch microseconds of an instant (naive instants are taken as UTC)."""
    return ((ts if ts.tzinfo else ts.replace(tzinfo=dt.UTC)) - EPOCH) // MICROSECOND


def move_in(staged: Path, final: Path) -> None:
    """Move one complete staged file into the dataset (a rename: same file system)."""
    os.replace(staged, final)


@dataclass
class _File:
    staged: Path
    final: Path
    keys: np.ndarray  # bytes of each row's key
    instants: np.ndarray  # int64 epoch microseconds
    order: np.ndarray  # int64 position in the crawl


class StagedDataset:
    """One landing's rows of a Hive-partitioned dataset (`<partition_column>=<value>/`)."""

    def __init__(
        self,
        *,
        staging_dir: Path,
        dataset_dir: Path,
        partition_column: str,
        schema: pa.Schema,
        run_id: str,
        chunk_rows: int = CHUNK_ROWS,
    ):
        self.staging_dir = staging_dir
        self.dataset_dir = dataset_dir
        self.partition_column = partition_column
        # The partition column lives in the folder name only (Hive style).
        self.row_schema = schema
        self.schema = schema.remove(schema.get_field_index(partition_column))
        self.run_id = run_id
        self.chunk_rows = chunk_rows
        # A chunk is held as Arrow batches, not as Python objects that the garbage collector
        # would scan over and over.
        self._batches: list[pa.RecordBatch] = []
        self._keys: list[str] = []
        self._instants: list[int] = []
        self._read = 0
        self._files: list[_File] = []
        shutil.rmtree(staging_dir, ignore_errors=True)

    def add_batch(
        self, batch: pa.RecordBatch, keys: list[str], instants: list[dt.datetime]
    ) -> None:
        """Rows in Arrow (of the schema given, partition column included), with the key and
        change instant of each."""
        if batch.num_rows:
            self._batches.append(batch)
            self._keys.extend(keys)
            self._instants.extend(micros(t) for t in instants)
        if len(self._keys) >= self.chunk_rows:
            self._flush()

    def _flush(self) -> None:
        if not self._batches:
            return
        first = self._read
        table = pa.Table.from_batches(self._batches, schema=self.row_schema)
        self._batches = []
        partitions = table.column(self.partition_column).to_numpy(zero_copy_only=False)
        table = table.drop_columns([self.partition_column])
        keys = np.array([key.encode("utf-8") for key in self._keys])
        instants = np.array(self._instants, dtype=np.int64)
        for value in sorted(set(partitions.tolist())):
            mask = partitions == value
            positions = np.flatnonzero(mask)
            name = f"{self.run_id}-{len(self._files):05d}.parquet"
            folder = f"{self.partition_column}={value}"
            part = table.filter(pa.array(mask))
            self._files.append(
                _File(
                    staged=write_staged(part, self.staging_dir / folder / name),
                    final=self.dataset_dir / folder / name,
                    keys=keys[positions],
                    instants=instants[positions],
                    order=positions.astype(np.int64) + first,
                )
            )
        self._read += len(self._keys)
        self._keys, self._instants = [], []

    def commit(self) -> int:
        """Drop superseded versions, move every file into the dataset; the rows landed."""
        self._flush()
        if not self._files:
            # An empty landing still writes one empty file, so the dataset has a schema.
            folder = self.dataset_dir / f"{self.partition_column}=__none__"
            write_atomic(self.schema.empty_table(), folder / f"{self.run_id}.parquet")
            self.discard()
            return 0
        superseded = self._superseded()
        landed = 0
        for number, file in enumerate(self._files):
            if number in superseded:
                table = pq.read_table(file.staged)
                keep = np.ones(table.num_rows, dtype=bool)
                keep[superseded[number]] = False
                table = table.filter(pa.array(keep))
                write_staged(table, file.staged)
            landed += len(file.keys) - len(superseded.get(number, ()))
        for file in self._files:
            file.final.parent.mkdir(parents=True, exist_ok=True)
        replace_all_durably([(f.staged, f.final) for f in self._files], rename=move_in)
        self.discard()
        return landed

    def _superseded(self) -> dict[int, np.ndarray]:
        """Row positions, by file, of the versions a later or newer one replaces."""
        keys = np.concatenate([f.keys for f in self._files])
        instants = np.concatenate([f.instants for f in self._files])
        order = np.concatenate([f.order for f in self._files])
        file_of = np.concatenate(
            [np.full(len(f.keys), n, dtype=np.int32) for n, f in enumerate(self._files)]
        )
        row_of = np.concatenate([np.arange(len(f.keys), dtype=np.int32) for f in self._files])
        # Sorted by key, then instant, then order read: the last of each key wins.
        ranked = np.lexsort((order, instants, keys))
        sorted_keys = keys[ranked]
        loses = np.empty(len(ranked), dtype=bool)
        loses[:-1] = sorted_keys[:-1] == sorted_keys[1:]
        loses[-1:] = False
        losers = ranked[loses]
        result: dict[int, list[int]] = defaultdict(list)
        for f, r in zip(file_of[losers].tolist(), row_of[losers].tolist(), strict=True):
            result[f].append(r)
        return {f: np.array(rows, dtype=np.int64) for f, rows in result.items()}

    def discard(self) -> None:
        """Remove what is still staged (a failed or refused landing lands nothing)."""
        shutil.rmtree(self.staging_dir, ignore_errors=True)
        self._keys, self._instants, self._files = [], [], []
        self._batches = []
