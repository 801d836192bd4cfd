"""`make bench`: province-scale benchmarks, measured side by side in one run (BENCHMARKS.md).

    python -m benchmarks.bench [--smoke] [--work DIR] [--out FILE]

Order (each pipeline step is its own process; wall time and peak RSS of its process tree):
1. `make demo` end to end on the default world (scale 1, ~171 k dossiers); its raw zone,
   landed through the connectors, is the base world of the sizes below.
2. The fixed part of a build: the same build on an empty world (scale 0), twice.
3. Extraction at 0.3 M and 1 M: a simulator of that scale (its index build timed apart),
   the connector's crawl of the last `SAMPLE_DAYS` of changes, then the same pages fetched
   and discarded with plain httpx (the ceiling).
4. For 0.3 M, 1 M, 3 M dossiers: the base raw zone multiplied (`worlds.replicate`), the full
   build, the lower-bound script, a check that the script and the models agree, and the models
   upstream of the two indicators built again one at a time (`steps.upstream`): the ratio's
   figure, each model having both cores as the script has.
5. At the largest size: 0.5 % of the dossiers change (`worlds.delta`), the daily build again
   on the full build's build file, a day later (incremental; the result says which path ran).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.measure import Measured, run_step
from benchmarks.plot import build_time_svg
from pipeline.build_state import STATE_NAME
from pipeline.config import DEFAULT_HISTORY_START

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
AS_OF = "2026-11-20T08:00:00+07:00"
HISTORY_START = DEFAULT_HISTORY_START.isoformat()
PII_KEY = "demo-only-key-not-for-production"
# The simulator at scale 1 holds this many dossiers (2024-01-01 .. 2026-11-20): the scale of
# a size is size / this.
DOSSIERS_AT_SCALE_1 = 171_307
SAMPLE_DAYS = 45
DELTA_SHARE = 0.005
# Requests in flight per crawl (the connectors' `workers`): the ceiling sends as many at once.
CONNECTOR_WORKERS = 4

FULL = {
    "demo_scale": 1.0,
    "sizes": [300_000, 1_000_000, 3_000_000],
    "extraction_sizes": [300_000, 1_000_000],
    "sample_days": SAMPLE_DAYS,
    "fixed_repeats": 2,
}
# Every step once, on the smallest worlds that exercise it: one size (a second one ran every
# step again, a sixth of the smoke's CPU time, and showed nothing the first does not); 1 500
# dossiers cost what 3 000 did less 11 CPU-s of the test's 194, and every step still runs.
SMOKE = {
    "demo_scale": 0.02,
    "sizes": [1_500],
    "extraction_sizes": [1_500],
    "sample_days": 60,
    "fixed_repeats": 1,
}


class Bench:
    def __init__(self, work: Path, plan: dict, log: Path):
        self.work = work
        self.plan = plan
        self.log = log
        self.steps: dict[str, Measured] = {}

    def env(self, root: Path, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "DAGSTER_HOME": str(REPO / ".dagster"),
            "DATA_DIR": str(root / "data"),
            "WAREHOUSE_PATH": str(root / "warehouse" / "warehouse.duckdb"),
            "REPORTS_DIR": str(root / "reports"),
            "PII_HASH_KEY": PII_KEY,
            "AS_OF": AS_OF,
            "HISTORY_START": HISTORY_START,
            **extra,
        }

    def step(self, name: str, args: list[str], env: dict[str, str]) -> Measured:
        say(f"  {name} …")
        measured = run_step(name, [PYTHON, *args], env=env, cwd=REPO, log=self.log)
        self.steps[name] = measured
        say(f"  {name}: {measured.seconds:.1f} s, peak RSS {measured.peak_rss_mb:.0f} MB")
        return measured

    # --- 1. demo ---------------------------------------------------------------------------
    def demo(self) -> dict:
        root = self.work / "demo"
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        requests = root / "requests.jsonl"
        env = self.env(
            root, SIM_SCALE=str(self.plan["demo_scale"]), SOURCE_REQUEST_LOG=str(requests)
        )
        measured = self.step("demo", ["-m", "pipeline.demo"], env)
        raw = root / "data" / "raw"
        steps = demo_steps()
        return {
            "seconds": measured.seconds,
            "peak_rss_mb": measured.peak_rss_mb,
            "scale": self.plan["demo_scale"],
            "dossiers": count_dossiers(raw),
            "steps": {key: end - start for key, (start, end) in steps.items()},
            "extraction": self.demo_extraction(root, requests, steps),
            "raw": raw,
        }

    def demo_extraction(
        self, root: Path, requests: Path, steps: dict[str, tuple[float, float]]
    ) -> dict:
        """The demo's whole extraction (its raw steps, both portals, first start to last end)
        against the raw-fetch ceiling of its own requests: the same requests sent again with
        plain httpx to a simulator of the same world, which builds its evaluation facts
        meanwhile, as the demo has it do while it extracts."""
        from pipeline.progress import extraction_seconds
        from simulator.server import run_simulator

        seconds = extraction_seconds(steps)
        with run_simulator(
            as_of=AS_OF, history_start=HISTORY_START, scale=self.plan["demo_scale"]
        ) as sim:
            ceiling = self.step(
                "demo/ceiling",
                ["-m", "benchmarks.steps", "ceiling", "--log", str(requests),
                 "--workers", str(CONNECTOR_WORKERS), "--warm", sim.admin("evaluation-warmup")],
                self.sim_env(root, sim),
            )  # fmt: skip
        return {
            "seconds": seconds,
            "requests": ceiling.result["requests"],
            "requests_by_source": ceiling.result["requests_by_source"],
            "ceiling_seconds": ceiling.result["seconds"],
            "ratio": ceiling.result["seconds"] / seconds,
        }

    # --- 2. fixed part ---------------------------------------------------------------------
    def fixed_part(self) -> dict:
        from simulator.server import run_simulator

        root = self.work / "empty"
        shutil.rmtree(root, ignore_errors=True)
        with run_simulator(as_of=AS_OF, history_start=HISTORY_START, scale=0.0) as sim:
            self.step(
                "empty/extract", ["-m", "benchmarks.steps", "extract"], self.sim_env(root, sim)
            )
        builds = []
        for i in range(self.plan["fixed_repeats"]):
            # Every repeat is a full build, as the worlds' builds are: without its build record
            # a second build of the same folder would be a same-day incremental one, which skips
            # nearly every node (pipeline/build_skip.py). The kept dbt parse state stays.
            (root / "data" / "build" / STATE_NAME).unlink(missing_ok=True)
            step = ["-m", "benchmarks.steps", "build"]
            builds.append(self.step(f"empty/build-{i + 1}", step, self.env(root)))
        best = min(builds, key=lambda m: m.seconds)
        return {
            "seconds": best.seconds,
            "runs_seconds": [m.seconds for m in builds],
            "build_modes": [(m.result.get("dbt_build") or {}).get("mode") for m in builds],
            "peak_rss_mb": max(m.peak_rss_mb for m in builds),
            "import_seconds": best.result.get("import_seconds"),
            "steps": best.result.get("steps"),
        }

    def sim_env(self, root: Path, sim, **extra: str) -> dict[str, str]:
        from pipeline.demo import simulator_environment

        return self.env(root, **simulator_environment(sim), **extra)

    # --- 3. extraction ---------------------------------------------------------------------
    def extraction(self, size: int) -> dict:
        from simulator.server import run_simulator

        scale = size / DOSSIERS_AT_SCALE_1
        root = self.work / f"extract-{size}"
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        as_of = dt.datetime.fromisoformat(AS_OF)
        sample_start = (as_of - dt.timedelta(days=self.plan["sample_days"])).date().isoformat()
        say(f"  simulator at scale {scale:.2f} (index build) …")
        started = time.perf_counter()
        with run_simulator(
            as_of=AS_OF, history_start=HISTORY_START, scale=scale, log_path=root / "sim.log"
        ) as sim:
            index_seconds = time.perf_counter() - started
            say(f"  simulator ready in {index_seconds:.1f} s")
            requests = root / "requests.jsonl"
            env = self.sim_env(
                root, sim, HISTORY_START=sample_start, SOURCE_REQUEST_LOG=str(requests)
            )
            crawl = self.step(
                f"extract-{size}/connector",
                ["-m", "benchmarks.steps", "extract", "--dossiers-only"],
                env,
            )
            ceiling = self.step(
                f"extract-{size}/ceiling",
                ["-m", "benchmarks.steps", "ceiling", "--log", str(requests),
                 "--workers", str(CONNECTOR_WORKERS)],
                env,
            )  # fmt: skip
        landing = crawl.result["assets"]["motcua_dossiers"]
        records = landing["records_read"]
        return {
            "world_dossiers": size,
            "scale": scale,
            "simulator_index_seconds": index_seconds,
            "sample_from": sample_start,
            "records_read": records,
            "records_landed": landing["records_landed"],
            "requests": ceiling.result["requests"],
            "connector_seconds": landing["seconds"],
            "connector_process_seconds": crawl.seconds,
            "ceiling_seconds": ceiling.result["seconds"],
            "connector_dossiers_per_s": records / landing["seconds"],
            "ceiling_dossiers_per_s": records / ceiling.result["seconds"],
            "ratio": ceiling.result["seconds"] / landing["seconds"],
            "connector_peak_rss_mb": crawl.peak_rss_mb,
            "ceiling_peak_rss_mb": ceiling.peak_rss_mb,
        }

    # --- 4. sizes --------------------------------------------------------------------------
    def size(self, size: int, base_raw: Path, base_dossiers: int) -> dict:
        root = self.work / f"size-{size}"
        shutil.rmtree(root, ignore_errors=True)
        factor = size / base_dossiers
        raw = root / "data" / "raw"
        replicated = self.step(
            f"size-{size}/replicate",
            ["-m", "benchmarks.steps", "replicate", "--src", str(base_raw), "--dst", str(raw),
             "--factor", repr(factor)],
            self.env(root),
        )  # fmt: skip
        build = self.step(f"size-{size}/build", ["-m", "benchmarks.steps", "build"], self.env(root))
        database = root / "lower_bound.duckdb"
        bound = self.step(
            f"size-{size}/lower-bound",
            ["-m", "benchmarks.steps", "lower-bound", "--database", str(database)],
            self.env(root),
        )
        check = self.step(
            f"size-{size}/check",
            ["-m", "benchmarks.steps", "check", "--database", str(database)],
            self.env(root),
        )
        alone = self.step(
            f"size-{size}/upstream-alone",
            ["-m", "benchmarks.steps", "upstream", "--database", str(root / "upstream.duckdb")],
            self.env(root),
        )
        in_build = upstream_models(build.result["dbt_model_seconds"])
        upstream = upstream_models(alone.result["dbt_model_seconds"])
        return {
            "dossiers": replicated.result["counts"].get("motcua/dossiers"),
            "factor": factor,
            "replicate_seconds": replicated.seconds,
            "build_seconds": build.seconds,
            "build_peak_rss_mb": build.peak_rss_mb,
            "build_steps": build.result["steps"],
            "build_mode": build.result["dbt_build"]["mode"],
            "dbt_model_seconds": build.result["dbt_model_seconds"],
            # The models upstream of the two indicators, one at a time (the ratio's figure),
            # and as timed inside the full build, two side by side (for information).
            "upstream_models_seconds": sum(upstream.values()),
            "upstream_models": upstream,
            "upstream_models_in_build_seconds": sum(in_build.values()),
            "upstream_models_in_build": in_build,
            "lower_bound_seconds": bound.result["seconds"],
            "lower_bound_process_seconds": bound.seconds,
            "lower_bound_peak_rss_mb": bound.peak_rss_mb,
            "lower_bound_check": check.result,
            "root": root,
        }

    # --- 5. incremental --------------------------------------------------------------------
    def incremental(self, size: dict, connector_rate: float) -> dict:
        root = size["root"]
        as_of = dt.datetime.fromisoformat(AS_OF) + dt.timedelta(days=1)
        changed_at = (as_of - dt.timedelta(hours=12)).isoformat()
        delta = self.step(
            "incremental/delta",
            ["-m", "benchmarks.steps", "delta", "--share", repr(DELTA_SHARE),
             "--changed-at", changed_at],
            self.env(root),
        )  # fmt: skip
        build = self.step(
            "incremental/build",
            ["-m", "benchmarks.steps", "build"],
            self.env(root, AS_OF=as_of.isoformat()),
        )
        changed = delta.result["changed"]
        extraction = changed / connector_rate
        return {
            "changed": changed,
            "share": delta.result["share"],
            # The daily build reuses the full build's build file: incremental unless its
            # build record forced a full refresh (pipeline/build_state.py).
            "build_mode": build.result["dbt_build"]["mode"],
            "build_mode_reason": build.result["dbt_build"]["reason"],
            "dbt_model_seconds": build.result["dbt_model_seconds"],
            "build_seconds": build.seconds,
            "build_peak_rss_mb": build.peak_rss_mb,
            "build_steps": build.result["steps"],
            "extraction_seconds_derived": extraction,
            "seconds": build.seconds + extraction,
        }


def upstream_models(model_seconds: dict[str, float]) -> dict[str, float]:
    """dbt's timings of the models the two indicators are built from (and the two)."""
    manifest = json.loads((REPO / "dbt_project" / "target" / "manifest.json").read_text())
    targets = [
        "model.motcua_warehouse.ind_progress_on_time",
        "model.motcua_warehouse.ind_so_hoa_giay_to_giai_quyet",
    ]
    seen, stack = set(), list(targets)
    while stack:
        node = stack.pop()
        if node in seen or not node.startswith("model."):
            continue
        seen.add(node)
        stack.extend(manifest["parent_map"].get(node, []))
    return {node: model_seconds[node] for node in sorted(seen) if node in model_seconds}


