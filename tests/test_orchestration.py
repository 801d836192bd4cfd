"""Operations through Dagster's own APIs: the asset graph, the 05:00 schedule, the webserver."""

import datetime as dt
import os
import shutil
import subprocess
import sys
import time

import dagster as dg
import duckdb
import httpx
import pytest

from pipeline.runtime import AS_OF_TAG
from pipeline.workcal import VN_TZ
from simulator.server import free_port
from tests.conftest import failures, pipeline_environment

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_asset_graph_reads_like_a_map():
    from pipeline.definitions import defs

    graph = defs.resolve_asset_graph()
    groups = {key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups["raw/motcua_dossiers"] == "raw"
    assert groups["staging/stg_motcua__dossiers"] == "staging"
    assert groups["intermediate/ind_progress_on_time"] == "intermediate"
    assert groups["marts/fct_indicator"] == "marts"
    assert groups["publish/warehouse"] == "publish"
    # Lineage runs from the source endpoint to the published file.
    upstream = graph.get(dg.AssetKey(["staging", "stg_motcua__dossiers"])).parent_keys
    assert dg.AssetKey(["raw", "motcua_dossiers"]) in upstream
    assert (
        dg.AssetKey(["marts", "fct_indicator"])
        in graph.get(dg.AssetKey(["publish", "warehouse"])).parent_keys
    )
    # Every DuckDB writer shares the single-writer pool.
    for key in (["marts", "fct_dossier"], ["publish", "warehouse"]):
        assert graph.get(dg.AssetKey(key)).pools == {"warehouse_writer"}
    # dbt tests are asset checks; freshness is a policy on raw data, marts and the published file.
    check_names = {check.name for check in graph.asset_check_keys}
    assert "unique_fct_dossier_dossier_code" in check_names
    assert (
        dg.AssetCheckKey(
            dg.AssetKey(["marts", "deadline_metrics"]),
            "deadline_metrics_reconcile_with_fct_dossier",
        )
        in graph.asset_check_keys
    )
    for key in (["raw", "motcua_dossiers"], ["marts", "fct_indicator"], ["publish", "warehouse"]):
        policy = graph.get(dg.AssetKey(key)).freshness_policy
        assert isinstance(policy, dg.FreshnessPolicy), key
        assert (policy.deadline_cron, policy.timezone) == ("0 10 * * *", "Asia/Ho_Chi_Minh")


def test_schedule_tick_refreshes_the_warehouse_as_of_its_instant(simulator, tmp_path):
    """A 05:00 tick through Dagster's schedule API, then its run request executed."""
    from pipeline.definitions import defs
    from pipeline.pipeline_env import patched_environ

    env = pipeline_environment(tmp_path, simulator)
    env.pop("AS_OF")
    tick = dt.datetime(2026, 11, 20, 5, 0, tzinfo=VN_TZ)
    with dg.DagsterInstance.ephemeral() as instance, patched_environ(env):
        schedule = defs.get_schedule_def("daily_refresh_0500")
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=tick)
        requests = schedule.evaluate_tick(context).run_requests
        assert len(requests) == 1
        assert dt.datetime.fromisoformat(requests[0].tags[AS_OF_TAG]) == tick
        result = defs.resolve_job_def(schedule.job_name).execute_in_process(
            instance=instance, tags=requests[0].tags, raise_on_error=False
        )
    assert result.success, failures(result)
    with duckdb.connect(str(tmp_path / "warehouse" / "warehouse.duckdb"), read_only=True) as con:
        [(as_of, months)] = con.execute(
            "select max(as_of), count(distinct period_start) from marts.fct_indicator "
            "where period_type = 'month'"
        ).fetchall()
    assert as_of == tick
    assert months == 35  # 2024-01 .. 2026-11


