"""`make demo`: the main job end to end on the embedded default.

Starts the portal simulator on loopback, runs the `daily_refresh` job once through Dagster
(extraction → raw Parquet → dbt build and tests → publication), stops the simulator, and
prints where the warehouse is with one example query.

Start-up overlaps: the simulator builds its world in its own process while this one imports
Dagster and the definitions; once it answers, the official scores' per-dossier facts are
built in the simulator (`/_sim/evaluation-warmup`) while the first raw assets are extracted.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time

from pipeline.config import load_settings
from pipeline.pipeline_env import patched_environ, use_demo_pii_hash_key_unless_set
from simulator.faults import faults_from_env
from simulator.server import SimulatorHandle, run_simulator


def simulator_environment(handle: SimulatorHandle) -> dict[str, str]:
    """The connector settings that point the pipeline at a running simulator (the demo's and
    the tests' wiring; the Dagster definitions never import the simulator)."""
    return {
        "MOTCUA_BASE_URL": handle.motcua_base_url,
        "MOTCUA_TOKEN_URL": "",
        "MOTCUA_CLIENT_ID": handle.client_id,
        "MOTCUA_USERNAME": handle.username,
        "MOTCUA_PASSWORD": handle.password,
        "MOTCUA_ROOT_AGENCY_ID": handle.root_agency_id,
        "DVCQG_BASE_URL": handle.dvcqg_base_url,
        "DVCQG_USERNAME": handle.dvcqg_username,
        "DVCQG_PASSWORD": handle.dvcqg_password,
        "DVCQG_MADONVI": handle.root_agency_code,
        "DVCQG_ROOT_DEPARTMENT_ID": handle.root_department_id,
    }


EXAMPLE_QUERY = """\
-- PROGRESS_ON_TIME (max 20) of this month so far, per ward with its departments
SELECT i.unit_code, u.unit_name, i.numerator AS on_time, i.denominator AS handled,
       round(i.ratio * 100, 2) AS on_time_pct, round(i.points, 2) AS points
FROM marts.fct_indicator i JOIN marts.dim_unit u USING (unit_code)
WHERE i.indicator_code = 'PROGRESS_ON_TIME' AND i.period_type = 'month'
  AND ((i.rollup = 'SUBTREE' AND u.unit_level = 'WARD') OR i.rollup = 'AREA')
  AND i.period_start = (SELECT max(period_start) FROM marts.fct_indicator)
ORDER BY i.rollup DESC, points"""


def import_pipeline() -> None:
    """The heavy imports (Dagster, the definitions with the dbt manifest), done while the
    simulator starts."""
    import pipeline.definitions  # noqa: F401
    import pipeline.operations  # noqa: F401
    import pipeline.reports  # noqa: F401


def warm_evaluation(sim) -> threading.Thread:
    """Ask the simulator to build the evaluation facts now, in the background. Best effort:
    if it fails, the first evaluation request builds them (the simulator's cache is shared)."""
    import httpx

    def warm() -> None:
        with contextlib.suppress(httpx.HTTPError):
            httpx.post(sim.admin("evaluation-warmup"), timeout=900)

    thread = threading.Thread(target=warm, name="evaluation-warmup", daemon=True)
    thread.start()
    return thread


def print_step_times(windows: dict[str, tuple[float, float]]) -> None:
    """Where the run's time went: each step's seconds, the extraction's first to last."""
    if not windows:
        return
    from pipeline.progress import extraction_seconds

    print("\nSteps (seconds):")
    span = extraction_seconds(windows)
    if span is not None:
        print(f"  {'extraction (raw__*, first start to last end)':<48} {span:7.1f}")
    for key, (start, end) in sorted(windows.items(), key=lambda item: item[1][0]):
        print(f"  {key:<48} {end - start:7.1f}")


def main() -> int:
    use_demo_pii_hash_key_unless_set()
    settings = load_settings()
    as_of = settings.resolve_as_of()
    scale = float(os.environ.get("SIM_SCALE", "1.0"))
    # Switchable simulator faults, e.g. SIM_FAULTS=corpus=0.05 serves the drift corpus.
    faults = faults_from_env(os.environ.get("SIM_FAULTS"))
    print(f"Starting the portal simulator (world as of {as_of:%Y-%m-%d %H:%M}, scale {scale}) …")
    started = time.monotonic()
    with run_simulator(
        as_of=as_of,
        history_start=settings.history_start,
        scale=scale,
        faults=faults,
        while_starting=import_pipeline,
    ) as sim:
        import dagster as dg

        from pipeline.definitions import defs
        from pipeline.operations import release_slots_of_dead_runs
        from pipeline.progress import step_windows
        from pipeline.runtime import AS_OF_TAG

        print(f"Simulator on {sim.base_url}; running the daily_refresh job through Dagster …")
        warm_evaluation(sim)
        job = defs.resolve_job_def("daily_refresh")
        with (
            patched_environ(simulator_environment(sim)),
            dg.DagsterInstance.get() as instance,
        ):
            # execute_in_process bypasses the jobs' executor, which does this for every run
            release_slots_of_dead_runs(instance)
            result = job.execute_in_process(
                instance=instance, tags={AS_OF_TAG: as_of.isoformat()}, raise_on_error=False
            )
            print_step_times(step_windows(instance, result.run_id))
    if not result.success:
        print("The run failed; the published warehouse (if any) is the previous good one.")
        return 1
    elapsed = time.monotonic() - started
    import duckdb

    from pipeline.reports import Period, report_files, reports_dir

    print(f"\nDone in {elapsed:.0f} s. Published warehouse: {settings.warehouse_path}")
    print(f"Marts as Parquet: {settings.warehouse_path.parent / 'marts'}")
    print(f"dbt docs site: {settings.warehouse_path.parent / 'docs' / 'index.html'}")
    files = report_files(reports_dir(), Period.month_of(as_of.date()))
    print(f"Reports: {files.html}\n         {files.xlsx}")
    print(f"\nExample query (duckdb -readonly {settings.warehouse_path}):\n{EXAMPLE_QUERY}\n")
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        cursor = con.execute(EXAMPLE_QUERY)
        header = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    print(" | ".join(header))
    for row in rows:
        print(" | ".join(str(v) for v in row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
