"""Retention of the Dagster instance: old runs, their event logs and their compute logs.

Dagster 1.13 bounds only schedule and sensor ticks by configuration (`retention:` in
dagster.yaml, deploy/dagster.yaml); runs and their event logs are kept forever unless deleted
(`DagsterInstance.delete_run`), and the compute logs (each step's captured stdout/stderr, the
bulk: dbt's output) live in files beside them. The sensor `prune_old_runs`, run by the daemon a
few times a day, keeps the instance small:

- compute logs of finished runs older than `COMPUTE_LOG_RETENTION_DAYS` (default 30) are
  removed (the event log keeps every structured line: progress, warnings, errors);
- finished runs older than `RUN_RETENTION_DAYS` (default 90) are deleted with their event log,
  except a run holding the latest materialization of an asset or of an asset's partition (a
  backfilled month): the asset graph, the partitions view and freshness keep their facts.

`0` keeps forever. Run ids of deleted runs are still in `DATA_DIR/ops/run_failures.jsonl` for
the failed ones. What the warehouse needs never lives in the instance (watermarks and build
state are under DATA_DIR), so pruning changes no figure.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

import dagster as dg
from dagster._core.events import DagsterEventType

from pipeline.config import ConfigError

FINISHED = [
    dg.DagsterRunStatus.SUCCESS,
    dg.DagsterRunStatus.FAILURE,
    dg.DagsterRunStatus.CANCELED,
]
DEFAULT_RUN_DAYS = 90
DEFAULT_COMPUTE_LOG_DAYS = 30
# Runs handled per pass; a backlog is cleared over a few ticks.
BATCH = 500


def _days(name: str, default: int) -> int:
    value = os.environ.get(name) or str(default)
    try:
        days = int(value)
    except ValueError as exc:
        raise ConfigError(f"{name} is not a whole number of days: {value!r}") from exc
    if days < 0:
        raise ConfigError(f"{name} must be 0 (keep forever) or more, got {days}")
    return days


@dataclass(frozen=True)
class Pruned:
    runs_deleted: int
    compute_logs_deleted: int
    runs_kept_for_assets: int


def latest_materialization_runs(instance: dg.DagsterInstance) -> set[str]:
    """Runs that hold the latest materialization of an asset or of one of its partitions."""
    runs = set()
    for key in instance.get_asset_keys():
        latest = instance.get_latest_materialization_event(key)
        if latest is not None:
            runs.add(latest.run_id)
        by_partition = instance.get_latest_storage_id_by_partition(
            key, DagsterEventType.ASSET_MATERIALIZATION
        )
        ids = sorted(set(by_partition.values()))
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            records = instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=key, storage_ids=chunk), limit=len(chunk)
            ).records
            runs.update(record.run_id for record in records)
    return runs


def prune(
    instance: dg.DagsterInstance,
    now: dt.datetime,
    run_days: int = DEFAULT_RUN_DAYS,
    compute_log_days: int = DEFAULT_COMPUTE_LOG_DAYS,
) -> Pruned:
    runs_deleted = logs_deleted = kept = 0
    if compute_log_days:
        old = instance.get_run_records(
            dg.RunsFilter(
                statuses=FINISHED, updated_before=now - dt.timedelta(days=compute_log_days)
            ),
            limit=BATCH * 4,
        )
        manager = instance.compute_log_manager
        base = getattr(manager, "_base_dir", None)
        for record in old:
            run_id = record.dagster_run.run_id
            if base is None or os.path.isdir(os.path.join(base, run_id)):
                manager.delete_logs(prefix=[run_id])
                logs_deleted += 1
    if run_days:
        old = instance.get_run_records(
            dg.RunsFilter(statuses=FINISHED, updated_before=now - dt.timedelta(days=run_days)),
            limit=BATCH,
            ascending=True,
        )
        if old:
            protected = latest_materialization_runs(instance)
            for record in old:
                run_id = record.dagster_run.run_id
                if run_id in protected:
                    kept += 1
                    continue
                instance.compute_log_manager.delete_logs(prefix=[run_id])
                instance.delete_run(run_id)
                _remove_empty_shard(instance, run_id)
                runs_deleted += 1
    return Pruned(runs_deleted, logs_deleted, kept)


def _remove_empty_shard(instance: dg.DagsterInstance, run_id: str) -> None:
    """The default SQLite event log keeps one file per run (`history/runs/<run_id>.db`);
    deleting the run empties it but leaves the file: removed here. Other storages (PostgreSQL)
    reuse the space of deleted rows."""
    path_for_shard = getattr(instance.event_log_storage, "path_for_shard", None)
    if path_for_shard is not None:
        path = path_for_shard(run_id)
        if os.path.exists(path):
            os.remove(path)


@dg.sensor(
    name="prune_old_runs",
    description="Deletes finished runs older than RUN_RETENTION_DAYS (90) with their event "
    "logs, except those holding an asset's latest materialization, and compute logs older "
    "than COMPUTE_LOG_RETENTION_DAYS (30); launches nothing.",
    minimum_interval_seconds=6 * 3600,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def prune_old_runs(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    pruned = prune(
        context.instance,
        dt.datetime.now(dt.UTC),
        _days("RUN_RETENTION_DAYS", DEFAULT_RUN_DAYS),
        _days("COMPUTE_LOG_RETENTION_DAYS", DEFAULT_COMPUTE_LOG_DAYS),
    )
    return dg.SkipReason(
        f"{pruned.runs_deleted} runs deleted, {pruned.compute_logs_deleted} compute logs "
        f"removed, {pruned.runs_kept_for_assets} old runs kept for their assets"
    )