def demo_steps() -> dict[str, tuple[float, float]]:
    """Each step of the demo's run (the latest daily_refresh run as of the bench's AS_OF in the
    bench's Dagster instance): its start and end, in seconds since the epoch."""
    import dagster as dg

    from pipeline.pipeline_env import patched_environ
    from pipeline.progress import step_windows
    from pipeline.runtime import AS_OF_TAG

    with (
        patched_environ({"DAGSTER_HOME": str(REPO / ".dagster")}),
        dg.DagsterInstance.get() as instance,
    ):
        runs = instance.get_runs(
            dg.RunsFilter(job_name="daily_refresh", tags={AS_OF_TAG: AS_OF}), limit=1
        )
        return step_windows(instance, runs[0].run_id)


def count_dossiers(raw: Path) -> int:
    import duckdb

    glob = raw / "motcua" / "dossiers" / "**" / "*.parquet"
    with duckdb.connect() as con:
        return con.execute(f"SELECT count(DISTINCT id) FROM read_parquet('{glob}')").fetchone()[0]


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = int(line.split()[1]) // 1024
    except OSError:
        pass
    import dagster
    import duckdb

    dbt_version = subprocess.run(
        [str(Path(PYTHON).with_name("dbt")), "--version"], capture_output=True, text=True
    ).stdout.split("\n")[1:2]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_mb": memory,
        "load_average_at_start": os.getloadavg(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "dagster": dagster.__version__,
        "dbt": " ".join(dbt_version).strip(),
        "platform": platform.platform(),
    }


