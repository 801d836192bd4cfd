"""The service as an operator runs it (`make serve`): Dagster's code server, webserver and daemon
as real processes (the definitions loaded once, by the code server the two others share), the
embedded simulator, the schedule firing on its own, a portal down at the first
tick recovered by the retry sensor, and a clean stop on SIGTERM. One serve session covers both
"Done when" tests of issue 17; everything is observed through the webserver's GraphQL. It is
also where a schedule's run request is executed for real (tests/test_orchestration.py evaluates
the tick through Dagster's schedule API): the warehouse it publishes is as of the tick's instant,
with every month from HISTORY_START to the tick's."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx
import pytest

from pipeline.config import DEFAULT_HISTORY_START
from pipeline.runtime import AS_OF_TAG
from pipeline.workcal import VN_TZ
from simulator.server import free_port

REPO = Path(__file__).resolve().parent.parent
# A small world (a third of the suite's TEST_SCALE, about 50 dossiers a month): every assertion
# compares the warehouse with the simulator's own truth, whatever its size.
SIM_SCALE = 0.01
RETRY_INTERVAL = 10  # seconds after the failure before the retry run (DAILY_REFRESH_RETRY_INTERVAL)
# The daemon's scheduler starts counting ticks at its first pass after the code loaded (a minute
# boundary); the service takes about a minute to get there on the 2-core machine.
STARTUP = dt.timedelta(seconds=150)

RUNS_QUERY = """
{ runsOrError(filter: {pipelineName: "daily_refresh"}) { ... on Runs { results {
    runId status startTime endTime tags { key value }
} } } }
"""
EVENTS_QUERY = """
query ($runId: ID!) { logsForRun(runId: $runId, limit: 5000) {
  ... on EventConnection { events { __typename ... on MessageEvent { stepKey message } } }
} }
"""
PUBLISHED_QUERY = """
{ assetOrError(assetKey: {path: ["publish", "warehouse"]}) {
  ... on Asset { assetMaterializations(limit: 10) { runId } } } }
"""


def ticks_from(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Two ticks a minute apart in the same hour, the first leaving the service time to start
    (one cron expression cannot name 01:59 and 02:00 alone: "59 1,2" is 01:59 and 02:59)."""
    first = (now + STARTUP).replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    if first.minute == 59:
        first += dt.timedelta(minutes=1)
    return first, first + dt.timedelta(minutes=1)


def cron_of(first: dt.datetime, second: dt.datetime) -> str:
    assert first.hour == second.hour, (first, second)
    return f"{first.minute},{second.minute} {first.hour} * * *"


class Served:
    def __init__(self, url: str, sim_url: str, process: subprocess.Popen, log: Path):
        self.url, self.sim_url, self.process, self.log = url, sim_url, process, log

    def graphql(self, query: str, **variables) -> dict:
        body = httpx.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables}, timeout=60
        ).json()
        assert not body.get("errors"), body["errors"]
        return body["data"]

    def runs(self) -> list[dict]:
        results = self.graphql(RUNS_QUERY)["runsOrError"]["results"]
        for run in results:
            run["tags"] = {t["key"]: t["value"] for t in run["tags"]}
        return sorted(results, key=lambda r: r["startTime"] or float("inf"))

    def wait_for(self, what: str, predicate, timeout: float):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the service exited while waiting for {what}:\n{self.tail()}")
            try:
                found = predicate()
            except httpx.TransportError:
                found = None
            if found:
                return found
            time.sleep(2)
        pytest.fail(f"timed out waiting for {what}; runs: {self.runs()}\n{self.tail()}")

    def faults(self, rates: dict[str, float]) -> None:
        httpx.post(f"{self.sim_url}/_sim/faults", json={"rates": rates}, timeout=10)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@pytest.fixture
