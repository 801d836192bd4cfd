"""Issue 16, end to end: two consecutive `daily_refresh` runs against the simulator with the
drift corpus on (simulator/drift.py: drift in every unread field of every dataset, personal
values in every shape, spoiled copies), the second incremental as a second `make refresh`
would be, both succeed; every marts table equals the session's run without the corpus
(`pipeline_run`, the same world); each spoiled copy the simulator served is refused, and the
ones read again by the second run add no row to audit.rejects; the drift is in
audit.source_drift and in a WARN asset check; and a scan of the raw zone, the warehouse (audit
included), the Dagster event log of both runs, the dbt docs and the reports finds none of the
planted personal values, none of the world's and no secret.

The figures of these runs are the block of RELIABILITY.md between the `drift-figures` markers:
the last test renders them from the runs and fails when the file says otherwise
(`RELIABILITY_UPDATE=1` rewrites the block).

Two extra pipeline runs: the "without" side is the session's `pipeline_run`; the corpus is
switched on the session simulator for these runs only."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import httpx
import pytest

from pipeline.pipeline_env import patched_environ
from pipeline.runtime import AS_OF_TAG
from simulator.drift import planted_values
from tests.conftest import AS_OF, TEST_SCALE, failures, pipeline_environment
from tests.connectors.conftest import set_faults
from tests.connectors.test_personal_data_and_secrets import (
    personal_values,
    raw_zone_strings,
    warehouse_strings,
)
from tests.reliability.conftest import fingerprint
from tests.reliability.test_secrets_and_pii import substrings_found

CORPUS_RATE = 0.1
RUNS = 2
SECRET_KEYS = ("MOTCUA_PASSWORD", "DVCQG_PASSWORD", "PII_HASH_KEY")
# Each landing and the simulator's dataset it reads (the corpus counts what it served by it).
SERVED_AS = {
    "motcua_agencies": "agencies",
    "motcua_procedures": "procedures",
    "motcua_dossiers": "dossiers",
    "dvcqg_dossier_copies": "dossier_copies",
    "dvcqg_petitions": "petitions",
    "dvcqg_evaluation": "evaluation",
}
EDGE_REJECT = "(reason like 'invalid%' or reason like 'record does not convert%')"
RELIABILITY = Path(__file__).resolve().parents[1] / "RELIABILITY.md"
FIGURES_BLOCK = re.compile(
    r"(<!-- drift-figures: begin[^\n]*-->\n)(.*?)(<!-- drift-figures: end -->)", re.S
)


@dataclass
class DriftRuns:
    results: list[dg.ExecuteInProcessResult]
    root: Path
    env: dict[str, str]
    event_log: list[str]
    personal: set[str]
    served: list[Counter]  # per run: what the corpus served (simulator/drift.py counters)

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse" / "warehouse.duckdb"

    @property
    def run_ids(self) -> list[str]:
        return [r.run_id for r in self.results]


def _injected(simulator) -> Counter:
    return Counter(httpx.get(simulator.admin("faults"), timeout=30).json()["injected"])


@pytest.fixture(scope="module")
def drift_run(pipeline_run, simulator, tmp_path_factory) -> DriftRuns:
    """The world's personal values (read with the corpus off), then two daily_refresh runs
    with the corpus on, in one instance kept for the event log."""
    root = tmp_path_factory.mktemp("drift-run")
    personal = personal_values(simulator, tmp_path_factory.mktemp("probe"))
    # compared with the session's run: the same hash key, so applicant keys can be equal
    env = pipeline_environment(root, simulator, pipeline_run.env["PII_HASH_KEY"])
    from pipeline.definitions import defs

    results, served = [], []
    set_faults(simulator, {"corpus": CORPUS_RATE})
    try:
        with patched_environ(env), dg.DagsterInstance.ephemeral() as instance:
            job = defs.resolve_job_def("daily_refresh")
            for _ in range(RUNS):
                before = _injected(simulator)
                result = job.execute_in_process(
                    instance=instance, tags={AS_OF_TAG: AS_OF}, raise_on_error=False
                )
                served.append(_injected(simulator) - before)
                results.append(result)
                assert result.success, failures(result)
            event_log = [
                "\n".join(filter(None, (entry.user_message, repr(entry.dagster_event))))
                for result in results
                for entry in instance.all_logs(result.run_id)
            ]
    finally:
        set_faults(simulator, {})
    return DriftRuns(results, root, env, event_log, personal, served)


def _rows(path: Path, sql: str, params=()) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def _load_log(runs: DriftRuns) -> dict[tuple[str, str], tuple[int, int, int]]:
    """(run_id, asset) -> (read, landed, rejected) of every landing of the two runs."""
    rows = _rows(
        runs.warehouse,
        "select run_id, asset, records_read, records_landed, records_rejected from audit.load_log",
    )
    return {(run, asset): tuple(figures) for run, asset, *figures in rows}


def test_both_refreshes_succeed_the_second_incremental(drift_run):
    assert len(drift_run.results) == RUNS and all(r.success for r in drift_run.results)
    log = _load_log(drift_run)
    first, second = drift_run.run_ids
    for asset in ("motcua_dossiers", "dvcqg_dossier_copies"):  # only the overlap read again
        assert 0 < log[(second, asset)][0] < log[(first, asset)][0] / 2, asset
    # the corpus reached every dataset, with spoiled copies; the second run read some again
    first_served, second_served = drift_run.served
    for dataset in SERVED_AS.values():
        assert first_served[f"corpus_drifted/{dataset}"] > 0, dataset
        assert first_served[f"corpus_spoiled/{dataset}"] > 0, dataset
    assert sum(n for name, n in second_served.items() if name.startswith("corpus_spoiled/")) > 0


def test_marts_equal_the_run_without_drift(drift_run, pipeline_run):
    drifted = fingerprint(drift_run.warehouse)
    clean = fingerprint(pipeline_run.warehouse_path)
    assert set(drifted) == set(clean)
    differ = [table for table in clean if drifted[table] != clean[table]]
    assert not differ, f"marts differ with the drift corpus on: {differ}"


def test_every_spoiled_copy_served_is_refused_and_listed_once(drift_run, pipeline_run):
    log = _load_log(drift_run)
    for run_id, served in zip(drift_run.run_ids, drift_run.served, strict=True):
        for asset, dataset in SERVED_AS.items():
            rejected = log[(run_id, asset)][2]
            assert rejected == served[f"corpus_spoiled/{dataset}"], (run_id, asset)
    sql = f"select source, source_key, reason, run_id from audit.rejects where {EDGE_REJECT}"
    clean = _rows(pipeline_run.warehouse_path, sql)
    rejects = _rows(drift_run.warehouse, sql)
    assert not clean
    assert {source for source, *_ in rejects} == {"motcua", "dvcqg"}
    # the second run read spoiled copies again (the dossiers' overlap, the evaluation's open
    # periods, the catalogues' snapshots) and refused them: no second row
    first, second = drift_run.run_ids
    assert sum(log[(second, asset)][2] for asset in SERVED_AS) > 0
    assert Counter(run for *_, run in rejects) == Counter({first: len(rejects)})
    # each spoiled dossier copy is a copy of a record that landed
    known = {k for (k,) in _rows(drift_run.warehouse, "select dossier_id from marts.fct_dossier")}
    assert {key for source, key, *_ in rejects if source == "motcua"} & known


def test_drift_is_published_and_warned(drift_run, pipeline_run):
    drift = _rows(
        drift_run.warehouse, "select run_id, asset, field, kind, is_new from audit.source_drift"
    )
    first, second = drift_run.run_ids
    fields = {(asset, field, kind) for run, asset, field, kind, _ in drift if run == first}
    assert ("dvcqg_dossier_copies", "NoiNopHoSo", "shape_changed") in fields
    assert ("dvcqg_dossier_copies", "LoaiDoiTuong", "shape_changed") in fields
    assert ("motcua_dossiers", "soCCCD", "unknown_key") in fields
    assert ("dvcqg_evaluation", "soCCCD", "unknown_key") in fields
    assert ("dvcqg_evaluation", "departmentName", "shape_changed") in fields
    assert {asset for asset, *_ in fields} >= set(SERVED_AS)
    assert any(kind == "outside_domain" for *_, kind in fields)
    # first seen by the first run; the second shows nothing new
    assert all(is_new == (run == first) for run, *_, is_new in drift)
    assert {(a, f, k) for run, a, f, k, _ in drift if run == second} <= fields
    assert not _rows(pipeline_run.warehouse_path, "select * from audit.source_drift")
    for result in drift_run.results:
        checks = [c for c in result.get_asset_check_evaluations() if c.check_name == "source_drift"]
        warned = {c.asset_key.path[-1] for c in checks if not c.passed}
        assert {"motcua_dossiers", "dvcqg_dossier_copies", "dvcqg_evaluation"} <= warned
        assert all(c.severity == dg.AssetCheckSeverity.WARN for c in checks)
    clean = pipeline_run.result.get_asset_check_evaluations()
    assert clean and all(c.passed for c in clean if c.check_name == "source_drift")


@pytest.fixture(scope="module")
def scan(drift_run) -> dict:
    """Every planted and world personal value and the secrets, searched everywhere."""
    root, env = drift_run.root, drift_run.env
    planted = set(planted_values())
    secrets = {env[k] for k in SECRET_KEYS}
    exact = raw_zone_strings(root / "data" / "raw") | raw_zone_strings(root / "warehouse" / "marts")
    for database in root.rglob("*.duckdb"):
        exact |= warehouse_strings(database)
    texts = {f"event {n}": text for n, text in enumerate(drift_run.event_log)}
    for folder in (root / "reports", root / "warehouse" / "docs", root / "data" / "state"):
        for path in folder.rglob("*"):
            if path.is_file() and path.suffix in (".html", ".json", ".txt", ".csv", ".md", ""):
                texts[str(path)] = path.read_text(encoding="utf-8", errors="replace")
    assert any("docs" in where for where in texts) and any(".html" in w for w in texts)
    assert len(texts) > 50 and len(exact) > 10_000
    searched = planted | drift_run.personal | secrets
    found = (drift_run.personal & exact) | {
        v for v in planted | secrets for text in exact if v in text
    }
    found |= {v for v, _ in substrings_found(searched, texts)}
    return {
        "planted": len(planted),
        "world": len(drift_run.personal - planted),
        "secrets": len(secrets),
        "found": sorted(found),
    }


def test_no_personal_value_nor_secret_anywhere(scan):
    assert not scan["found"], scan["found"][:10]


def _n(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def render_figures(drift_run: DriftRuns, scan: dict) -> str:
    """The RELIABILITY.md block of these runs (markdown)."""
    log = _load_log(drift_run)
    lines = [
        "| landing | run | records drifted | spoiled | read | landed | rejected |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    totals = [[0] * 5 for _ in range(RUNS)]
    for asset, dataset in SERVED_AS.items():
        for number, (run_id, served) in enumerate(
            zip(drift_run.run_ids, drift_run.served, strict=True), 1
        ):
            values = (
                served[f"corpus_drifted/{dataset}"],
                served[f"corpus_spoiled/{dataset}"],
                *log[(run_id, asset)],
            )
            totals[number - 1] = [t + v for t, v in zip(totals[number - 1], values, strict=True)]
            lines.append(f"| `{asset}` | {number} | " + " | ".join(map(_n, values)) + " |")
    for number, values in enumerate(totals, 1):
        lines.append(
            f"| **the six datasets** | {number} | "
            + " | ".join(f"**{_n(v)}**" for v in values)
            + " |"
        )
    first, second = drift_run.run_ids
    drift = _rows(
        drift_run.warehouse,
        "select kind, count(*), sum(records) from audit.source_drift where run_id = ? "
        "group by kind order by kind",
        [first],
    )
    listed = _rows(
        drift_run.warehouse,
        f"select run_id, count(*) from audit.rejects where {EDGE_REJECT} group by run_id",
    )
    listed = dict(listed)
    searched = scan["planted"] + scan["world"]
    lines += [
        "",
        f"- `audit.source_drift`, first run: {sum(n for _, n, _ in drift)} (asset, field, kind) "
        "rows — "
        + ", ".join(
            f"{_n(records)} (record, {kind.replace('_', ' ')})" for kind, _, records in drift
        )
        + "; the second run's are all known (`is_new` false).",
        f"- `audit.rejects` lists {_n(listed.get(first, 0))} refused records of the first run and "
        f"**{listed.get(second, 0)}** of the second, which refused "
        f"{_n(totals[1][4])} spoiled copies read again.",
        f"- **Personal values searched: {_n(searched)}** ({scan['planted']} planted by the "
        f"corpus, {_n(scan['world'])} of the world) and the {len(SECRET_KEYS)} secrets "
        f"({scan['secrets']} distinct values): "
        f"**found {len(scan['found'])}**.",
    ]
    return "\n".join(lines) + "\n"


def test_reliability_states_the_figures_of_these_runs(drift_run, scan):
    """RELIABILITY.md's drift figures are these runs' (rendered here, never typed)."""
    figures = render_figures(drift_run, scan)
    print(f"\ndrift figures (world scale {TEST_SCALE}, corpus {CORPUS_RATE}):\n{figures}")
    text = RELIABILITY.read_text(encoding="utf-8")
    block = FIGURES_BLOCK.search(text)
    assert block, "RELIABILITY.md has no drift-figures block"
    if os.environ.get("RELIABILITY_UPDATE") == "1":
        text = text[: block.start(2)] + figures + text[block.end(2) :]
        RELIABILITY.write_text(text, encoding="utf-8")
    else:
        assert block.group(2) == figures, (
            "RELIABILITY.md's drift figures are not those of this run: rerun with "
            "RELIABILITY_UPDATE=1 to write them\n" + json.dumps(figures)
        )