def say(message: str) -> None:
    print(message, flush=True)


def run(plan: dict, work: Path, out: Path, svg: Path | None) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    log = work / "steps.log"
    log.unlink(missing_ok=True)
    bench = Bench(work, plan, log)
    started = time.perf_counter()
    results: dict = {"generated_at": dt.datetime.now(dt.UTC).isoformat(), "machine": machine()}
    results["plan"] = {**plan, "as_of": AS_OF, "history_start": HISTORY_START}

    say("1. make demo, end to end (base world)")
    demo = bench.demo()
    base_raw, base_dossiers = demo.pop("raw"), demo["dossiers"]
    results["demo"] = demo

    say("2. fixed part: the build on an empty world")
    fixed = bench.fixed_part()
    results["fixed_part"] = fixed

    say("3. extraction vs the raw-fetch ceiling")
    extraction = [bench.extraction(size) for size in plan["extraction_sizes"]]
    results["extraction"] = extraction

    say("4. full builds and the lower bound")
    sizes = []
    for size in plan["sizes"]:
        say(f" size {size:,} dossiers")
        sizes.append(bench.size(size, base_raw, base_dossiers))
    for s in sizes:
        s["data_part_seconds"] = s["build_seconds"] - fixed["seconds"]
        # The ratio's figure: the upstream models one at a time ÷ the lower-bound script.
        s["upstream_models_vs_lower_bound"] = (
            s["upstream_models_seconds"] / s["lower_bound_seconds"]
        )
        s["in_build_vs_lower_bound"] = (
            s["upstream_models_in_build_seconds"] / s["lower_bound_seconds"]
        )

    say("5. daily incremental refresh at the largest size")
    rate = min(e["connector_dossiers_per_s"] for e in extraction)
    incremental = bench.incremental(sizes[-1], rate)
    largest = sizes[-1]
    incremental["vs_full"] = incremental["seconds"] / largest["build_seconds"]
    # For information: the builds alone, and their data parts (each minus the fixed part).
    incremental["build_vs_full_build"] = incremental["build_seconds"] / largest["build_seconds"]
    incremental["data_part_vs_full_data_part"] = (
        incremental["build_seconds"] - fixed["seconds"]
    ) / largest["data_part_seconds"]
    results["incremental"] = incremental

    for s in sizes:
        s.pop("root")
    results["sizes"] = sizes
    results["steps"] = {name: m.as_json() for name, m in bench.steps.items()}
    # The headline figures (BENCHMARKS.md states each against its target).
    results["extraction_vs_ceiling"] = min(e["ratio"] for e in extraction)
    results["demo_extraction_vs_ceiling"] = demo["extraction"]["ratio"]
    results["full_build_vs_lower_bound"] = largest["upstream_models_vs_lower_bound"]
    results["full_build_vs_lower_bound_by_size"] = {
        str(s["dossiers"]): s["upstream_models_vs_lower_bound"] for s in sizes
    }
    results["incremental_vs_full"] = incremental["vs_full"]
    results["peak_rss_mb"] = max(m.peak_rss_mb for m in bench.steps.values())
    results["peak_rss_mb_by_step"] = {n: round(m.peak_rss_mb, 1) for n, m in bench.steps.items()}
    results["demo_seconds"] = demo["seconds"]
    results["fixed_part_seconds"] = fixed["seconds"]
    results["data_part_seconds_by_size"] = {
        str(s["dossiers"]): s["data_part_seconds"] for s in sizes
    }
    results["machine"]["load_average_at_end"] = os.getloadavg()
    results["bench_seconds"] = time.perf_counter() - started
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    if svg is not None:
        svg.write_text(build_time_svg(results))
    say(summary(results))
    return results


