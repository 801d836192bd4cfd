"""Progress and warnings in the run's event log (issue 17, item 6): a real crawl of the one-stop
dossiers through Dagster, with a short PROGRESS_INTERVAL_SECONDS and a portal answering 5xx
to a share of requests."""

from __future__ import annotations

import re
import threading
import time

import dagster as dg
import httpx

from pipeline.pipeline_env import patched_environ
from pipeline.progress import RunProgress
from pipeline.runtime import AS_OF_TAG
from tests.conftest import AS_OF, pipeline_environment
from tests.reliability.runner import fast_clients

INTERVAL = 0.3
PROGRESS = re.compile(
    r"^raw/motcua_dossiers: (\d+) of (\d+) windows done, (\d+) pages, (\d+) records "
    r"in \d+ s \(\d+ records/s\)$"
)


def _faults(sim, rates: dict[str, float]) -> None:
    httpx.post(sim.admin("faults"), json={"rates": rates}, timeout=30).raise_for_status()


def test_crawl_progress_and_retry_warnings_reach_the_event_log(simulator, tmp_path):
    from pipeline.definitions import defs

    env = {**pipeline_environment(tmp_path, simulator), "PROGRESS_INTERVAL_SECONDS": str(INTERVAL)}
    _faults(simulator, {"server_error": 0.2})
    try:
        with dg.instance_for_test() as instance, patched_environ(env), fast_clients():
            result = defs.resolve_job_def("daily_refresh").execute_in_process(
                instance=instance,
                tags={AS_OF_TAG: AS_OF},
                asset_selection=[dg.AssetKey(["raw", "motcua_dossiers"])],
                raise_on_error=False,
            )
            logs = instance.all_logs(result.run_id)
    finally:
        _faults(simulator, {})
    assert result.success
    [materialization] = result.asset_materializations_for_node("raw__motcua_dossiers")
    records_read = materialization.metadata["records_read"].value

    lines = [(e.timestamp, PROGRESS.match(e.user_message)) for e in logs if e.user_message]
    progress = [(at, match) for at, match in lines if match]
    assert len(progress) >= 2, [e.user_message for e in logs]
    # The last line: every window done, the records the landing read.
    done, total, pages, records = map(int, progress[-1][1].groups())
    assert total > 1 and done == total
    assert records == records_read and pages > 0
    # Counts only grow, and a line comes at least every interval (with room for a busy machine).
    counts = [tuple(map(int, match.groups())) for _, match in progress]
    assert counts == sorted(counts)
    [start] = [
        e.timestamp
        for e in logs
        if e.dagster_event
        and e.dagster_event.is_step_start
        and e.step_key == "raw__motcua_dossiers"
    ]
    stamps = [start] + [at for at, _ in progress]
    assert max(b - a for a, b in zip(stamps, stamps[1:], strict=False)) < INTERVAL + 5

    # The connectors' retry warnings are in the run's log, at warning level.
    warnings = [
        e.user_message
        for e in logs
        if e.level == 30 and "attempt" in (e.user_message or "") and "retrying" in e.user_message
    ]
    assert warnings, "no retry warning reached the event log"
    assert all(w.startswith("pipeline.sources.http: one-stop") for w in warnings)


def test_progress_is_reported_while_a_request_hangs():
    """The beat is its own thread: lines come even when no page arrives."""
    lines: list[str] = []

    class Log:
        def info(self, message: str) -> None:
            lines.append(message)

    progress = RunProgress(Log(), "raw/x", interval=0.05)
    progress.windows(4)
    progress.page(100)
    progress.start()
    hang = threading.Event()
    hang.wait(0.5)  # a request in its retries: no page, no window done
    progress.stop()
    assert len(lines) >= 3
    assert all(
        line.startswith("raw/x: 0 of 4 windows done, 1 pages, 100 records") for line in lines
    )
    time.sleep(0.1)
    assert len(lines) == progress.lines  # stopped: no line after stop()
