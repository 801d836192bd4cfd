"""Read-only access to the published warehouse's schema `marts`, the only thing reports read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

# DuckDB's own memory for the report's queries (its buffer pool caches what a scan reads, up
# to 80 % of RAM by default). Every query aggregates or keeps a bounded number of rows, so the
# limit costs no time at 3 M dossiers and keeps the report's peak near 350 MB
# (docs/reports.md, "Scale").
MEMORY_LIMIT = "256MB"


class WarehouseMissing(FileNotFoundError):
    """No published warehouse at the given path."""


class Marts:
    """One read-only connection; knows which marts are published so that a report can say
    "chưa có dữ liệu" for a mart that is not built yet instead of failing."""

    def __init__(self, warehouse_path: Path):
        if not Path(warehouse_path).exists():
            raise WarehouseMissing(f"no published warehouse at {warehouse_path}")
        self._con = duckdb.connect(
            str(warehouse_path), read_only=True, config={"memory_limit": MEMORY_LIMIT}
        )
        self.tables = {
            name
            for (name,) in self._con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'"
            ).fetchall()
        }

    def has(self, table: str) -> bool:
        return table in self.tables

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        cursor = self._con.execute(sql, params or {})
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def value(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        rows = self._con.execute(sql, params or {}).fetchall()
        return rows[0][0] if rows else None

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Marts:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
