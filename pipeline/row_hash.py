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
