"""The fixed part of a build (empty world) of two source trees, side by side in one session.

    python -m benchmarks.side_by_side --tree before=/path/to/main --tree after=. --rounds 2

The empty world (scale 0, every dataset landed, no dossier) is extracted once; then, per round
and tree (the order alternates between rounds), three builds through `benchmarks.steps build`
in fresh folders: the first (full), the next day's (incremental, the clock moved, nothing
landed) and the same day's again (incremental, nothing moved). Per build: wall seconds, CPU
seconds of the whole process tree (steadier than wall time on a shared machine), the step's
import time and Dagster step windows, dbt's own run (`run_results.json`: elapsed, nodes and
their seconds by type). One JSON line per build; all of them in `<work>/side-by-side-*.json`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.bench import AS_OF, HISTORY_START, REPO, Bench

NEXT_DAY = (dt.datetime.fromisoformat(AS_OF) + dt.timedelta(days=1)).isoformat()


def environment(tree: Path, root: Path, as_of: str = AS_OF) -> dict[str, str]:
    """The bench's environment of a step, with the code (and Dagster home) of `tree`."""
    bench = Bench(root, {}, root / "bench.log")
    return bench.env(root, PYTHONPATH=str(tree), DAGSTER_HOME=str(tree / ".dagster"), AS_OF=as_of)


def empty_world(work: Path) -> Path:
    from pipeline.demo import simulator_environment
    from simulator.server import run_simulator

    raw = work / "empty-raw"
    if not raw.exists():
        root = work / "empty-extract"
        shutil.rmtree(root, ignore_errors=True)
        with run_simulator(as_of=AS_OF, history_start=HISTORY_START, scale=0.0) as sim:
            subprocess.run(
                [sys.executable, "-m", "benchmarks.steps", "extract"],
                env={**environment(REPO, root), **simulator_environment(sim)},
                cwd=REPO, check=True, stdout=subprocess.DEVNULL,
            )  # fmt: skip
        shutil.copytree(root / "data" / "raw", raw)
    return raw


def dbt_run(targets: set[Path]) -> dict:
    if not targets:
        return {}
    results = json.loads((max(targets, key=os.path.getmtime) / "run_results.json").read_text())
    by_type: dict[str, list] = {}
    for node in results["results"]:
        kind = node["unique_id"].split(".")[0]
        count, seconds = by_type.get(kind, (0, 0.0))
        by_type[kind] = [count + 1, round(seconds + node["execution_time"], 2)]
    return {"dbt_elapsed": round(results["elapsed_time"], 2), "dbt_nodes": by_type}


def build(name: str, tree: Path, root: Path, as_of: str) -> dict:
    targets = tree / "dbt_project" / "target"
    before = set(targets.glob("dbt_build-*"))
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    step = subprocess.run(
        ["nice", sys.executable, "-m", "benchmarks.steps", "build"],
        env=environment(tree, root, as_of), cwd=tree, capture_output=True, text=True,
    )  # fmt: skip
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if step.returncode:
        raise RuntimeError(f"{name} failed:\n{step.stderr[-3000:]}")
    result = json.loads(step.stdout.strip().splitlines()[-1])
    cpu = (after.ru_utime + after.ru_stime) - (used.ru_utime + used.ru_stime)
    return {
        "build": name,
        "wall": round(wall, 2),
        "cpu": round(cpu, 2),
        "load": round(os.getloadavg()[0], 1),
        "import": round(result["import_seconds"], 2),
        "mode": result["dbt_build"]["mode"],
        "steps": {key: round(seconds, 2) for key, seconds in result["steps"].items()},
        **dbt_run(set(targets.glob("dbt_build-*")) - before),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.side_by_side")
    p.add_argument("--tree", action="append", required=True, help="name=path of a source tree")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--work", default=str(REPO / "data" / "bench" / "side-by-side"))
    args = p.parse_args(argv)
    trees = {name: Path(path).resolve() for name, path in (t.split("=", 1) for t in args.tree)}
    work = Path(args.work)
    raw = empty_world(work)
    rows = []
    for round_ in range(args.rounds):
        names = list(trees) if round_ % 2 == 0 else list(trees)[::-1]
        for name in names:
            root = work / f"{name}-{round_}"
            shutil.rmtree(root, ignore_errors=True)
            shutil.copytree(raw, root / "data" / "raw")
            for label, as_of in (("full", AS_OF), ("next day", NEXT_DAY), ("same day", NEXT_DAY)):
                row = build(f"{name} {label} #{round_ + 1}", trees[name], root, as_of)
                print(json.dumps(row), flush=True)
                rows.append(row)
    (work / f"side-by-side-{int(time.time())}.json").write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