@pytest.fixture
def webserver(tmp_path):
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "PYTHONPATH": REPO}
    shutil.copyfile(os.path.join(REPO, ".dagster", "dagster.yaml"), tmp_path / "dagster.yaml")
    process = subprocess.Popen(
        [
            os.path.join(os.path.dirname(sys.executable), "dagster-webserver"),
            "-w",
            "workspace.yaml",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/server_info", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        else:
            pytest.fail("the Dagster webserver did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


GRAPH_QUERY = """
{
  repositoriesOrError { ... on RepositoryConnection { nodes {
    schedules { name cronSchedule executionTimezone scheduleState { status } }
    sensors { name }
  } } }
  assetNodes { assetKey { path } groupName hasAssetChecks }
}
"""


def test_webserver_serves_the_graph_checks_and_schedule(webserver):
    deadline = time.monotonic() + 60
    while True:
        response = httpx.post(f"{webserver}/graphql", json={"query": GRAPH_QUERY}, timeout=30)
        body = response.json()
        assert not body.get("errors"), body["errors"]
        data = body["data"]
        if data["assetNodes"] or time.monotonic() > deadline:
            break
        time.sleep(1)
    nodes = {"/".join(n["assetKey"]["path"]): n for n in data["assetNodes"]}
    assert nodes["marts/fct_indicator"]["groupName"] == "marts"
    assert nodes["marts/fct_dossier"]["hasAssetChecks"]
    assert "raw/motcua_dossiers" in nodes and "publish/warehouse" in nodes
    [repository] = data["repositoriesOrError"]["nodes"]
    [schedule] = repository["schedules"]
    assert schedule["cronSchedule"] == "0 5 * * *"
    assert schedule["executionTimezone"] == "Asia/Ho_Chi_Minh"
    assert schedule["scheduleState"]["status"] == "RUNNING"
    sensors = {s["name"] for s in repository["sensors"]}
    assert "record_run_failures" in sensors


def test_multi_month_backfill_then_refresh_builds_those_months(simulator, pipeline_run, tmp_path):
    """A three-month backfill launched as Dagster does for a partition range (one run, range
    tags), then the warehouse models and publication: the marts hold exactly the dossiers a
    full run has for those reception months, once each."""
    from dagster._core.storage.tags import (
        ASSET_PARTITION_RANGE_END_TAG,
        ASSET_PARTITION_RANGE_START_TAG,
    )

    from pipeline.definitions import defs
    from pipeline.pipeline_env import patched_environ

    env = pipeline_environment(tmp_path, simulator)
    backfill = defs.resolve_job_def("motcua_backfill")
    refresh = defs.resolve_job_def("daily_refresh")
    # The refresh after the backfill: its dbt build and publication, without the incremental
    # crawl (the backfill landed those months) nor what the assertions below do not read (the
    # reports and the dbt docs site: tests/test_reports.py, tests/test_end_to_end.py).
    not_asserted = {dg.AssetKey(["raw", "motcua_dossiers"]), dg.AssetKey(["publish", "dbt_docs"])}
    warehouse_only = [
        key
        for key in refresh.asset_layer.executable_asset_keys
        if key not in not_asserted and key.path[0] != "reports"
    ]
    with dg.DagsterInstance.ephemeral() as instance, patched_environ(env):
        landed = backfill.execute_in_process(
            instance=instance,
            tags={
                ASSET_PARTITION_RANGE_START_TAG: "2024-01-01",
                ASSET_PARTITION_RANGE_END_TAG: "2024-03-01",
                AS_OF_TAG: env["AS_OF"],
            },
            raise_on_error=False,
        )
        assert landed.success, failures(landed)
        built = refresh.execute_in_process(
            instance=instance,
            asset_selection=warehouse_only,
            tags={AS_OF_TAG: env["AS_OF"]},
            raise_on_error=False,
        )
        assert built.success, failures(built)
    with duckdb.connect(str(pipeline_run.warehouse_path), read_only=True) as con:
        expected = {
            code
            for (code,) in con.execute(
                "select dossier_code from marts.fct_dossier "
                "where received_at >= timestamptz '2024-01-01 00:00:00+07' "
                "and received_at < timestamptz '2024-04-01 00:00:00+07'"
            ).fetchall()
        }
    with duckdb.connect(str(tmp_path / "warehouse" / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute("select dossier_code, received_at from marts.fct_dossier").fetchall()
        months = con.execute(
            "select distinct period_start from marts.fct_indicator "
            "where period_type = 'month' and rollup = 'AREA' and indicator_code = "
            "'PROGRESS_ON_TIME' and denominator > 0 order by 1"
        ).fetchall()
    codes = [code for code, _ in rows]
    assert len(codes) == len(set(codes)) > 0
    assert {r.astimezone(VN_TZ).strftime("%Y-%m") for _, r in rows} == {
        "2024-01",
        "2024-02",
        "2024-03",
    }
    assert set(codes) == expected
    assert str(months[0][0]) == "2024-01-01"


def test_failed_run_is_recorded_and_leaves_the_published_warehouse(pipeline_run, tmp_path):
    """A refresh whose source is down fails; the run-failure sensor, evaluated through Dagster's
    sensor API on that run's failure event, records it; the published file is the last good one."""
    import hashlib
    import json

    from pipeline.definitions import defs
    from pipeline.pipeline_env import patched_environ

    # A copy of the good warehouse in this test's own folders: the session's run stays untouched.
    published = tmp_path / "warehouse" / "warehouse.duckdb"
    published.parent.mkdir(parents=True)
    shutil.copyfile(pipeline_run.warehouse_path, published)
    before = hashlib.sha256(published.read_bytes()).hexdigest()
    env = {
        **pipeline_run.env,
        "DATA_DIR": str(tmp_path / "data"),
        "WAREHOUSE_PATH": str(published),
        "MOTCUA_BASE_URL": f"http://127.0.0.1:{free_port()}/motcua",
        "MOTCUA_TOKEN_URL": "",
        # Two attempts a request, short pauses: the failure is the subject here; the retries
        # are tested in tests/connectors/test_failures.py and tests/test_service.py.
        "SOURCE_HTTP_ATTEMPTS": "2",
        "SOURCE_HTTP_BACKOFF": "0.1",
    }
    with dg.DagsterInstance.ephemeral() as instance, patched_environ(env):
        result = defs.resolve_job_def("daily_refresh").execute_in_process(
            instance=instance, tags={AS_OF_TAG: env["AS_OF"]}, raise_on_error=False
        )
        assert not result.success
        failure_event = next(
            e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE
        )
        sensor = defs.get_sensor_def("record_run_failures")
        context = dg.build_run_status_sensor_context(
            sensor_name=sensor.name,
            dagster_event=failure_event,
            dagster_instance=instance,
            dagster_run=result.dagster_run,
        ).for_run_failure()
        sensor(context)
    assert hashlib.sha256(published.read_bytes()).hexdigest() == before
    record_file = tmp_path / "data" / "ops" / "run_failures.jsonl"
    records = [json.loads(line) for line in record_file.read_text().splitlines()]
    mine = [r for r in records if r["run_id"] == result.run_id]
    assert mine and mine[0]["job_name"] == "daily_refresh"
    assert any("motcua" in step for step in mine[0]["failed_steps"])
    assert "unavailable" in mine[0]["message"]
