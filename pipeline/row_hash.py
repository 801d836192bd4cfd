"""The one content fingerprint of a relation's rows, order-insensitive: the row count and the
sum of the rows' 64-bit hashes (exact, as a HUGEINT). Used by the build record (the reference
data a build depends on, pipeline/build_state.py) and by the publication (which tables changed,
pipeline/publish.py). Being a sum, it can be carried forward: removing rows subtracts their
hashes, adding rows adds theirs."""

from __future__ import annotations

import duckdb


def row_hash(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[int, int]:
    """(row count, sum of the rows' hashes) of `relation`: a quoted name, or a parenthesised
    query. An empty relation gives (0, 0)."""
    [(rows, total)] = con.execute(
        f"SELECT count(*), coalesce(sum(hash(r)::HUGEINT), 0) FROM {relation} AS r"
    ).fetchall()
    return int(rows), int(total)


def row_hash_by(
    con: duckdb.DuckDBPyConnection, relation: str, keys: tuple[str, ...]
) -> dict[tuple[str | None, ...], tuple[int, int]]:
    """`row_hash` of `relation` per value of `keys` (SQL expressions over its columns), their
    values as text: the fingerprint of each partition of a table exported by partitions. The
    whole relation's is the sum of its partitions'."""
    by = ", ".join(f"({k})::VARCHAR" for k in keys)
    found = con.execute(
        f"SELECT {by}, count(*), sum(hash(r)::HUGEINT) FROM {relation} AS r GROUP BY ALL"
    ).fetchall()
    return {tuple(row[:-2]): (int(row[-2]), int(row[-1])) for row in found}


def total(parts: dict[tuple[str | None, ...], tuple[int, int]]) -> tuple[int, int]:
    """The `row_hash` of the relation whose partitions' fingerprints are `parts`."""
    return sum(n for n, _ in parts.values()), sum(h for _, h in parts.values())
