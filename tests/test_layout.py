"""The house's import rules: the Dagster code location never loads the portal simulator, and
inside the simulator the world never imports the HTTP app."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def modules_loaded_by(statement: str) -> set[str]:
    """The modules a fresh interpreter holds after running `statement` (a subprocess, so what
    this test session already imported does not count)."""
    probe = f"{statement}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    )
    return set(done.stdout.split())


def test_the_dagster_definitions_load_no_simulator_module():
    loaded = modules_loaded_by("import pipeline.definitions")
    assert "pipeline.definitions" in loaded
    assert sorted(m for m in loaded if m == "simulator" or m.startswith("simulator.")) == []


# The simulator's serving side; everything else in the package is the world it serves.
SERVING = {"simulator.app", "simulator.evaluation_api", "simulator.national_api"}
LAUNCHING = {"simulator.server", "simulator.__main__"}
WEB = ("starlette", "uvicorn")


def simulator_imports() -> dict[str, set[str]]:
    """Module → the modules it imports (any import statement, also under TYPE_CHECKING or
    inside a function), from the source: the graph as written, not as one run loads it."""
    import ast

    graph: dict[str, set[str]] = {}
    for path in sorted((REPO / "simulator").glob("*.py")):
        name = "simulator" if path.stem == "__init__" else f"simulator.{path.stem}"
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
                if node.module == "simulator":
                    found |= {f"simulator.{alias.name}" for alias in node.names}
        graph[name] = found
    return graph


def test_the_simulated_world_never_imports_the_http_app():
    graph = simulator_imports()
    assert graph.keys() >= SERVING
    offending = {
        module: sorted(m for m in imported if m in SERVING | LAUNCHING or m.startswith(WEB))
        for module, imported in graph.items()
        if module not in SERVING | LAUNCHING
    }
    assert {m: found for m, found in offending.items() if found} == {}


def test_the_simulator_modules_import_each_other_one_way_only():
    graph = simulator_imports()
    local = {m: {i for i in imported if i in graph and i != m} for m, imported in graph.items()}
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        for nxt in sorted(local[module]):
            if nxt in path:
                cycles.append(path[path.index(nxt) :] + [nxt])
            elif len(path) < len(local):
                visit(nxt, [*path, nxt])

    for module in sorted(local):
        visit(module, [module])
    assert cycles == []


def test_the_warehouse_executor_does_not_shadow_a_dagster_executor():
    import dagster as dg

    from pipeline.definitions import defs, warehouse_executor

    builtin = {
        dg.in_process_executor.name,
        dg.multiprocess_executor.name,
        dg.multi_or_in_process_executor.name,
    }
    assert warehouse_executor.name not in builtin
    for job in ("daily_refresh", "motcua_backfill"):
        assert defs.resolve_job_def(job).executor_def is warehouse_executor


def test_dbt_reads_the_warehouse_time_zone_from_the_pipeline():
    """profiles.yml takes the zone from WAREHOUSE_TIMEZONE (set by the pipeline from
    workcal.TIMEZONE); its fallback for a dbt run by hand is the same zone."""
    import re

    from pipeline.workcal import TIMEZONE

    profiles = (REPO / "dbt_project" / "profiles.yml").read_text(encoding="utf-8")
    zones = re.findall(r"[Tt]ime[Zz]one: (.+)", profiles)
    assert len(zones) == 2
    assert set(zones) == {f"\"{{{{ env_var('WAREHOUSE_TIMEZONE', '{TIMEZONE}') }}}}\""}


def test_publication_bounds_duckdb_memory_as_the_dbt_build_does(monkeypatch, tmp_path):
    """The publication copies the marts under the dbt profile's memory limit: the same
    variable, the same default (read from the profile, which the build reads too)."""
    from pipeline.publish import (
        DEFAULT_MEMORY_LIMIT,
        MEMORY_LIMIT_VARIABLE,
        connection_config,
        profile_memory_limit,
    )

    profiles = (REPO / "dbt_project" / "profiles.yml").read_text(encoding="utf-8")
    limit = f"\"{{{{ env_var('{MEMORY_LIMIT_VARIABLE}', '{DEFAULT_MEMORY_LIMIT}') }}}}\""
    assert f"memory_limit: {limit}" in profiles
    assert "preserve_insertion_order: false" in profiles
    monkeypatch.delenv(MEMORY_LIMIT_VARIABLE, raising=False)
    assert connection_config()["memory_limit"] == DEFAULT_MEMORY_LIMIT
    monkeypatch.setenv(MEMORY_LIMIT_VARIABLE, "1234MB")
    assert connection_config()["memory_limit"] == "1234MB"
    # Another default in the profile is another default for the publication.
    edited = tmp_path / "profiles.yml"
    edited.write_text(profiles.replace(f"'{DEFAULT_MEMORY_LIMIT}'", "'2500MB'"), encoding="utf-8")
    assert profile_memory_limit(edited) == (MEMORY_LIMIT_VARIABLE, "2500MB")


def test_dbt_falls_back_to_the_settings_default_history_start():
    """The pipeline passes HISTORY_START to dbt as the var `history_start`; the project's
    fallback (a dbt run by hand) is the settings' default."""
    import re

    from pipeline.config import DEFAULT_HISTORY_START

    project = (REPO / "dbt_project" / "dbt_project.yml").read_text(encoding="utf-8")
    assert re.findall(r"^\s*history_start: \"(.+)\"", project, re.M) == [
        DEFAULT_HISTORY_START.isoformat()
    ]
