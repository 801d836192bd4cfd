"""Concurrent readers (warehouse.md "Access"): an analyst process holds the published file open
read-only and keeps querying it (each query a join over the marts of a few seconds) during a
full refresh. The refresh succeeds; every query of the analyst finishes, with the answer of
the file it opened, including the query running when the new file is swapped in; a new
session then sees the new file.

The refresh is the storm run of conftest.py (a full extraction under every fault at once), so
the analyst reads through the slowest refresh the suite has.
"""

from __future__ import annotations

from tests.reliability.conftest import failure_text


def test_the_refresh_succeeds_while_an_analyst_holds_the_file_open(storm):
    assert storm.result["success"], failure_text(storm.result)


def test_every_query_of_the_analyst_finishes_with_the_old_files_answer(storm, figures):
    queries = storm.reader["queries"]
    assert len(queries) >= 3
    assert all(q["answer"] == storm.reader_ready["answer"] for q in queries)
    # the analyst was mid-query when the new file replaced the old one
    spanning = [q for q in queries if q["start"] <= storm.published_at <= q["end"]]
    assert spanning
    figures.checks["analyst_queries_during_refresh"] = len(queries)
    figures.checks["analyst_queries_spanning_the_swap"] = len(spanning)


def test_the_analyst_keeps_its_file_and_a_new_session_sees_the_new_one(storm):
    assert storm.reader["marker_rows"] == 1  # still the file it opened, whole
    assert storm.marker_after == 0  # the published file is the new one
