"""What operators rely on besides the assets: the run-failure record and dead runs' slots.

Freshness is a policy on the assets (pipeline/freshness.py), retries are in pipeline/recovery.py.

A failed run leaves the published warehouse as it was (publication is the last step and only
runs after a successful build); the failure sensor records what failed in
`DATA_DIR/ops/run_failures.jsonl`, one JSON object per failed run, for the UI and reports.

A run whose process is killed (SIGKILL, OOM killer, reboot) never frees its slot of the pool
`warehouse_writer` and stays STARTED: every later run would wait on the pool forever. Each run
first releases the slots of such dead runs and marks them failed (`release_slots_of_dead_runs`,
called by the jobs' executor).
"""

import datetime as dt
import json
import os
from pathlib import Path

import dagster as dg

from pipeline.config import load_settings


def failure_record(run: dg.DagsterRun, failed_steps: list[str], message: str) -> dict:
    return {
        "run_id": run.run_id,
        "job_name": run.job_name,
        "failed_at": dt.datetime.now(dt.UTC).isoformat(),
        "failed_steps": failed_steps,
        "message": message[:2000],
        "published_warehouse": "unchanged (last good one)",
    }


def _asset_error(error) -> str:
    """The asset's own exception of a step failure, unwrapped from Dagster's wrappers (and
    from "Exceeded max_retries" when the step's retry policy gave up)."""
    wrappers = ("Dagster", "RetryRequestedFromPolicy")
    while error.cls_name and error.cls_name.startswith(wrappers) and error.cause is not None:
        error = error.cause
    return error.message.strip()


@dg.run_failure_sensor(
    name="record_run_failures",
    description="Records every failed run in DATA_DIR/ops/run_failures.jsonl and the log.",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def record_run_failures(context: dg.RunFailureSensorContext) -> None:
    step_failures = context.get_step_failure_events()
    failed_steps = [event.step_key for event in step_failures if event.step_key]
    causes = [
        f"{event.step_key}: {_asset_error(event.event_specific_data.error)}"
        for event in step_failures
        if event.event_specific_data and event.event_specific_data.error
    ]
    message = "\n".join(causes) or context.failure_event.message or ""
    record = failure_record(context.dagster_run, failed_steps, message)
    path = load_settings().data_dir / "ops" / "run_failures.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    context.log.error(
        f"run {record['run_id']} of {record['job_name']} failed in {failed_steps}; "
        "the published warehouse is unchanged"
    )


def release_slots_of_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Frees the pool slots of runs that ended, or whose process is gone, and marks the latter
    failed. A run's process is the one that logged its events (runs of this project execute in
    one process on this host); a run still alive keeps its slots."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return []
    released = []
    for run_id in sorted(storage.get_concurrency_run_ids()):
        run = instance.get_run_by_id(run_id)
        if run is not None and not run.is_finished:
            pid = _run_pid(instance, run_id)
            if pid is None or _process_alive(pid):
                continue
            instance.report_run_failed(
                run,
                message=f"the process of run {run_id} (pid {pid}) is gone (killed); its "
                "warehouse_writer slot is released and the published warehouse is unchanged",
            )
        storage.free_concurrency_slots_for_run(run_id)
        released.append(run_id)
    return released


def _run_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    for entry in reversed(instance.all_logs(run_id)):
        if entry.dagster_event is not None and entry.dagster_event.pid is not None:
            return entry.dagster_event.pid
    return None


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    status = Path(f"/proc/{pid}/status")
    try:
        return "\nState:\tZ" not in status.read_text()
    except OSError:
        return True
