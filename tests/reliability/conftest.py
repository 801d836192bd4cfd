"""The reliability suite's shared machinery (issue 9): one simulator on loopback, pipeline runs in
their own processes (so they can be SIGKILLed), progress markers to choose kill points, a
content fingerprint of the published marts, and the figures RELIABILITY.md reports.

Budget: the whole folder runs in a few minutes on two cores (scale 0.01, one uninterrupted
reference run shared by every module). No assertion is about the world's size: every check
compares with the simulator's truth or with the reference run of the same world, and at 0.01
the world still has about 1 700 one-stop dossiers, every unit, procedure and report period, and
every fault type of the suite is served (a smaller world makes each extraction cheaper; the dbt
build costs about the same at any size).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import math
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import httpx
import pytest

from pipeline.config import REPO_ROOT, parse_instant
from simulator.server import run_simulator
from tests.conftest import AS_OF, HISTORY_START, pipeline_environment
from tests.connectors.conftest import set_faults, sim_stats, truth

SCALE = 0.01
# The suite's workspaces stand for one deployment and are compared with each other (marts,
# raw datasets): they share one hash key, made at random for the test session.
SUITE_PII_HASH_KEY = secrets.token_hex(32)
FAULT_SEED = 909
# The world's records are a little dirty in every run of this suite: 1 % malformed (bad
# dates, unknown status, missing keys, wrong types: audit.rejects) and 5 % with unknown fields.
BASELINE_FAULTS = {"malformed": 0.01, "drift": 0.05}
RUN_TIMEOUT = 600
# Marts columns whose values legitimately differ between two runs of the same AS_OF: none
# today (every mart derives from AS_OF and the data, never from the run or the clock).
RUN_SPECIFIC_COLUMNS: dict[str, set[str]] = {}
FIGURES_ENV = "RELIABILITY_FIGURES"


# --- the simulator ----------------------------------------------------------------------
@pytest.fixture(scope="package")
def rel_sim():
    with run_simulator(
        as_of=parse_instant(AS_OF),
        history_start=dt.date.fromisoformat(HISTORY_START),
        scale=SCALE,
        faults=BASELINE_FAULTS,
        fault_seed=FAULT_SEED,
    ) as handle:
        yield handle


def apply_faults(sim, extra: dict[str, float] | None = None, slow_seconds: float = 3.0) -> None:
    """The baseline faults plus `extra` (replacing the simulator's current set)."""
    response = httpx.post(
        sim.admin("faults"),
        json={"rates": {**BASELINE_FAULTS, **(extra or {})}, "slowSeconds": slow_seconds},
        timeout=30,
    )
    response.raise_for_status()


def injected(sim) -> Counter:
    return Counter(sim_stats(sim)["faults"]["injected"])


# --- pipeline runs in their own process --------------------------------------------------
@dataclass
class Workspace:
    root: Path
    sim: object

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def warehouse_path(self) -> Path:
        return self.root / "warehouse" / "warehouse.duckdb"

    @property
    def build_path(self) -> Path:
        return self.data_dir / "build" / "warehouse.duckdb"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster_home"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    def env(self, **extra: str) -> dict[str, str]:
        self.dagster_home.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO_ROOT / ".dagster" / "dagster.yaml", self.dagster_home / "dagster.yaml")
        return {
            **os.environ,
            **pipeline_environment(self.root, self.sim, SUITE_PII_HASH_KEY),
            "DAGSTER_HOME": str(self.dagster_home),
            "PYTHONPATH": str(REPO_ROOT),
            **extra,
        }

    def start(
        self, name: str, *, assets: str = "", fast_clients: bool = False, corpus: Path | None = None
    ) -> PipelineProcess:
        """Launch one `daily_refresh` run (or the given assets) in a new process group."""
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        result = self.logs_dir / f"{name}.result.json"
        result.unlink(missing_ok=True)
        extra = {"RELIABILITY_ASSETS": assets}
        if fast_clients:
            extra["RELIABILITY_FAST_CLIENTS"] = "1"
        if corpus is not None:
            extra["RELIABILITY_CORPUS"] = str(corpus)
        log = (self.logs_dir / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.runner", str(result)],
            cwd=REPO_ROOT,
            env=self.env(**extra),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return PipelineProcess(name, process, result, self, time.time())

    def run(self, name: str, **kwargs) -> dict:
        """One run to its end; its result (success, errors)."""
        return self.start(name, **kwargs).wait()


@dataclass
class PipelineProcess:
    name: str
    process: subprocess.Popen
    result_path: Path
    workspace: Workspace
    started: float
    phases: dict[str, float] = field(default_factory=dict)
    _offset: int = 0
    # Dagster steps in the order they started, with when the watcher first saw each start.
    steps: dict[str, float] = field(default_factory=dict)

    def wait(self, timeout: float = RUN_TIMEOUT) -> dict:
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        if not self.result_path.exists():
            log = (self.workspace.logs_dir / f"{self.name}.log").read_text(errors="replace")
            raise AssertionError(f"run {self.name} wrote no result:\n{log[-4000:]}")
        return json.loads(self.result_path.read_text())

    def kill(self) -> None:
        """SIGKILL the run and every process it started (dbt), as a crash or OOM kill would."""
        with_suppressed_lookup(lambda: os.killpg(self.process.pid, signal.SIGKILL))
        self.process.wait(timeout=60)
        deadline = time.time() + 30
        while time.time() < deadline and _group_alive(self.process.pid):
            time.sleep(0.05)

    def phase(self) -> str:
        """Where the run is, from the steps it logged and the files it wrote since it started."""
        ws, since = self.workspace, self.started
        self._read_log()
        folder = ws.warehouse_path.parent
        if _mtime(ws.warehouse_path) > since:
            return "published"
        if folder.exists() and any(folder.glob(f".{ws.warehouse_path.name}.*.tmp")):
            return "copying"
        if "publish__warehouse" in self.steps:
            return "publish"
        if "warehouse_models" in self.steps:
            return "dbt"
        if any(step.startswith("raw__") for step in self.steps):
            return "extraction"
        return "starting"

    def _read_log(self) -> None:
        path = self.workspace.logs_dir / f"{self.name}.log"
        with path.open("rb") as fh:
            fh.seek(self._offset)
            chunk = fh.read()
        end = chunk.rfind(b"\n") + 1
        self._offset += end
        now = time.time()
        for line in chunk[:end].decode("utf-8", "replace").splitlines():
            if "STEP_START" in line and 'Started execution of step "' in line:
                step = line.split('Started execution of step "')[1].split('"')[0]
                self.steps.setdefault(step, now)

    def step_passed(self, step: str) -> bool:
        """Whether a step that started after `step` has started."""
        order = list(self.steps)
        return step in order and order.index(step) < len(order) - 1

    def watch(self, until: Callable[[str, float], bool], poll: float = 0.005) -> str | None:
        """Poll the phase (recording when each is first seen) until `until(phase, seconds in
        that phase)` or the process ends; the phase then, None if it ended first."""
        while self.process.poll() is None:
            now = time.time()
            current = self.phase()
            self.phases.setdefault(current, now)
            if until(current, now - self.phases[current]):
                return current
            time.sleep(poll)
        return None


def with_suppressed_lookup(fn: Callable[[], None]) -> None:
    with contextlib.suppress(ProcessLookupError):
        fn()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def failure_text(result: dict) -> str:
    return "\n".join(f"{e['step']}: {e['cause'] or e['message']}" for e in result["errors"])


# --- the published warehouse -------------------------------------------------------------
@dataclass(frozen=True)
class TablePrint:
    """A table's content: row count, an order-free hash of its exact columns, and per floating
    column the sum and sum of squares (equal within 1e-9 relative: two builds sum in a
    different order across threads, so the last bits differ and no rounding is stable)."""

    rows: int
    digest: str
    moments: tuple[float | None, ...]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TablePrint):
            return NotImplemented
        return (
            (self.rows, self.digest) == (other.rows, other.digest)
            and len(self.moments) == len(other.moments)
            and all(
                a == b or (a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9))
                for a, b in zip(self.moments, other.moments, strict=True)
            )
        )

    __hash__ = None  # type: ignore[assignment]


