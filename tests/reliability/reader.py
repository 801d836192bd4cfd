"""An analyst's session for the concurrency test: opens the published warehouse read-only and
keeps querying it (each query a few-second join over the marts) until told to stop.

`python -m tests.reliability.reader WAREHOUSE CONTROL_DIR`: writes `ready.json` once the
file is open (with the answer of the first query); holds the file open, and once `query`
appears in the folder (the refresh has reached its dbt build: nothing before it touches the
published file) queries it back to back until `stop` appears; then writes `result.json`: every
query's start, end and answer, and whether the session still sees the marker table that only
the file it opened has.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

QUERY = """
select count(*), round(sum(a.points), 6)
from marts.fct_indicator a
join marts.fct_indicator b
  on a.indicator_code = b.indicator_code
where a.ratio <= b.ratio
"""
MARKER = "select count(*) from analyst.marker"


def main(warehouse: Path, control: Path) -> None:
    # One thread: the query loop runs for the whole build and publication beside it, and a
    # second thread would only burn more CPU (what it proves does not depend on threads).
    con = duckdb.connect(str(warehouse), read_only=True, config={"threads": 1})
    first = con.execute(QUERY).fetchone()
    (control / "ready.json").write_text(json.dumps({"answer": list(first)}))
    queries = []
    # Waiting costs no CPU; a query loop takes a core from the refresh beside it.
    while not (control / "query").exists() and not (control / "stop").exists():
        time.sleep(0.05)
    while not (control / "stop").exists():
        started = time.time()
        answer = con.execute(QUERY).fetchone()
        queries.append({"start": started, "end": time.time(), "answer": list(answer)})
    marker = con.execute(MARKER).fetchone()[0]
    con.close()
    (control / "result.json").write_text(
        json.dumps({"first": list(first), "queries": queries, "marker_rows": marker})
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
