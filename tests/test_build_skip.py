"""Which dbt nodes an incremental build leaves out, for which change (pipeline/build_skip.py),
as small tables over a hand-made manifest shaped like the project's, plus what the decision
and its record read of the real project. No dbt run: the file runs in about a second."""

from __future__ import annotations

import json

import pytest

from pipeline.build_skip import RUN_INPUT_MACROS, plan_skips, relation_changes
from pipeline.build_state import TRACKED, Changes, changes_since
from pipeline.project import DBT_PROJECT_DIR

P = "motcua_warehouse"


def macro(name: str, *calls: str) -> tuple[str, dict]:
    return f"macro.{P}.{name}", {"depends_on": {"macros": [f"macro.{P}.{c}" for c in calls]}}


def node(kind: str, name: str, *, up=(), macros=(), materialized="table") -> tuple[str, dict]:
    return f"{kind}.{P}.{name}", {
        "resource_type": kind,
        "name": name,
        "config": {"materialized": materialized},
        "depends_on": {
            "nodes": list(up),
            "macros": [f"macro.{P}.{m}" for m in macros],
        },
    }


def source(name: str, identifier: str) -> tuple[str, dict]:
    return f"source.{P}.raw.{name}", {"resource_type": "source", "identifier": identifier}


SOURCES = dict(
    [
        source("dossiers", "motcua/dossiers"),
        source("agencies", "motcua/agencies"),
        source("evaluation", "dvcqg/evaluation"),
        source("load_log", "audit/load_log"),
    ]
)
D, A, E, L = (f"source.{P}.raw.{n}" for n in ("dossiers", "agencies", "evaluation", "load_log"))
M = f"model.{P}."
NODES = dict(
    [
        node("seed", "bands"),
        node("model", "stg_motcua__agencies", up=[A]),  # a reference view: rows fingerprinted
        node("model", "dim_unit", up=[M + "stg_motcua__agencies", f"seed.{P}.bands"]),
        node("model", "int_periods", macros=["as_of"]),
        node("model", "changed", up=[D], macros=["new_runs"]),  # a refresh set
        node(
            "model",
            "stg_dossiers",
            up=[D, M + "changed"],
            macros=["only_changed"],
            materialized="incremental",
        ),
        node(
            "model",
            "events",
            up=[M + "stg_dossiers", M + "changed"],
            macros=["only_changed"],
            materialized="incremental",
        ),
        node(
            "model",
            "fct_dossier",
            up=[M + "events", M + "int_periods", M + "changed"],
            materialized="incremental",
            macros=["only_changed"],
        ),
        node("model", "official", up=[E, M + "dim_unit"]),
        node("model", "watchlist", up=[M + "fct_dossier"], macros=["watch_working_days"]),
        node("model", "load_log", up=[L]),
        node("test", "unique_dim_unit", up=[M + "dim_unit"], macros=["test_unique"]),
        node("test", "unique_events", up=[M + "events"], macros=["test_unique"]),
        node("test", "fct_reconciles", up=[M + "fct_dossier", D]),
        node("test", "official_in_units", up=[M + "official", M + "dim_unit"]),
    ]
)
MACROS = dict(
    [
        macro("run_as_of"),
        macro("as_of", "run_as_of"),
        macro("new_runs"),
        macro("only_changed", "recomputes_subset"),
        macro("recomputes_subset", "incremental_build"),
        macro("incremental_build"),
        macro("watch_working_days"),
        macro("test_unique"),
    ]
)
MANIFEST = {"nodes": NODES, "sources": SOURCES, "macros": MACROS}
EVERYTHING = {NODES[u]["name"] for u in NODES}
REFERENCE = {"bands", "stg_motcua__agencies", "dim_unit", "unique_dim_unit"}


def change(clock=False, datasets=(), tests_code=False, run_settings=False) -> Changes:
    return Changes(clock, frozenset(datasets), tests_code, run_settings)


@pytest.mark.parametrize(
    ("changes", "always_run", "skipped"),
    [
        # Nothing changed: everything is left as it is.
        (change(), (), EVERYTHING),
        # A new agencies snapshot with the same rows (else the build is full): nothing runs.
        (change(datasets=["motcua/agencies"]), (), EVERYTHING),
        # Time passed only: what reads the clock runs, with its refresh set and its readers.
        (
            change(clock=True),
            (),
            REFERENCE
            | {
                "stg_dossiers",
                "events",
                "unique_events",
                "official",
                "official_in_units",
                "load_log",
            },
        ),
        # New dossiers, same AS_OF.
        (
            change(datasets=["motcua/dossiers"]),
            (),
            REFERENCE | {"int_periods", "official", "official_in_units", "load_log"},
        ),
        # A new evaluation: only what reads it, and its test.
        (change(datasets=["dvcqg/evaluation"]), (), EVERYTHING - {"official", "official_in_units"}),
        # A landing's load-log line.
        (change(datasets=["audit/load_log"]), (), EVERYTHING - {"load_log"}),
        # The watchlist's horizon changed.
        (change(run_settings=True), (), EVERYTHING - {"watchlist"}),
        # The tests' code changed: every data test runs, no model.
        (
            change(tests_code=True),
            (),
            EVERYTHING
            - {"unique_dim_unit", "unique_events", "fct_reconciles", "official_in_units"},
        ),
        # What the publication waits for runs, with its refresh set and its tests, and nothing
        # downstream of it (its rows are the same).
        (change(), ("fct_dossier",), EVERYTHING - {"fct_dossier", "changed", "fct_reconciles"}),
    ],
)
def test_skipped_nodes(changes, always_run, skipped):
    plan = plan_skips(MANIFEST, changes, always_run)
    assert {plan.names[u] for u in plan.skipped} == skipped
    excluded = plan.exclude_args()
    assert excluded == (["--exclude", " ".join(sorted(skipped))] if skipped else [])