FLOATS = ("DOUBLE", "FLOAT", "REAL")


def fingerprint(path: Path) -> dict[str, TablePrint]:
    """Every marts table of a DuckDB file (RUN_SPECIFIC_COLUMNS left out). Opening read-only
    also proves the file is a complete, checkpointed database."""
    prints = {}
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "order by table_name"
        ).fetchall()
        for (table,) in tables:
            columns = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'marts' and table_name = ? order by ordinal_position",
                [table],
            ).fetchall()
            skip = RUN_SPECIFIC_COLUMNS.get(table, set())
            exact = [f'"{n}"' for n, kind in columns if n not in skip and kind not in FLOATS]
            floats = [f'"{n}"' for n, kind in columns if n not in skip and kind in FLOATS]
            moments = [f"sum({c}), sum({c} * {c})" for c in floats]
            row = con.execute(
                f"select count(*), md5(coalesce(string_agg(h, '' order by h), ''))"
                f"{''.join(', ' + m for m in moments)} from "
                f"(select md5(cast(row({', '.join(exact)}) as varchar)) as h, * "
                f'from marts."{table}")'
            ).fetchone()
            prints[table] = TablePrint(row[0], row[1], tuple(row[2:]))
    return prints


def public_tables(path: Path) -> set[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            f"{schema}.{table}"
            for schema, table in con.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }


def dossier_ids(path: Path) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return [r[0] for r in con.execute("select dossier_id from marts.fct_dossier").fetchall()]


def stray_temp_files(ws: Workspace) -> list[Path]:
    """Temporary files a run leaves behind (a killed run may; the next run must clear them)."""
    folder = ws.warehouse_path.parent
    return sorted(p for p in folder.rglob(".*.tmp*")) if folder.exists() else []


# --- the reference: one uninterrupted run --------------------------------------------------
@dataclass
class Reference:
    workspace: Workspace
    result: dict
    fingerprint: dict[str, TablePrint]
    tables: set[str]
    phases: dict[str, float]
    steps: dict[str, float]
    expected_ids: set[str]
    malformed_ids: set[str]

    def phase_seconds(self, phase: str, following: str, default: float = 0.05) -> float:
        if phase not in self.phases or following not in self.phases:
            return default  # too short to be seen by the watcher
        return self.phases[following] - self.phases[phase]

    def raw_steps(self) -> list[tuple[str, float]]:
        """The landing steps in the order they ran, each with its duration (until the next
        step started)."""
        return [
            (step, following - started)
            for (step, started), (_, following) in itertools.pairwise(self.steps.items())
            if step.startswith("raw__")
        ]

    def copy_published(self, ws: Workspace) -> None:
        """Give a fresh workspace the reference's published warehouse as its last good one."""
        ws.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.workspace.warehouse_path, ws.warehouse_path)


@pytest.fixture(scope="package")
def reference(rel_sim, tmp_path_factory, figures) -> Reference:
    """The `daily_refresh` job once (without the dbt docs site), uninterrupted, from an empty
    workspace."""
    apply_faults(rel_sim)
    ws = Workspace(tmp_path_factory.mktemp("reference"), rel_sim)
    run = ws.start("reference", assets="core")
    run.watch(lambda phase, _: False)
    result = run.wait()
    assert result["success"], failure_text(result)
    world = truth(rel_sim)
    malformed = set(world["malformedIds"])
    expected = {d["id"] for d in world["dossiers"]} - malformed
    landed = dossier_ids(ws.warehouse_path)
    assert len(landed) == len(set(landed))
    assert set(landed) == expected
    figures.run("reference", survived=True)
    return Reference(
        ws,
        result,
        fingerprint(ws.warehouse_path),
        public_tables(ws.warehouse_path),
        dict(run.phases),
        dict(run.steps),
        expected,
        malformed,
    )


# --- the figures of RELIABILITY.md ---------------------------------------------------------
class Figures:
    def __init__(self):
        self.faults_injected: Counter[str] = Counter()
        self.runs: list[dict] = []
        self.kills: list[dict] = []
        self.records_lost = 0
        self.duplicates = 0
        self.leaks = 0
        self.checks: dict[str, int] = Counter()
        self.bad_input: dict[str, str] = {}

    def run(self, name: str, *, survived: bool, outcome: str = "completed", **extra) -> None:
        self.runs.append({"name": name, "survived": survived, "outcome": outcome, **extra})

    def as_dict(self) -> dict:
        return {
            "date": dt.date.today().isoformat(),
            "scale": SCALE,
            "faults_injected": dict(sorted(self.faults_injected.items())),
            "runs": len(self.runs),
            "runs_survived": sum(r["survived"] for r in self.runs),
            "runs_completed": sum(r["outcome"] == "completed" for r in self.runs),
            "runs_failed_cleanly": sum(r["outcome"] == "failed cleanly" for r in self.runs),
            "kills": len(self.kills),
            "kills_by_phase": dict(Counter(k["phase"] for k in self.kills)),
            "records_lost": self.records_lost,
            "duplicates": self.duplicates,
            "leaks": self.leaks,
            "checks": dict(self.checks),
            "bad_input": self.bad_input,
            "run_details": self.runs,
            "kill_details": self.kills,
        }