def summary(r: dict) -> str:
    lines = [
        "",
        f"extraction_vs_ceiling     {r['extraction_vs_ceiling']:.2f}   (target >= 0.5)",
        f"full_build_vs_lower_bound {r['full_build_vs_lower_bound']:.2f}   (target <= 3 at every"
        " size: upstream_models_vs_lower_bound below)",
        f"incremental_vs_full       {r['incremental_vs_full']:.2f}   (target <= 0.2; daily dbt "
        f"build {r['incremental']['build_mode']})",
        f"peak_rss_mb               {r['peak_rss_mb']:.0f}   (target <= 4096)",
        f"demo_seconds              {r['demo_seconds']:.0f}   (target <= 120)",
        f"demo_extraction_vs_ceiling {r['demo_extraction_vs_ceiling']:.2f}  (target >= 0.5; "
        f"extraction {r['demo']['extraction']['seconds']:.0f} s, the same "
        f"{r['demo']['extraction']['requests']} requests fetched raw "
        f"{r['demo']['extraction']['ceiling_seconds']:.0f} s)",
        f"fixed_part_seconds        {r['fixed_part_seconds']:.1f}",
    ]
    for s in r["sizes"]:
        lines.append(
            f"  {s['dossiers']:>9,} dossiers: build {s['build_seconds']:.0f} s, data part "
            f"{s['data_part_seconds']:.0f} s, upstream models {s['upstream_models_seconds']:.0f} s,"
            f" ({s['upstream_models_in_build_seconds']:.0f} s in the build),"
            f" lower bound {s['lower_bound_seconds']:.1f} s,"
            f" upstream_models_vs_lower_bound {s['upstream_models_vs_lower_bound']:.2f}"
        )
    lines.append(f"bench took {r['bench_seconds']:.0f} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.bench")
    p.add_argument("--smoke", action="store_true", help="tiny sizes (the test suite's run)")
    p.add_argument("--work", type=Path, default=None, help="scratch folder (default: data/bench)")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--svg", type=Path, default=None)
    args = p.parse_args(argv)
    plan = SMOKE if args.smoke else FULL
    work = args.work or REPO / "data" / ("bench-smoke" if args.smoke else "bench")
    out = args.out or (
        work / "results.json" if args.smoke else REPO / "benchmarks" / "results.json"
    )
    svg = args.svg or (None if args.smoke else REPO / "benchmarks" / "build_time.svg")
    run(plan, work, out, svg)
    return 0


if __name__ == "__main__":
    sys.exit(main())
