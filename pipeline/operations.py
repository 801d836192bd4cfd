"""What operators rely on besides the assets: freshness checks and the run-failure record.

A failed run leaves the published warehouse as it was (publication is the last step and only
runs after a successful build); the failure sensor records what failed in
`DATA_DIR/ops/run_failures.jsonl`, one JSON object per failed run, for the UI and reports.
"""

import datetime as dt
import json

import dagster as dg

from pipeline.config import load_settings

# The daily refresh runs at 05:00; data older than a day and a bit means a morning was missed.
FRESHNESS_WINDOW = dt.timedelta(hours=26)
FRESHNESS_DEADLINE_CRON = "0 6 * * *"
TIMEZONE = "Asia/Ho_Chi_Minh"

FRESH_ASSETS = [
    dg.AssetKey(["raw", "motcua_dossiers"]),
    dg.AssetKey(["marts", "fct_dossier"]),
    dg.AssetKey(["marts", "fct_indicator"]),
    dg.AssetKey(["publish", "warehouse"]),
]

freshness_checks = dg.build_last_update_freshness_checks(
    assets=FRESH_ASSETS,
    lower_bound_delta=FRESHNESS_WINDOW,
    deadline_cron=FRESHNESS_DEADLINE_CRON,
    timezone=TIMEZONE,
)

freshness_sensor = dg.build_sensor_for_freshness_checks(
    freshness_checks=freshness_checks,
    default_status=dg.DefaultSensorStatus.RUNNING,
)


def failure_record(run: dg.DagsterRun, failed_steps: list[str], message: str) -> dict:
    return {
        "run_id": run.run_id,
        "job_name": run.job_name,
        "failed_at": dt.datetime.now(dt.UTC).isoformat(),
        "failed_steps": failed_steps,
        "message": message[:2000],
        "published_warehouse": "unchanged (last good one)",
    }


@dg.run_failure_sensor(
    name="record_run_failures",
    description="Records every failed run in DATA_DIR/ops/run_failures.jsonl and the log.",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def record_run_failures(context: dg.RunFailureSensorContext) -> None:
    failed_steps = [event.step_key for event in context.get_step_failure_events() if event.step_key]
    record = failure_record(context.dagster_run, failed_steps, context.failure_event.message or "")
    path = load_settings().data_dir / "ops" / "run_failures.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    context.log.error(
        f"run {record['run_id']} of {record['job_name']} failed in {failed_steps}; "
        "the published warehouse is unchanged"
    )
