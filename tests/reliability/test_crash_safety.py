"""Crash safety (issue 9, warehouse.md "Access", sources.md D): SIGKILL the pipeline's process
group at random points of extraction, dbt build and publication; after every kill the published
warehouse is the previous good one (opens read-only, same marts) or the new complete one, never
half-built; the rerun then equals an uninterrupted run: same rows, no duplicate, none lost.

The workspace starts as a first deployment would after a restore: the last good published
warehouse (the reference's) and an empty raw zone, so the killed extractions are full ones.
Kill points are drawn (seeded) from the reference run: during extraction, a landing step and a
moment inside its duration, counted from when this run starts that step (so a run whose
extraction is faster or slower than the reference's, under load or with a warm simulator, is
still killed inside the step, or as the next landing step starts); during the dbt build and
publication, a moment inside the phase's duration.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from pathlib import Path

import pytest

from pipeline.build_state import file_identity
from pipeline.publish import read_record, record_path
from tests.reliability.conftest import (
    Workspace,
    dossier_ids,
    failure_text,
    fingerprint,
    public_tables,
    stray_temp_files,
)

SEED = 20261120
KILLS_PER_PHASE = 2
rng = random.Random(SEED)


@pytest.fixture(scope="module")
def crash_ws(rel_sim, reference, tmp_path_factory) -> Workspace:
    ws = Workspace(tmp_path_factory.mktemp("crash"), rel_sim)
    reference.copy_published(ws)
    return ws


def kill_in(
    ws: Workspace,
    name: str,
    phase: str,
    delay: float,
    figures,
    reference,
    step: str | None = None,
    **start,
):
    """Start a run, SIGKILL it `delay` seconds into `phase` (or, given `step`, into that step;
    or as soon as it passes the phase or the step), then check the published warehouse."""
    before = ws.warehouse_path.stat().st_ino
    run = ws.start(name, **start)
    order = ["starting", "extraction", "dbt", "publish", "copying", "published"]

    def due(current: str, seconds: float) -> bool:
        if current == "starting" or order.index(current) < order.index(phase):
            return False
        if current != phase or step is None:
            return current != phase or seconds >= delay
        if step not in run.steps:
            return False
        return time.time() - run.steps[step] >= delay or run.step_passed(step)

    seen = run.watch(due)
    assert seen is not None, f"{name} ended before reaching {phase}: {run.wait()}"
    run.kill()
    after = ws.warehouse_path.stat().st_ino
    assert public_tables(ws.warehouse_path) == reference.tables, "a half-built warehouse"
    assert fingerprint(ws.warehouse_path) == reference.fingerprint
    published = "previous good" if after == before else "new complete"
    figures.kills.append(
        {
            "run": name,
            "phase": seen,
            "step": step,
            "after_seconds": round(delay, 3),
            "published": published,
        }
    )
    figures.run(name, survived=True, outcome="killed")
    figures.checks["published_checked_after_kill"] += 1
    return seen


def test_kills_during_extraction_leave_the_published_warehouse_untouched(
    crash_ws, reference, figures
):
    landings = reference.raw_steps()
    for n in range(KILLS_PER_PHASE):
        step, seconds = rng.choice(landings)
        # The last landing step is followed by the dbt build: killed as it starts.
        delay = 0.0 if step == landings[-1][0] else rng.uniform(0, 0.9 * seconds)
        seen = kill_in(
            crash_ws, f"kill-extract-{n}", "extraction", delay, figures, reference, step=step
        )
        assert seen == "extraction"


def test_kills_during_the_dbt_build_leave_the_published_warehouse_untouched(
    crash_ws, reference, figures
):
    span = reference.phase_seconds("dbt", "publish")
    for n in range(KILLS_PER_PHASE):
        seen = kill_in(
            crash_ws, f"kill-dbt-{n}", "dbt", rng.uniform(0.05, 0.7) * span, figures, reference
        )
        assert seen == "dbt"


def test_rerun_after_the_kills_equals_an_uninterrupted_run(crash_ws, reference, figures):
    """The killed build's DuckDB file (WAL, lock of a dead process) must not block the rerun."""
    result = crash_ws.run("rerun", assets="published")
    assert result["success"], failure_text(result)
    figures.run("rerun after kills", survived=True)
    assert fingerprint(crash_ws.warehouse_path) == reference.fingerprint
    ids = dossier_ids(crash_ws.warehouse_path)
    figures.duplicates += len(ids) - len(set(ids))
    figures.records_lost += len(reference.expected_ids - set(ids))
    assert len(ids) == len(set(ids)), "a dossier is duplicated"
    assert set(ids) == reference.expected_ids, "dossiers lost or invented"
    figures.checks["reruns_equal_to_uninterrupted"] += 1


def test_kills_during_publication_leave_the_previous_or_the_new_warehouse(
    crash_ws, reference, figures
):
    """Publication alone (the build file is complete), killed as the step starts, as the new
    file is being written (copy, checkpoint, Parquet export), and just after the rename. The
    build equals the published warehouse, which a publication by difference would leave as it
    is: each killed publication is made to write, in turn a whole new file (no record vouches
    for the published one) and the published file with one table replaced (its record says
    that table changed)."""
    copying = reference.phase_seconds("copying", "published")
    kills = [("publish", 0.0), ("copying", 0.0), ("copying", rng.uniform(0, copying))]
    kills.append(("published", 0.0))
    outcomes = []
    last_record = keep_last_record(crash_ws)
    for n, (phase, delay) in enumerate(kills):
        if n % 2:
            one_table_changed(crash_ws, n, last_record)
        else:
            record_path(crash_ws.build_path).unlink(missing_ok=True)
        seen = kill_in(
            crash_ws,
            f"kill-publish-{n}",
            phase,
            delay,
            figures,
            reference,
            assets="publish/warehouse",
        )
        assert seen in ("publish", "copying", "published")
        outcomes.append(figures.kills[-1]["published"])
    assert outcomes[-1] == "new complete"  # killed after the rename: the new file stays
    result = crash_ws.run("republish", assets="publish/warehouse")
    assert result["success"], failure_text(result)
    figures.run("republish after kills", survived=True)
    assert fingerprint(crash_ws.warehouse_path) == reference.fingerprint
    assert not stray_temp_files(crash_ws), "a killed publication's temporary files were left"


def keep_last_record(ws: Workspace) -> Path | None:
    """A copy of the record the last finished publication wrote (the rerun's), when it vouches
    for the published file: what a publication of the same build would write again."""
    if read_record(ws.build_path, ws.warehouse_path) is None:
        return None
    kept = ws.root / "last-publication-record.json"
    shutil.copyfile(record_path(ws.build_path), kept)
    return kept


def one_table_changed(ws: Workspace, n: int, last_record: Path | None) -> None:
    """The publication record says one mart changed since the published file was made, so the
    next publication copies that file and replaces the table in the copy. When a killed
    publication left no record, the last finished publication's record is put back if the
    published file is still the one it describes (the build is unchanged: a publication run
    would write the same record), else a publication that is not killed first writes one."""
    record = record_path(ws.build_path)
    if not record.exists() and last_record is not None:
        kept = json.loads(last_record.read_text(encoding="utf-8"))
        if kept["file"] == file_identity(ws.warehouse_path):
            shutil.copyfile(last_record, record)
    if not record.exists():
        result = ws.run(f"record-publish-{n}", assets="publish/warehouse")
        assert result["success"], failure_text(result)
    content = json.loads(record.read_text(encoding="utf-8"))
    content["tables"]["marts.dim_unit"] = "changed"
    record.write_text(json.dumps(content), encoding="utf-8")
