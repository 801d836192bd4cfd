"""Which dbt nodes an incremental build may leave as they are, and why.

A full build runs every node. An incremental build (pipeline/build_state.py) runs on a build
file made by a complete build of the very same code, seeds and settings, with the same
reference data; what may differ since is `build_state.Changes`: the AS_OF (the clock), the raw
datasets with new files, the data tests' own code (dbt_project/tests is not in the build's
code hash), a setting read while a node runs. A node none of whose inputs changed would write
what its table already holds, so it is left out of the build (`dbt build --exclude`):

- a seed: the seeds are in the code hash, unchanged in every incremental build;
- a model whose upstream nodes are all unchanged and whose SQL reads no run input that moved:
  the clock (`run_as_of`, hence `as_of`) or a setting (`watch_working_days`). The staging views
  of the reference data are unchanged whatever their raw files: the build record's fingerprint
  of their rows proves it (else the build is full);
- a data test whose tested nodes all are skipped, when the tests' code is unchanged.

The incremental delta (`new_runs`, `previous_as_of`) is not an input of a table: an incremental
model's rows are those of a full build at the same AS_OF (tests/test_incremental_build.py). A
model reading the delta that is not incremental holds the refresh set of the models reading it
and runs whenever one of them runs. The nodes named in `always_run` (the assets the publication
waits for in Dagster) always run; a node run with unchanged inputs changes nothing downstream.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from pipeline.build_state import REFERENCE_VIEWS, Changes

PACKAGE = "motcua_warehouse"
# The project's macros that read the environment while a node executes, by what they read.
CLOCK, DELTA, SETTING, BUILD_SETTINGS = "clock", "delta", "setting", "build settings"
RUN_INPUT_MACROS = {
    "run_as_of": CLOCK,  # DBT_AS_OF
    "new_runs": DELTA,  # DBT_NEW_RUNS
    "previous_as_of": DELTA,  # DBT_PREVIOUS_AS_OF
    "incremental_build": DELTA,  # DBT_PREVIOUS_AS_OF
    "watch_working_days": SETTING,  # WATCH_WORKING_DAYS (build_state.RUN_SETTINGS)
    "spark__raw_source_relation": BUILD_SETTINGS,  # RAW_DIR: a change makes the build full
}

SKIP_REASONS = {
    "seed": "seeds: the dbt project's code and seeds are those of the last complete build",
    "model": "models: no input changed (upstream models, raw data, AS_OF)",
    "test": "data tests: every node they test was skipped and their code is unchanged",
}


@dataclass
class SkipPlan:
    skipped: dict[str, str] = field(default_factory=dict)  # unique_id -> resource type
    ran: Counter = field(default_factory=Counter)  # why the others run, by reason
    names: dict[str, str] = field(default_factory=dict)  # unique_id -> dbt name

    def exclude_args(self) -> list[str]:
        """dbt's `--exclude`, its names in one argument (as dagster-dbt reads it)."""
        names = " ".join(sorted(self.names[u] for u in self.skipped))
        return ["--exclude", names] if names else []

    def summary(self) -> list[str]:
        """One line per reason: what was skipped, then why the rest runs."""
        counts = Counter(self.skipped.values())
        lines = [
            f"skipped {counts[kind]} {SKIP_REASONS[kind]}" for kind in SKIP_REASONS if counts[kind]
        ]
        lines += [f"ran {count} nodes: {reason}" for reason, count in sorted(self.ran.items())]
        return lines

    def counts(self) -> dict[str, int]:
        return dict(Counter(self.skipped.values()))


def macro_inputs(manifest: Mapping) -> dict[str, set[str]]:
    """For every macro, the run inputs it reads itself or through the macros it calls."""
    macros = manifest["macros"]
    memo: dict[str, set[str]] = {}

    def inputs(unique_id: str, seen: frozenset[str] = frozenset()) -> set[str]:
        if unique_id in memo:
            return memo[unique_id]
        found = set()
        name = unique_id.rsplit(".", 1)[-1]
        if unique_id.startswith(f"macro.{PACKAGE}.") and name in RUN_INPUT_MACROS:
            found.add(RUN_INPUT_MACROS[name])
        for called in macros.get(unique_id, {}).get("depends_on", {}).get("macros", []):
            if called not in seen:
                found |= inputs(called, seen | {unique_id})
        memo[unique_id] = found
        return found

    return {unique_id: inputs(unique_id) for unique_id in macros}