def test_the_operator_reads_one_line_per_reason():
    plan = plan_skips(MANIFEST, change(datasets=["dvcqg/evaluation"]), ("fct_dossier",))
    assert plan.summary() == [
        "skipped 1 seeds: the dbt project's code and seeds are those of the last complete build",
        "skipped 7 models: no input changed (upstream models, raw data, AS_OF)",
        "skipped 2 data tests: every node they test was skipped and their code is unchanged",
        "ran 1 nodes: a node they test runs",
        "ran 2 nodes: new raw data in dvcqg/evaluation",
        "ran 1 nodes: publication waits for them",
        "ran 1 nodes: they hold the refresh set of a model that runs",
    ]
    assert plan.counts() == {"seed": 1, "model": 7, "test": 2}


PREVIOUS = {
    "as_of": "2026-12-01T08:00:00+07:00",
    "runs": {d: ["r1"] for d in TRACKED},
    "files": {"dvcqg/evaluation": "e1", "audit/load_log": "l1"},
    "tests": "t1",
    "run_settings": {"WATCH_WORKING_DAYS": ""},
}


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        ({}, change()),
        ({"as_of": "2026-12-02T08:00:00+07:00"}, change(clock=True)),
        (
            {"runs": {**PREVIOUS["runs"], "dvcqg/petitions": ["r1", "r2"]}},
            change(datasets=["dvcqg/petitions"]),
        ),
        (
            {"files": {"dvcqg/evaluation": "e2", "audit/load_log": "l1", "audit/drift": "d1"}},
            change(datasets=["dvcqg/evaluation", "audit/drift"]),
        ),
        ({"tests": "t2"}, change(tests_code=True)),
        ({"run_settings": {"WATCH_WORKING_DAYS": "3"}}, change(run_settings=True)),
    ],
)
def test_what_changed_since_the_last_complete_build(current, expected):
    assert changes_since(PREVIOUS, {**PREVIOUS, **current}) == expected


def test_a_record_without_the_files_counts_every_other_dataset_as_changed():
    old = {k: v for k, v in PREVIOUS.items() if k not in ("files", "tests", "run_settings")}
    got = changes_since(old, PREVIOUS)
    assert got.datasets == {"dvcqg/evaluation", "audit/load_log"}
    assert got.tests_code and got.run_settings


def test_every_macro_reading_the_environment_is_an_input_of_the_decision():
    """A macro of the project reading an environment variable while a node runs is an input
    the decision must know (else a node reading it would be skipped when it changed)."""
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    readers = {
        m["name"]
        for unique_id, m in manifest["macros"].items()
        if unique_id.startswith(f"macro.{P}.") and "env_var(" in m["macro_sql"]
    }
    assert readers == set(RUN_INPUT_MACROS)


def test_a_daily_build_says_which_relations_it_may_have_changed_and_how():
    """What the publication reads of a daily build (pipeline/publish.py): on the real project,
    the dossier marts kept by dossier changed only in the rows of the recomputed dossiers; a
    table the build left out did not change; a view over a model that ran did; a full build
    may have changed any relation, whole."""
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    plan = plan_skips(manifest, change(clock=True, datasets=["motcua/dossiers"]), ("fct_dossier",))
    ran = [u for u in manifest["nodes"] if u not in plan.skipped]
    changes = relation_changes(manifest, ran)
    by_dossier = {"column": "dossier_id", "keys": "intermediate.int_dossiers__to_refresh"}
    assert changes["marts.fct_dossier_indicator"] == by_dossier
    assert changes["marts.fct_dossier"] is None and changes["marts.fct_indicator"] is None
    assert "marts.dim_unit" not in changes and "marts.dim_indicator" not in changes
    # A kept model whose post-hook moves kept rows (refresh_evaluated_at) changed whole.
    assert changes["intermediate.int_dossiers__classified_by_period"] is None
    everything = relation_changes(manifest, None)
    assert everything["marts.fct_dossier_indicator"] is None
    assert {"marts.dim_unit", "audit.load_log"} <= everything.keys()
    assert set(everything.values()) == {None}
