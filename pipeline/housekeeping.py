"""Removal of what finished runs leave behind: landing staging folders and dbt target folders.

- `DATA_DIR/staging/<run id>/`: a landing stages its rows there and removes the folder when it
  commits or fails; a killed run leaves it (pipeline/landing/staged.py).
- `dbt_project/target/dbt_build-<run id[:7]>-<n>/` and `dbt_docs-…`: one per dbt invocation
  (pipeline/assets/warehouse.py), which dagster-dbt leaves behind.

A folder is removed when the run it belongs to is no longer in use: finished, or gone (its
process no longer exists, pipeline/operations.py). A folder whose run this instance does not
know (a run of another instance sharing the checkout, e.g. a test) is removed only when nothing
in it changed for `UNKNOWN_RUN_GRACE`. The sensor `housekeeping` sweeps every
`SWEEP_INTERVAL` seconds under the service; every run also sweeps when it starts (the jobs'
executor), for deployments without the daemon (`make refresh`).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

UNKNOWN_RUN_GRACE = 24 * 3600.0
SWEEP_INTERVAL = 30
DBT_TARGET_PREFIXES = ("dbt_build-", "dbt_docs-")


@dataclass
class Swept:
    staging: list[str] = field(default_factory=list)
    dbt_targets: list[str] = field(default_factory=list)


def newest_change(path: Path) -> float:
    """The latest modification time of a folder or anything in it."""
    newest = path.stat().st_mtime
    for root, dirs, files in os.walk(path):
        for name in (*dirs, *files):
            try:
                newest = max(newest, os.stat(os.path.join(root, name)).st_mtime)
            except FileNotFoundError:
                continue
    return newest


def run_in_use(instance: dg.DagsterInstance) -> Callable[[str], bool | None]:
    """A test of one run id (or its 7-character prefix): True while it runs, False once
    finished or dead, None when this instance does not know it."""
    from pipeline.operations import _process_alive, _run_pid

    live = [
        run
        for run in instance.get_runs(
            dg.RunsFilter(
                statuses=[
                    dg.DagsterRunStatus.QUEUED,
                    dg.DagsterRunStatus.NOT_STARTED,
                    dg.DagsterRunStatus.STARTING,
                    dg.DagsterRunStatus.STARTED,
                    dg.DagsterRunStatus.CANCELING,
                ]
            )
        )
    ]

    def alive(run: dg.DagsterRun) -> bool:
        if run.status in (dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED):
            return True
        pid = _run_pid(instance, run.run_id)
        return pid is None or _process_alive(pid)

    known: list[str] = []

    def test(run_id: str) -> bool | None:
        matching = [run for run in live if run.run_id.startswith(run_id)]
        if matching:
            return any(alive(run) for run in matching)
        if not known:
            known.extend(instance.get_run_ids(filters=dg.RunsFilter()))
        return False if any(known_id.startswith(run_id) for known_id in known) else None

    return test


def _removable(path: Path, in_use: bool | None, now: float) -> bool:
    if in_use:
        return False
    if in_use is None:
        return now - newest_change(path) > UNKNOWN_RUN_GRACE
    return True


def sweep(instance: dg.DagsterInstance, data_dir: Path, dbt_target_dir: Path) -> Swept:
    swept = Swept()
    now = time.time()
    in_use = run_in_use(instance)
    staging = data_dir / "staging"
    if staging.is_dir():
        for folder in sorted(p for p in staging.iterdir() if p.is_dir()):
            if _removable(folder, in_use(folder.name), now):
                shutil.rmtree(folder, ignore_errors=True)
                swept.staging.append(folder.name)
    if dbt_target_dir.is_dir():
        for folder in sorted(p for p in dbt_target_dir.iterdir() if p.is_dir()):
            if not folder.name.startswith(DBT_TARGET_PREFIXES):
                continue
            run_prefix = folder.name.split("-")[1]
            if _removable(folder, in_use(run_prefix), now):
                shutil.rmtree(folder, ignore_errors=True)
                swept.dbt_targets.append(folder.name)
    return swept


def sweep_before_run(instance: dg.DagsterInstance, log=None) -> Swept | None:
    """`sweep` with this deployment's folders; nothing when the settings are incomplete (the
    run itself reports that)."""
    from pipeline.config import ConfigError, load_settings
    from pipeline.project import dbt_project

    try:
        settings = load_settings()
    except ConfigError:
        return None
    swept = sweep(instance, settings.data_dir, Path(dbt_project.project_dir) / "target")
    if log is not None and (swept.staging or swept.dbt_targets):
        log.info(
            f"housekeeping: removed {len(swept.staging)} staging folder(s) and "
            f"{len(swept.dbt_targets)} dbt target folder(s) of finished runs"
        )
    return swept


@dg.sensor(
    name="housekeeping",
    minimum_interval_seconds=SWEEP_INTERVAL,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Removes the landing staging folders and dbt target folders of finished or "
    "killed runs (pipeline/housekeeping.py); launches nothing.",
)
def housekeeping_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    swept = sweep_before_run(context.instance, context.log)
    if swept is None:
        return dg.SkipReason("settings incomplete (PII_HASH_KEY): nothing swept")
    return dg.SkipReason(
        f"removed {len(swept.staging)} staging and {len(swept.dbt_targets)} dbt target folder(s)"
    )