def plan_skips(manifest: Mapping, changes: Changes, always_run: Collection[str] = ()) -> SkipPlan:
    """The nodes of `manifest` an incremental build need not run, given `changes`."""
    nodes = {
        u: n
        for u, n in manifest["nodes"].items()
        if n["resource_type"] in ("model", "seed", "snapshot", "test")
    }
    sources = manifest.get("sources", {})
    # A test of a disabled model depends on no node: dbt does not build it, it is not named.
    nodes = {
        u: n
        for u, n in nodes.items()
        if n["resource_type"] != "test" or n["depends_on"].get("nodes")
    }
    by_macro = macro_inputs(manifest)
    moved = {CLOCK} if changes.clock else set()
    moved |= {SETTING} if changes.run_settings else set()

    def own_inputs(node: Mapping) -> set[str]:
        found: set[str] = set()
        for macro in node.get("depends_on", {}).get("macros", []):
            found |= by_macro.get(macro, set())
        return found

    def upstream(node: Mapping) -> list[str]:
        return [
            u for u in node.get("depends_on", {}).get("nodes", []) if u in nodes or u in sources
        ]

    # Why each node's rows may differ from those in the build file ("" = they do not).
    changed: dict[str, str] = {}

    def change(unique_id: str) -> str:
        if unique_id in changed:
            return changed[unique_id]
        if unique_id in sources:
            identifier = sources[unique_id].get("identifier", "")
            why = f"new raw data in {identifier}" if identifier in changes.datasets else ""
        elif nodes[unique_id]["resource_type"] == "seed":
            why = ""
        else:
            node = nodes[unique_id]
            inputs = own_inputs(node) & moved
            why = ""
            if node["resource_type"] == "test" and changes.tests_code:
                why = "the data tests' code changed"
            elif CLOCK in inputs:
                why = "the AS_OF moved"
            elif SETTING in inputs:
                why = "a setting they read changed"
            elif node["name"] not in REFERENCE_VIEWS:
                above = [change(u) for u in upstream(node)]
                raw = sorted(r for r in above if r.startswith("new raw data"))
                why = raw[0] if raw else ("an upstream node changed" if any(above) else "")
        changed[unique_id] = why
        return why

    runs = {u: change(u) for u in nodes}
    for unique_id, node in nodes.items():
        if not runs[unique_id] and node["name"] in always_run:
            runs[unique_id] = "publication waits for them"
    # A table holding the refresh set (not a table of the warehouse: what an incremental model
    # recomputes) runs whenever a model reading it runs; iterate, as one may read another.
    readers: dict[str, list[str]] = {}
    for unique_id, node in nodes.items():
        for up in upstream(node) if node["resource_type"] != "test" else []:
            readers.setdefault(up, []).append(unique_id)
    refresh_sets = [
        u
        for u, n in nodes.items()
        if DELTA in own_inputs(n) and n.get("config", {}).get("materialized") != "incremental"
    ]
    pending = True
    while pending:
        pending = False
        for unique_id in refresh_sets:
            if not runs[unique_id] and any(runs[r] for r in readers.get(unique_id, [])):
                runs[unique_id] = "they hold the refresh set of a model that runs"
                pending = True
    # The data tests of every table written again, even with the same rows.
    for unique_id, node in nodes.items():
        tested = upstream(node)
        if node["resource_type"] == "test" and not runs[unique_id] and any(map(runs.get, tested)):
            runs[unique_id] = "a node they test runs"
    plan = SkipPlan(names={u: n["name"] for u, n in nodes.items()})
    for unique_id, node in nodes.items():
        if runs[unique_id]:
            plan.ran[runs[unique_id]] += 1
        else:
            kind = node["resource_type"]
            plan.skipped[unique_id] = "model" if kind == "snapshot" else kind
    return plan


def relation_changes(
    manifest: Mapping, ran: Collection[str] | None
) -> dict[str, dict[str, str] | None]:
    """The relations (`schema.name`) whose rows a build that ran the nodes `ran` (unique
    ids; None: every node, a full build) may have changed since the build file it started from,
    each with how: None for any row, or {"column", "keys"} when only the rows whose `column`
    is in the table `keys` (`schema.name`, written by this build) may differ — a model kept by
    dossier (`kept_by_dossier`, which names its key model in the node's `meta`) without a
    post-hook, whose key model ran, deletes those rows
    and appends them recomputed, and leaves every other row as it was. A table that did not
    run holds what it held; a view shows what the relations it reads hold now, the raw
    sources' rows included (any of which may have changed)."""
    nodes = {
        u: n
        for u, n in manifest["nodes"].items()
        if n["resource_type"] in ("model", "seed", "snapshot")
    }
    if ran is None:  # a full refresh writes every table whole
        return {f"{n['schema']}.{n.get('alias') or n['name']}": None for n in nodes.values()}
    ran = set(ran)
    memo: dict[str, bool] = {}

    def changed(unique_id: str) -> bool:
        if unique_id not in memo:
            node = nodes.get(unique_id)
            if node is None or unique_id in ran:  # a source (raw files) or a node that ran
                memo[unique_id] = True
            elif node.get("config", {}).get("materialized") in ("view", "ephemeral"):
                memo[unique_id] = False  # a cycle is impossible in dbt's graph
                parents = node.get("depends_on", {}).get("nodes", [])
                memo[unique_id] = any(changed(p) for p in parents)
            else:
                memo[unique_id] = False
        return memo[unique_id]

    by_name = {(n["package_name"], n["name"]): u for u, n in nodes.items()}
    found: dict[str, dict[str, str] | None] = {}
    for unique_id, node in nodes.items():
        if not changed(unique_id):
            continue
        relation = f"{node['schema']}.{node.get('alias') or node['name']}"
        found[relation] = None
        config = node.get("config", {})
        # Set by macros/incremental.sql `kept_by_dossier`: the model its pre-hook keys on.
        key_model = config.get("meta", {}).get("kept_by_dossier")
        if not key_model or config.get("materialized") != "incremental" or config.get("post-hook"):
            continue
        key_id = by_name.get((node["package_name"], key_model), "")
        key = nodes.get(key_id)
        if key is None or key_id not in ran or key["config"].get("materialized") != "table":
            continue
        found[relation] = {
            "column": "dossier_id",
            "keys": f"{key['schema']}.{key.get('alias') or key['name']}",
        }
    return found