def served(tmp_path):
    now = dt.datetime.now(VN_TZ)
    first, second = ticks_from(now)
    port, sim_port = free_port(), free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MOTCUA_", "DVCQG_", "DAGSTER_")) and key != "AS_OF"
    }
    env.update(
        {
            "DAGSTER_HOME": str(tmp_path / "dagster"),
            "DAGSTER_HOST": "127.0.0.1",
            "DAGSTER_PORT": str(port),
            "DATA_DIR": str(tmp_path / "data"),
            "WAREHOUSE_PATH": str(tmp_path / "warehouse" / "warehouse.duckdb"),
            "REPORTS_DIR": str(tmp_path / "reports"),
            "SIM_SCALE": str(SIM_SCALE),
            "HISTORY_START": DEFAULT_HISTORY_START.isoformat(),
            "SIM_PORT": str(sim_port),
            # A frozen world, so the warehouse can be compared with the simulator's truth.
            "SIM_CLOCK_STEP": "0",
            "DAILY_REFRESH_CRON": cron_of(first, second),
            "DAILY_REFRESH_RETRY_INTERVAL": str(RETRY_INTERVAL),
            "DAILY_REFRESH_RETRY_UNTIL": (now + dt.timedelta(minutes=40)).strftime("%H:%M"),
            # Short waits at every layer: two attempts a request, one retry a step.
            "SOURCE_HTTP_ATTEMPTS": "2",
            "SOURCE_HTTP_BACKOFF": "0.1",
            "SOURCE_STEP_RETRIES": "1",
            "SOURCE_STEP_RETRY_DELAY": "1",
            "PYTHONPATH": str(REPO),
        }
    )
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "pipeline.service"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    service = Served(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{sim_port}", process, log)
    try:
        yield service, first, second, tmp_path
    finally:
        stop(service)


def stop(service: Served) -> None:
    """The service stopped after a failed test too. SIGTERM, as an operator would: it stops
    the code server, the webserver and the daemon (each in a process group of its own, runs
    included) and the simulator; a SIGKILL of the service alone would leave them all running.
    Should the service not stop within a minute, it is killed with what is left of its groups."""
    process = service.process
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
        return
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for pid in started_pids(service.log):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)


def started_pids(log: Path) -> list[int]:
    """The code server's, the webserver's and the daemon's process ids, in this order, as the
    service logged them."""
    return [
        int(pid) for pid in re.findall(r"started \(pid (\d+)\)", log.read_text(errors="replace"))
    ]


def definitions_loaders(groups: list[int]) -> list[list[int]]:
    """In each of these process groups, the processes that hold the definitions loaded: Dagster's
    `dagster api grpc` servers (a code server's, or one the webserver or the daemon started)."""
    found: dict[int, list[int]] = {group: [] for group in groups}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            group = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[2])
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if group in found and b"api" in argv and b"grpc" in argv:
            found[group].append(int(entry.name))
    return [found[group] for group in groups]


def _tick(run: dict) -> dt.datetime:
    return dt.datetime.fromisoformat(run["tags"][AS_OF_TAG])


