"""Assembles the Dagster definitions: assets, the daily job and its schedule, resources."""

import shutil
import sys
from pathlib import Path

import dagster as dg

from pipeline import alerts, freshness, housekeeping, operations, recovery, retention
from pipeline.assets import raw, reports, warehouse
from pipeline.dbt_cli import WarehouseDbtCli
from pipeline.project import dbt_project
from pipeline.runtime import AS_OF_TAG
from pipeline.workcal import TIMEZONE


@dg.executor(
    name="warehouse_in_process",
    config_schema=dg.in_process_executor.config_schema.as_field(),
)
def warehouse_executor(init_context: dg.InitExecutorContext):
    """The in-process executor, after releasing the pool slots of killed runs (operations.py)
    and removing the folders finished runs left (housekeeping.py)."""
    operations.release_slots_of_dead_runs(init_context.instance)
    housekeeping.sweep_before_run(init_context.instance)
    return dg.in_process_executor.executor_creation_fn(init_context)


daily_refresh = dg.define_asset_job(
    "daily_refresh",
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(raw.motcua_dossiers_backfill),
    description="Incremental extraction, dbt build and tests, publication of the warehouse.",
    executor_def=warehouse_executor,
)

motcua_backfill = dg.define_asset_job(
    "motcua_backfill",
    selection=dg.AssetSelection.assets(raw.motcua_dossiers_backfill),
    description="Initial load and repairs: dossiers by reception month (one run per month).",
    executor_def=warehouse_executor,
)


@dg.schedule(
    name="daily_refresh_0500",
    job=daily_refresh,
    cron_schedule=recovery.daily_refresh_cron(),
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every morning (DAILY_REFRESH_CRON, default 05:00 Vietnam time), before the "
    "town's leadership meets. The run is evaluated as of its scheduled instant, so a late or "
    "repeated tick computes the same values; a tick whose portal is down is retried by "
    "retry_daily_refresh.",
)
def daily_refresh_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    instant = context.scheduled_execution_time
    return dg.RunRequest(run_key=instant.isoformat(), tags={AS_OF_TAG: instant.isoformat()})


# dbt comes from the same environment as Dagster, whether or not that environment is on PATH.
DBT_EXECUTABLE = shutil.which("dbt") or str(Path(sys.executable).with_name("dbt"))

defs = dg.Definitions(
    assets=freshness.with_freshness_policies(
        [
            *dg.load_assets_from_modules([raw]),
            warehouse.warehouse_models,
            warehouse.published_warehouse,
            warehouse.dbt_docs,
            reports.monthly_area_report,
            reports.daily_worklists,
        ]
    ),
    jobs=[daily_refresh, motcua_backfill],
    schedules=[daily_refresh_schedule],
    sensors=[
        operations.record_run_failures,
        alerts.alert_on_run_failure,
        alerts.alert_on_failed_checks,
        retention.prune_old_runs,
        recovery.build_retry_sensor(daily_refresh),
        housekeeping.housekeeping_sensor,
    ],
    resources={"dbt": WarehouseDbtCli(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)},
    executor=warehouse_executor,
)
