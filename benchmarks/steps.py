"""The steps of the benchmark, each run in its own process (`python -m benchmarks.steps <step>`)
so that its wall time and peak memory are its own. Each prints one JSON object on its last line.

- `extract`: every raw landing of the daily job, through the connectors, against a simulator.
- `ceiling`: the requests a run's connectors sent (their request log), sent again with plain
  httpx and the bodies discarded (the raw-fetch ceiling of the same requests).
- `build`: the warehouse part of the daily job (dbt build + tests, publication) through Dagster;
  incremental when the build file of a previous complete build is there (it reports which).
- `lower-bound`: the hand-written DuckDB script of the two indicators from the raw Parquet.
- `upstream`: the models upstream of the two indicators built again alone, one at a time, on a
  copy of the full build's file (dbt's own per-model timings, comparable with the script).
- `replicate`, `delta`: raw zones of other sizes and the daily change (see `worlds.py`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

PROCESS_STARTED = time.perf_counter()


def _print(result: dict) -> None:
    sys.stdout.write(json.dumps(result, default=str) + "\n")
    sys.stdout.flush()


def extract(args) -> dict:
    """The raw assets of the daily job, in the order Dagster runs them, timed one by one."""
    from pipeline.config import load_dvcqg_settings, load_motcua_settings, load_settings
    from pipeline.landing.dvcqg import DvcqgLanding
    from pipeline.landing.motcua import MotcuaLanding
    from pipeline.sources.dvcqg import DvcqgClient
    from pipeline.sources.motcua import MotcuaClient

    settings = load_settings()
    as_of = settings.resolve_as_of()
    run_id = f"bench{int(time.time())}"
    timings: dict[str, dict] = {}

    def timed(name, fn):
        started = time.perf_counter()
        result = fn()
        timings[name] = {
            "seconds": time.perf_counter() - started,
            "records_read": result.records_read,
            "records_landed": result.records_landed,
            "pages": result.pages,
        }

    # The connectors log their requests when SOURCE_REQUEST_LOG is set (the ceiling replays them).
    motcua = MotcuaClient(load_motcua_settings())
    with motcua:
        landing = MotcuaLanding(settings, motcua, run_id)
        if not args.dossiers_only:
            timed("motcua_agencies", landing.land_agencies)
            timed("motcua_procedures", landing.land_procedures)
        timed("motcua_dossiers", lambda: landing.land_dossiers_incremental(as_of))
    if not args.dossiers_only:
        started = time.perf_counter()
        write_calendar(settings, as_of)
        timings["working_calendar"] = {"seconds": time.perf_counter() - started}
        with DvcqgClient(load_dvcqg_settings()) as dvcqg:
            landing = DvcqgLanding(settings, dvcqg, run_id)
            timed("dvcqg_dossier_copies", lambda: landing.land_dossier_copies(as_of))
            timed("dvcqg_petitions", lambda: landing.land_petitions(as_of))
            timed("dvcqg_evaluation", lambda: landing.land_evaluation(as_of))
            timed("dvcqg_formalities", landing.land_formalities)
    return {"assets": timings}


def write_calendar(settings, as_of: dt.datetime) -> None:
    """What the asset raw/working_calendar lands (the same code)."""
    import pyarrow as pa

    from pipeline.landing.schemas import WORKING_CALENDAR_SCHEMA
    from pipeline.landing.writer import write_atomic
    from pipeline.workcal import calendar_days

    days = calendar_days(
        dt.date(settings.history_start.year - 1, 1, 1), dt.date(as_of.year + 2, 12, 31)
    )
    rows = [
        {"date": d.date, "is_working_day": d.is_working_day, "holiday_name": d.holiday_name}
        for d in days
    ]
    table = pa.Table.from_pylist(rows, schema=WORKING_CALENDAR_SCHEMA)
    write_atomic(table, settings.raw_dir / "calendar" / "working_days" / "calendar.parquet")


def ceiling(args) -> dict:
    """The requests of a run (the connectors' request log, `SOURCE_REQUEST_LOG`) sent again with
    plain httpx by `workers` threads, bodies read and discarded: what the sources can serve. A
    logged login is sent again as a login; the other requests carry this step's own token and
    session (taken before the clock starts)."""
    import httpx

    from pipeline.config import load_dvcqg_settings, load_motcua_settings

    entries = [json.loads(line) for line in Path(args.log).read_text().splitlines() if line]
    motcua = load_motcua_settings()
    dvcqg = load_dvcqg_settings() if os.environ.get("DVCQG_BASE_URL") else None
    token_form = {
        "grant_type": "password",
        "client_id": motcua.client_id,
        "username": motcua.username,
        "password": motcua.password,
    }
    login_body = {"username": dvcqg.username, "password": dvcqg.password} if dvcqg else {}
    bases = [motcua.base_url, motcua.token_url, *([dvcqg.base_url] if dvcqg else [])]
    limits = httpx.Limits(max_connections=args.workers, max_keepalive_connections=args.workers)
    with httpx.Client(limits=limits, timeout=300) as client:
        token = client.post(motcua.token_url, data=token_form).json()["access_token"]
        session = client.post(f"{dvcqg.base_url}/auth", json=login_body).json() if dvcqg else {}
        bearer = {"Authorization": f"Bearer {token}"}

        def fetch(entry: dict) -> int:
            url = rebased(entry["url"], bases)
            if entry.get("login"):
                if url == motcua.token_url:
                    response = client.post(url, data=token_form)
                else:
                    response = client.post(url, json=login_body)
            elif entry["method"] == "GET":
                response = client.get(url, headers=bearer)
            else:
                body = entry.get("json")
                if entry.get("session"):
                    body = {**body, "session": session["session"]}
                response = client.request(entry["method"], url, json=body)
            response.raise_for_status()
            return len(response.content)

        from concurrent.futures import ThreadPoolExecutor

        started = time.perf_counter()
        # The demo asks the simulator to build its evaluation facts as its extraction starts
        # (pipeline/demo.py): so does this replay, beside the requests.
        with ThreadPoolExecutor(1) as warming, ThreadPoolExecutor(args.workers) as pool:
            warm = warming.submit(httpx.post, args.warm, timeout=900) if args.warm else None
            body_bytes = sum(pool.map(fetch, entries))
            if warm is not None:
                warm.result().raise_for_status()
        seconds = time.perf_counter() - started
    # By the first segment of the path: the simulator serves /motcua and /dvcqg.
    by_source = Counter(httpx.URL(e["url"]).path.strip("/").split("/")[0] for e in entries)
    return {
        "requests": len(entries),
        "requests_by_source": dict(by_source),
        "bytes": body_bytes,
        "seconds": seconds,
    }


def rebased(url: str, bases: list[str]) -> str:
    """A logged URL sent to the portal of this step instead (the logging run's simulator had
    another port): the origin of the base whose path the URL's path starts with."""
    import httpx

    logged = httpx.URL(url)
    for base in map(httpx.URL, bases):
        if base.path.strip("/") and logged.path.startswith(base.path.rstrip("/") + "/"):
            return str(logged.copy_with(scheme=base.scheme, host=base.host, port=base.port))
    return url


def build(args) -> dict:
    """The warehouse part of the daily job (every asset but the raw landings) through Dagster,
    as the schedule runs it; dbt's own per-model timings from the materializations."""
    import dagster as dg

    from pipeline.definitions import defs
    from pipeline.progress import step_windows
    from pipeline.runtime import AS_OF_TAG

    imported = time.perf_counter()
    job = defs.resolve_job_def("daily_refresh")
    keys = [k for k in job.asset_layer.executable_asset_keys if k.path[0] != "raw"]
    as_of = os.environ["AS_OF"]
    instance = dg.DagsterInstance.ephemeral()
    result = job.execute_in_process(
        instance=instance,
        tags={AS_OF_TAG: as_of},
        asset_selection=keys,
        raise_on_error=False,
    )
    if not result.success:
        failures = [
            f"{e.step_key}: {e.event_specific_data.error.message[-800:]}"
            for e in result.all_events
            if e.is_step_failure and e.event_specific_data.error
        ]
        raise RuntimeError("build failed:\n" + "\n".join(failures))
    steps = {
        key: end - start for key, (start, end) in step_windows(instance, result.run_id).items()
    }
    models = {}
    for event in result.get_asset_materialization_events():
        metadata = event.materialization.metadata
        unique_id = metadata.get("unique_id")
        duration = metadata.get("Execution Duration")
        if unique_id is not None and duration is not None:
            models[unique_id.value] = duration.value
    return {
        "import_seconds": imported - args.process_started,
        "steps": steps,
        "dbt_model_seconds": models,
        "dbt_build": build_record(),
    }


def build_record() -> dict:
    """Which path the dbt build took (full or incremental) and why, from its build record."""
    from pipeline.build_state import read_state
    from pipeline.config import load_settings

    state = read_state(load_settings()) or {}
    return {"mode": state.get("mode"), "reason": state.get("reason")}


def lower_bound(args) -> dict:
    """The hand-written script, in a fresh DuckDB, timed from connect to the last row."""
    import duckdb

    from pipeline.config import REPO_ROOT, load_settings

    settings = load_settings()
    sql = (Path(__file__).with_name("lower_bound.sql")).read_text()
    sql = (
        sql.replace("{raw}", str(settings.raw_dir))
        .replace("{seeds}", str(REPO_ROOT / "dbt_project" / "seeds"))
        .replace("{as_of}", settings.resolve_as_of().isoformat())
        .replace("{history_start}", settings.history_start.isoformat())
    )
    started = time.perf_counter()
    con = duckdb.connect(args.database)
    # The same engine settings as the build's profile (memory limit, time zone in the script).
    con.execute(f"SET memory_limit = '{os.environ.get('DUCKDB_MEMORY_LIMIT', '3000MB')}'")
    con.execute(sql)
    rows = con.execute("select count(*) from lower_bound").fetchone()[0]
    seconds = time.perf_counter() - started
    con.close()
    return {"seconds": seconds, "rows": rows}


def upstream(args) -> dict:
    """The models the two indicators are built from, and the two, built again from scratch on a
    copy of the full build's file with `dbt run --threads 1`: in the full build two models run
    side by side and each one's time includes the core the other holds, while the lower-bound
    script has both cores to itself; one at a time, each model has both, like the script."""
    from pipeline.assets.warehouse import dbt_vars
    from pipeline.config import load_settings
    from pipeline.project import DBT_PROJECT_DIR

    settings = load_settings()
    database = Path(args.database)
    target = database.with_name("upstream-target")
    shutil.copyfile(settings.build_path, database)
    env = {
        **os.environ,
        "RAW_DIR": str(settings.raw_dir),
        "DBT_DUCKDB_PATH": str(database),
        "DBT_AS_OF": settings.resolve_as_of().isoformat(),
        "DBT_PREVIOUS_AS_OF": "",
        "DBT_NEW_RUNS": "{}",
    }
    try:
        subprocess.run(
            [str(Path(sys.executable).with_name("dbt")), "run", "--quiet", "--full-refresh",
             "--threads", "1", "--vars", dbt_vars(settings), "--target-path", str(target),
             "--select", "+ind_progress_on_time +ind_so_hoa_giay_to_giai_quyet"],
            cwd=DBT_PROJECT_DIR, env=env, check=True,
        )  # fmt: skip
        results = json.loads((target / "run_results.json").read_text())["results"]
    finally:
        database.unlink(missing_ok=True)
        Path(f"{database}.wal").unlink(missing_ok=True)
        shutil.rmtree(target, ignore_errors=True)
    return {"dbt_model_seconds": {r["unique_id"]: r["execution_time"] for r in results}}


def replicate(args) -> dict:
    from benchmarks.worlds import replicate as multiply

    return {"counts": multiply(Path(args.src), Path(args.dst), args.factor)}


def delta(args) -> dict:
    from benchmarks.worlds import delta as change
    from pipeline.config import load_settings

    settings = load_settings()
    return change(settings.raw_dir, args.share, args.changed_at, f"delta{int(time.time())}")


def check(args) -> dict:
    """Whether the lower-bound script and the project's models agree, per unit and month."""
    import duckdb

    from pipeline.config import load_settings

    settings = load_settings()
    con = duckdb.connect(args.database, read_only=True)
    con.execute(f"ATTACH '{settings.build_path}' AS build (READ_ONLY)")
    models = " UNION ALL ".join(
        f"SELECT indicator_code, unit_code, period_start, numerator, denominator "
        f"FROM build.intermediate.{model} WHERE rollup = 'SELF' AND period_type = 'month'"
        for model in ("ind_progress_on_time", "ind_so_hoa_giay_to_giai_quyet")
    )
    compared, differing = con.execute(
        f"""
        SELECT count(*), count(*) FILTER (
            coalesce(m.numerator, 0) <> coalesce(b.numerator, 0)
            OR coalesce(m.denominator, 0) <> coalesce(b.denominator, 0))
        FROM ({models}) m
        FULL JOIN main.lower_bound b USING (indicator_code, unit_code, period_start)
        """
    ).fetchone()
    return {"rows_compared": compared, "rows_differing": differing}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.steps")
    sub = p.add_subparsers(dest="step", required=True)
    e = sub.add_parser("extract")
    e.add_argument("--dossiers-only", action="store_true")
    c = sub.add_parser("ceiling")
    c.add_argument("--log", required=True)
    c.add_argument("--warm", default=None, help="the simulator's evaluation-warmup URL")
    c.add_argument("--workers", type=int, default=4)
    sub.add_parser("build")
    lb = sub.add_parser("lower-bound")
    lb.add_argument("--database", required=True)
    r = sub.add_parser("replicate")
    r.add_argument("--src", required=True)
    r.add_argument("--dst", required=True)
    r.add_argument("--factor", type=float, required=True)
    d = sub.add_parser("delta")
    d.add_argument("--share", type=float, required=True)
    d.add_argument("--changed-at", required=True)
    ck = sub.add_parser("check")
    ck.add_argument("--database", required=True)
    up = sub.add_parser("upstream")
    up.add_argument("--database", required=True)
    args = p.parse_args(argv)
    args.process_started = PROCESS_STARTED
    started = time.perf_counter()
    steps = {
        "extract": extract,
        "ceiling": ceiling,
        "build": build,
        "lower-bound": lower_bound,
        "replicate": replicate,
        "delta": delta,
        "check": check,
        "upstream": upstream,
    }
    result = steps[args.step](args)
    result["step_seconds"] = time.perf_counter() - started
    _print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