@pytest.fixture(scope="package")
def figures(tmp_path_factory) -> Iterator[Figures]:
    collected = Figures()
    yield collected
    data = collected.as_dict()
    text = json.dumps(data, indent=2, ensure_ascii=False)
    (tmp_path_factory.getbasetemp() / "reliability_figures.json").write_text(text)
    if os.environ.get(FIGURES_ENV):
        Path(os.environ[FIGURES_ENV]).write_text(text)
    summary = {k: v for k, v in data.items() if k not in ("run_details", "kill_details")}
    print("\nreliability figures:", json.dumps(summary, ensure_ascii=False))


__all__ = ["set_faults", "truth"]


# --- the storm: a full refresh under every fault at once, an analyst reading meanwhile -----
# Every fault at once, at rates where about a quarter of all requests (logins included) meet
# one and 12 attempts get through (at 10 % each, a storm once met a request failing 12 times
# in a row: a clean failure, but not the full refresh this fixture is for). `shift`
# moves the world, so it is tested alone, on extraction, in test_source_faults.py;
# `malformed` stays at its baseline, below the reject-rate gate.
STORM_FAULTS = {
    "server_error": 0.05,
    "rate_limit": 0.05,
    "slow": 0.03,
    "reset": 0.05,
    "truncate": 0.05,
    "token_expiry": 0.2,
    "duplicates": 0.5,
    "drift": 0.3,
}


@dataclass
class Storm:
    workspace: Workspace
    result: dict
    injected: Counter
    reader: dict
    reader_ready: dict
    published_at: float
    marker_after: int | None
    fingerprint: dict | None


@pytest.fixture(scope="package")
def storm(rel_sim, reference, tmp_path_factory, figures) -> Storm:
    """A full refresh (empty raw zone: a full extraction) under STORM_FAULTS while an analyst
    process holds the previous published file open, and queries it back to back from the
    refresh's dbt build on (the extraction leaves the published file alone). The refresh
    leaves out the reports, which no test of it reads."""
    ws = Workspace(tmp_path_factory.mktemp("storm"), rel_sim)
    reference.copy_published(ws)
    with duckdb.connect(str(ws.warehouse_path)) as con:  # a table only the old file has
        con.execute("create schema analyst; create table analyst.marker as select 1 as x")
    control = ws.root / "reader"
    control.mkdir()
    reader = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.reader", str(ws.warehouse_path), str(control)],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        _wait_for(control / "ready.json", reader)
        ready = json.loads((control / "ready.json").read_text())
        apply_faults(rel_sim, STORM_FAULTS)
        before = injected(rel_sim)
        run = ws.start("storm", assets="published", fast_clients=True)
        run.watch(lambda phase, _: phase not in ("starting", "extraction"), poll=0.1)
        (control / "query").touch()
        result = run.wait()
        counts = injected(rel_sim) - before
        apply_faults(rel_sim)
        (control / "stop").touch()
        reader.wait(timeout=120)
        finished = json.loads((control / "result.json").read_text())
    finally:
        if reader.poll() is None:
            reader.kill()
        apply_faults(rel_sim)
    figures.faults_injected.update(counts)
    marker_after, prints = None, None
    if result["success"]:
        with duckdb.connect(str(ws.warehouse_path), read_only=True) as con:
            marker_after = con.execute(
                "select count(*) from information_schema.tables where table_schema = 'analyst'"
            ).fetchone()[0]
        prints = fingerprint(ws.warehouse_path)
    return Storm(
        ws, result, counts, finished, ready, ws.warehouse_path.stat().st_mtime, marker_after, prints
    )


def _wait_for(path: Path, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while not path.exists():
        assert process.poll() is None, f"process ended before writing {path.name}"
        assert time.time() < deadline, f"no {path.name} after {timeout} s"
        time.sleep(0.05)
