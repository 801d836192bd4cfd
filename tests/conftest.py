"""Shared fixtures: a real simulator on loopback and a real pipeline run into a temporary folder."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# A step whose source stays down is retried by Dagster minutes later (pipeline/recovery.py);
# the suite's source-down tests check the failure itself, tests/test_service.py the retries.
os.environ.setdefault("SOURCE_STEP_RETRIES", "0")

import dagster as dg  # noqa: E402
import pytest  # noqa: E402

from pipeline.config import DEFAULT_HISTORY_START, parse_instant
from pipeline.demo import simulator_environment
from pipeline.pipeline_env import demo_pii_hash_key, patched_environ
from pipeline.runtime import AS_OF_TAG
from simulator.server import run_simulator

AS_OF = "2026-11-20T08:00:00+07:00"
HISTORY_START = DEFAULT_HISTORY_START.isoformat()
TEST_SCALE = 0.03


_SUITE_SECONDS: dict[str, float] = {}
_SUITE_TESTS: dict[str, int] = {}
_WORKER_SECONDS: dict[str, float] = {}
_WORKER_GROUPS: dict[str, list[str]] = {}


# `make test` runs the suite on xdist workers (`-n 3 --dist loadgroup --no-loadscope-reorder`):
# a group's tests run on one worker, in file order. Every test that uses the session's pipeline
# run is in one group (each worker would otherwise make that run again); the reliability suite's
# tests that use its package fixtures (the simulator, and through it the reference run, the
# storm; the figures) are one group, as are the crash tests in their order; every other file
# (the suite's property tests, which use none of them, included: they leave the suite's worker,
# the longest, free for the runs) is a group of its own, so a module fixture is made once.
# The groups start longest first (LONG_GROUPS); a worker takes the next group when it is at
# its current group's last tests.
SESSION_RUN_GROUP = "session-pipeline-run"
PACKAGE_GROUPS = {"tests/reliability/": ("reliability", {"rel_sim", "figures"})}
LONG_GROUPS = (
    "reliability",
    SESSION_RUN_GROUP,
    "tests/test_service.py",
    "tests/test_benchmark_smoke.py",
    "tests/test_incremental_build.py",
)


def xdist_group_of(nodeid: str, fixturenames: list[str]) -> str:
    path = nodeid.split("::")[0]
    for folder, (group, package_fixtures) in PACKAGE_GROUPS.items():
        if path.startswith(folder) and package_fixtures & set(fixturenames):
            return group
    if "pipeline_run" in fixturenames:
        return SESSION_RUN_GROUP
    return path


def group_of(item: pytest.Item) -> str:
    return item.get_closest_marker("xdist_group").args[0]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items) -> None:
    """Marks each test with its group, before xdist's own hook turns the mark into the node
    id's `@group` suffix that its scheduler reads. On a worker, the long groups first (a stable
    sort: the order inside a group and among the other groups is the files' order)."""
    for item in items:
        group = xdist_group_of(item.nodeid, list(getattr(item, "fixturenames", ())))
        item.add_marker(pytest.mark.xdist_group(group))
    if hasattr(config, "workerinput"):  # an xdist worker: the scheduler reads its order
        rank = {group: index for index, group in enumerate(LONG_GROUPS)}
        items.sort(key=lambda item: rank.get(group_of(item), len(rank)))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids) -> None:
    """Every node id a worker collected carries its group (`@group`): pytest-xdist 3.8 on
    pytest 9.2 leaves the ids alone and groups nothing, silently (pytest-xdist#1386; hence
    `pytest<9.2` in pyproject.toml)."""
    if node.config.getvalue("dist") == "loadgroup" and not all("@" in id_ for id_ in ids):
        raise pytest.UsageError(
            "xdist did not group the tests by their xdist_group mark: these pytest and "
            "pytest-xdist versions do not work together (pytest-xdist#1386)"
        )


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Time spent per suite (setup + call + teardown), summed by folder or file under tests/,
    and per xdist worker."""
    parts = report.nodeid.split("::")[0].split("/")
    suite = "/".join(parts[:2]) if len(parts) > 2 else "/".join(parts)
    _SUITE_SECONDS[suite] = _SUITE_SECONDS.get(suite, 0.0) + report.duration
    if report.when == "call":
        _SUITE_TESTS[suite] = _SUITE_TESTS.get(suite, 0) + 1
    node = getattr(report, "node", None)  # the xdist worker that ran the test
    if node is not None:
        worker = node.gateway.id
        _WORKER_SECONDS[worker] = _WORKER_SECONDS.get(worker, 0.0) + report.duration
        groups = _WORKER_GROUPS.setdefault(worker, [])
        if (group := report.nodeid.rpartition("@")[2]) not in groups:
            groups.append(group)


def pytest_terminal_summary(terminalreporter) -> None:
    """What each suite cost, so CI shows e.g. that the reliability suite fits its budget."""
    if not _SUITE_SECONDS:
        return
    terminalreporter.section("time per suite")
    for suite, seconds in sorted(_SUITE_SECONDS.items(), key=lambda kv: -kv[1]):
        tests = _SUITE_TESTS.get(suite, 0)
        terminalreporter.write_line(f"{seconds:8.1f} s  {tests:4d} tests  {suite}")
    if _WORKER_SECONDS:
        terminalreporter.section("time per xdist worker (its groups in the order it ran them)")
        for worker, seconds in sorted(_WORKER_SECONDS.items()):
            groups = ", ".join(_WORKER_GROUPS[worker])
            terminalreporter.write_line(f"{seconds:8.1f} s  {worker}: {groups}")


@dataclass
class PipelineRun:
    result: dg.ExecuteInProcessResult
    env: dict[str, str]
    data_dir: Path
    warehouse_path: Path


@pytest.fixture(scope="session")
def simulator():
    with run_simulator(
        as_of=parse_instant(AS_OF),
        history_start=dt.date.fromisoformat(HISTORY_START),
        scale=TEST_SCALE,
    ) as handle:
        yield handle


def pipeline_environment(root: Path, simulator, pii_hash_key: str | None = None) -> dict[str, str]:
    """The pipeline's settings for a run in `root`; the hash key is the data folder's own
    random demo key unless runs that are compared with each other share `pii_hash_key`."""
    return {
        **simulator_environment(simulator),
        "DATA_DIR": str(root / "data"),
        "WAREHOUSE_PATH": str(root / "warehouse" / "warehouse.duckdb"),
        "REPORTS_DIR": str(root / "reports"),
        "PII_HASH_KEY": pii_hash_key or demo_pii_hash_key(root / "data"),
        "HISTORY_START": HISTORY_START,
        "AS_OF": AS_OF,
    }


def run_daily_refresh(env: dict[str, str], as_of: str = AS_OF) -> dg.ExecuteInProcessResult:
    """One run of the daily job through Dagster, as the schedule would launch it."""
    from pipeline.definitions import defs

    with patched_environ({**env, "AS_OF": as_of}):
        return defs.resolve_job_def("daily_refresh").execute_in_process(
            instance=dg.DagsterInstance.ephemeral(),
            tags={AS_OF_TAG: as_of},
            raise_on_error=False,
        )


def dbt_test(
    select: str, env: dict[str, str], target: Path, parsed_in: Path | None = None
) -> list[dict]:
    """`dbt test --select <select>` on the project in its own target folder, as the tests run
    it beside the pipeline: the results of run_results.json (stdout tail when there is none).
    `parsed_in`: the target folder of an earlier call on the same build file, whose parse state
    dbt starts from (partial parsing: 3.6 instead of 7.8 CPU seconds of parse)."""
    import json
    import shutil
    import subprocess
    import sys

    from pipeline.project import DBT_PROJECT_DIR

    if parsed_in is not None:
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(parsed_in / "partial_parse.msgpack", target / "partial_parse.msgpack")
    dbt = Path(sys.executable).with_name("dbt")
    done = subprocess.run(
        [str(dbt), "test", "--select", select, "--profiles-dir", ".", "--target-path", str(target)],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    results = target / "run_results.json"
    assert results.exists(), done.stdout[-4000:]
    return json.loads(results.read_text())["results"]


def failures(result: dg.ExecuteInProcessResult) -> str:
    """The failure messages of a run, for assertion output."""
    return "\n".join(
        f"{event.step_key}: {event.event_specific_data.error.message[-1500:]}"
        for event in result.all_events
        if event.is_step_failure and event.event_specific_data.error
    )


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory, simulator) -> Iterator[PipelineRun]:
    root = tmp_path_factory.mktemp("pipeline")
    env = pipeline_environment(root, simulator)
    result = run_daily_refresh(env)
    assert result.success, failures(result)
    yield PipelineRun(result, env, root / "data", root / "warehouse" / "warehouse.duckdb")