def published_as_of_and_months(warehouse: Path) -> tuple[dt.datetime, int]:
    """The published warehouse's evaluation instant and its number of monthly periods."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        [(as_of, months)] = con.execute(
            "select max(as_of), count(distinct period_start) from marts.fct_indicator "
            "where period_type = 'month'"
        ).fetchall()
    return as_of, months


def months_until(tick: dt.datetime) -> int:
    """The months from HISTORY_START's to the tick's (Vietnam time), both included."""
    start = DEFAULT_HISTORY_START
    return (tick.year - start.year) * 12 + tick.month - start.month + 1


STEPS_QUERY = """
query ($runId: ID!) { runOrError(runId: $runId) { ... on Run { stepStats { stepKey status } } } }
"""


@pytest.mark.slow
def test_the_service_runs_the_schedule_recovers_a_down_portal_and_stops_cleanly(served):
    service, first, second, root = served
    service.wait_for(
        "the webserver",
        lambda: httpx.get(f"{service.url}/server_info", timeout=2).status_code == 200,
        timeout=300,
    )
    assert dt.datetime.now(VN_TZ) < first, "the service started after the first tick"

    # 1. The first tick: a run launched by the schedule alone extracts, builds and publishes.
    def first_extracted():
        runs = [r for r in service.runs() if _tick(r) == first]
        if not runs:
            return None
        steps = service.graphql(STEPS_QUERY, runId=runs[0]["runId"])["runOrError"]["stepStats"]
        raw = [s for s in steps if s["stepKey"].startswith("raw__")]
        assert all(s["status"] != "FAILURE" for s in raw), steps
        return runs if len(raw) == 8 and all(s["status"] == "SUCCESS" for s in raw) else None

    service.wait_for("the first tick's extraction", first_extracted, timeout=300)
    # The portal goes down (every request answered HTTP 500) before the second tick's run can
    # start: runs go one at a time, and the first has read everything it needs.
    service.faults({"server_error": 1.0})

    def succeeded(tick):
        def check():
            runs = [r for r in service.runs() if _tick(r) == tick]
            assert all(r["status"] != "FAILURE" for r in runs), runs
            return runs if runs and runs[0]["status"] == "SUCCESS" else None

        return check

    [scheduled] = service.wait_for("the first tick's run", succeeded(first), timeout=600)
    assert scheduled["tags"]["dagster/schedule_name"] == "daily_refresh_0500"
    # The schedule's run request executed: the warehouse as of the tick's instant, every month
    # from HISTORY_START to the tick's (the second tick's run fails before any publication).
    warehouse = root / "warehouse" / "warehouse.duckdb"
    assert published_as_of_and_months(warehouse) == (first, months_until(first))

    # 2. The second tick's run fails on its own: the extraction steps were retried by Dagster
    # (one retry each) and the source was still unavailable.
    def second_failed():
        runs = [r for r in service.runs() if _tick(r) == second]
        return runs if runs and runs[0]["status"] == "FAILURE" else None

    [failed] = service.wait_for("the second tick's run to fail", second_failed, timeout=300)
    assert failed["tags"]["dagster/schedule_name"] == "daily_refresh_0500"
    events = service.graphql(EVENTS_QUERY, runId=failed["runId"])["logsForRun"]["events"]
    retried = {e["stepKey"] for e in events if e["__typename"] == "ExecutionStepUpForRetryEvent"}
    failures = [e for e in events if e["__typename"] == "ExecutionStepFailureEvent"]
    assert "raw__motcua_dossiers" in retried
    assert failures and all(e["stepKey"].startswith("raw__") for e in failures)
    # The portal answers again, a few moments later.
    service.faults({"server_error": 0.0})

    # 3. The retry sensor runs the second tick again, once, and it publishes that tick's figures.
    def retried_and_settled():
        runs = [r for r in service.runs() if _tick(r) == second]
        return runs if len(runs) == 2 and runs[1]["status"] == "SUCCESS" else None

    runs = service.wait_for("the retry of the second tick", retried_and_settled, timeout=600)
    retry = runs[1]
    assert retry["tags"]["motcua/retry_of"] == failed["runId"]
    assert retry["tags"]["dagster/sensor_name"] == "retry_daily_refresh"
    assert retry["tags"][AS_OF_TAG] == failed["tags"][AS_OF_TAG]
    assert retry["startTime"] - failed["endTime"] >= RETRY_INTERVAL
    # One sensor interval later there is still no other run: a success ends the retries.
    time.sleep(RETRY_INTERVAL + 5)
    all_runs = service.runs()
    assert [r["runId"] for r in all_runs] == [scheduled["runId"], failed["runId"], retry["runId"]]

    published = service.graphql(PUBLISHED_QUERY)["assetOrError"]["assetMaterializations"]
    assert {m["runId"] for m in published} == {scheduled["runId"], retry["runId"]}
    truth = httpx.get(f"{service.sim_url}/_sim/truth", timeout=60).json()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        codes = [c for (c,) in con.execute("select dossier_code from marts.fct_dossier").fetchall()]
    assert len(codes) == len(set(codes)), "a dossier was published twice"
    assert set(codes) == {d["code"] for d in truth["dossiers"]}
    assert published_as_of_and_months(warehouse) == (second, months_until(second))

    # Nothing of the runs is left behind once they are over: no staging folder, no dbt target
    # folder of theirs (the sensor `housekeeping` sweeps every 30 s).
    prefixes = {run["runId"][:7] for run in all_runs}

    def swept():
        staged = list((root / "data" / "staging").glob("*/*"))
        targets = (REPO / "dbt_project" / "target").glob("dbt_*-*")
        return not staged and not [t for t in targets if t.name.split("-")[1] in prefixes]

    service.wait_for("the housekeeping sweep", swept, timeout=90)

    # The definitions are held by one process, the code server's, which the webserver and the
    # daemon share: neither has a code server of its own (the daemon would start a new one,
    # importing the definitions again, every minute).
    children = started_pids(service.log)
    assert len(children) == 3
    assert [len(loaders) for loaders in definitions_loaders(children)] == [1, 0, 0]

    # 4. SIGTERM stops the code server, the webserver, the daemon and the simulator within 30
    # seconds.
    started = time.monotonic()
    service.process.send_signal(signal.SIGTERM)
    assert service.process.wait(timeout=30) == 0
    assert time.monotonic() - started < 30
    for pid in children:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{service.url}/server_info", timeout=2)


def test_the_embedded_simulator_serves_the_faults_of_sim_faults(tmp_path, monkeypatch):
    """`SIM_FAULTS=corpus=0.05 make serve` serves the drift corpus, as `make demo` does."""
    from pipeline.service import embedded_simulator

    for key in ("MOTCUA_BASE_URL", "PII_HASH_KEY", "AS_OF"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SIM_SCALE", "0.01")
    monkeypatch.setenv("SIM_CLOCK_STEP", "0")
    monkeypatch.setenv("SIM_FAULTS", "corpus=0.05, slow=0.01")
    with embedded_simulator() as env:
        base = env["MOTCUA_BASE_URL"].split("/", 3)[:3]
        served = httpx.get("/".join(base) + "/_sim/faults", timeout=30).json()
    assert served["rates"] == {"corpus": 0.05, "slow": 0.01}
