"""Issue 16, end to end: a `daily_refresh` run against the simulator with the drift corpus on
(simulator/drift.py: drift in every unread field, personal values in every shape,
spoiled copies) succeeds; every marts table equals the session's run without the corpus
(`pipeline_run`, the same world); the spoiled copies are in audit.rejects, the drift in
audit.source_drift and in a WARN asset check; and a scan of the raw zone, the warehouse (audit
included), the Dagster event log, the dbt docs and the reports finds none of the planted
personal values, none of the world's and no secret.

One extra pipeline run: the "without" side is the session's `pipeline_run`; the corpus is
switched on the session simulator for this run only."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipeline.pipeline_env import patched_environ
from pipeline.runtime import AS_OF_TAG
from simulator.drift import planted_values
from tests.conftest import AS_OF, failures, pipeline_environment
from tests.connectors.conftest import set_faults
from tests.connectors.test_personal_data_and_secrets import (
    personal_values,
    raw_zone_strings,
    warehouse_strings,
)
from tests.reliability.conftest import fingerprint
from tests.reliability.test_secrets_and_pii import substrings_found

CORPUS_RATE = 0.1
SECRET_KEYS = ("MOTCUA_PASSWORD", "DVCQG_PASSWORD", "PII_HASH_KEY")


@pytest.fixture(scope="module")
def drift_run(pipeline_run, simulator, tmp_path_factory):
    """The world's personal values (read with the corpus off), then one daily_refresh with
    the corpus on, its instance kept for the event log."""
    root = tmp_path_factory.mktemp("drift-run")
    personal = personal_values(simulator, tmp_path_factory.mktemp("probe"))
    # compared with the session's run: the same hash key, so applicant keys can be equal
    env = pipeline_environment(root, simulator, pipeline_run.env["PII_HASH_KEY"])
    from pipeline.definitions import defs

    set_faults(simulator, {"corpus": CORPUS_RATE})
    try:
        with patched_environ(env), dg.DagsterInstance.ephemeral() as instance:
            result = defs.resolve_job_def("daily_refresh").execute_in_process(
                instance=instance, tags={AS_OF_TAG: AS_OF}, raise_on_error=False
            )
            event_log = [
                "\n".join(filter(None, (entry.user_message, repr(entry.dagster_event))))
                for entry in instance.all_logs(result.run_id)
            ]
    finally:
        set_faults(simulator, {})
    assert result.success, failures(result)
    return result, root, env, event_log, personal


def _rows(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_marts_equal_the_run_without_drift(drift_run, pipeline_run):
    _, root, *_ = drift_run
    drifted = fingerprint(root / "warehouse" / "warehouse.duckdb")
    clean = fingerprint(pipeline_run.warehouse_path)
    assert set(drifted) == set(clean)
    differ = [table for table in clean if drifted[table] != clean[table]]
    assert not differ, f"marts differ with the drift corpus on: {differ}"


def test_spoiled_copies_are_in_audit_rejects(drift_run, pipeline_run):
    _, root, *_ = drift_run
    warehouse = root / "warehouse" / "warehouse.duckdb"
    sql = "select source, source_key, reason from audit.rejects"
    before = set(_rows(pipeline_run.warehouse_path, sql))
    new = set(_rows(warehouse, sql)) - before
    assert {source for source, *_ in new} == {"motcua", "dvcqg"}
    assert all(reason.startswith(("invalid", "record does not convert")) for *_, reason in new)
    # each spoiled copy is a copy of a record that landed (the key of a known dossier or
    # national copy, or no key at all when the whole record was double-encoded JSON)
    known = {k for (k,) in _rows(warehouse, "select dossier_id from marts.fct_dossier")}
    known |= {
        k
        for (k,) in _rows(
            warehouse, "select national_code from marts.fct_dossier where national_code is not null"
        )
    }
    keys = {key for source, key, _ in new if source == "motcua" and key in known}
    assert keys, "no spoiled dossier copy in audit.rejects"


def test_drift_is_published_and_warned(drift_run, pipeline_run):
    result, root, *_ = drift_run
    warehouse = root / "warehouse" / "warehouse.duckdb"
    drift = _rows(warehouse, "select asset, field, kind, records, is_new from audit.source_drift")
    fields = {(asset, field, kind) for asset, field, kind, _, _ in drift}
    assert ("dvcqg_dossier_copies", "NoiNopHoSo", "shape_changed") in fields
    assert ("dvcqg_dossier_copies", "LoaiDoiTuong", "shape_changed") in fields
    assert ("motcua_dossiers", "soCCCD", "unknown_key") in fields
    assert any(kind == "outside_domain" for *_, kind in fields)
    assert all(is_new for *_, is_new in drift)
    assert not _rows(pipeline_run.warehouse_path, "select * from audit.source_drift")
    checks = [c for c in result.get_asset_check_evaluations() if c.check_name == "source_drift"]
    warned = {c.asset_key.path[-1] for c in checks if not c.passed}
    assert {"motcua_dossiers", "dvcqg_dossier_copies", "dvcqg_petitions"} <= warned
    assert all(c.severity == dg.AssetCheckSeverity.WARN for c in checks)
    clean = pipeline_run.result.get_asset_check_evaluations()
    assert clean and all(c.passed for c in clean if c.check_name == "source_drift")
    figures = {
        "drift_rows": len(drift),
        "records_by_kind": {
            kind: sum(r for _, _, k, r, _ in drift if k == kind)
            for kind in ("unknown_key", "shape_changed", "outside_domain")
        },
        # per landing: read, landed, rejected; records drifted (every drifted record carries
        # one of the corpus's new keys) and spoiled (a read field outside its domain)
        "by_asset": _rows(
            warehouse,
            "select l.asset, l.records_read, l.records_landed, l.records_rejected, "
            "coalesce(max(d.records) filter (where d.field in "
            "('soCCCD', 'maDinhDanhMoi', 'canCuPhapLy')), 0), "
            "coalesce(sum(d.records) filter (where d.kind = 'outside_domain'), 0) "
            "from audit.load_log l left join audit.source_drift d using (run_id, asset) "
            "group by all order by 1",
        ),
        "rejects_published": _rows(
            warehouse, "select count(*) from audit.rejects where reason not like 'unknown %'"
        )[0][0],
    }
    print("\ndrift figures:", json.dumps(figures, default=str))


def test_no_personal_value_nor_secret_anywhere(drift_run):
    _, root, env, event_log, personal = drift_run
    planted = set(planted_values())
    secrets = {env[k] for k in SECRET_KEYS}
    exact = raw_zone_strings(root / "data" / "raw") | raw_zone_strings(root / "warehouse" / "marts")
    for database in root.rglob("*.duckdb"):
        exact |= warehouse_strings(database)
    texts = {f"event {n}": text for n, text in enumerate(event_log)}
    for folder in (root / "reports", root / "warehouse" / "docs", root / "data" / "state"):
        for path in folder.rglob("*"):
            if path.is_file() and path.suffix in (".html", ".json", ".txt", ".csv", ".md", ""):
                texts[str(path)] = path.read_text(encoding="utf-8", errors="replace")
    assert any("docs" in where for where in texts) and any(".html" in w for w in texts)
    assert len(texts) > 50 and len(exact) > 10_000
    searched = planted | personal | secrets
    found = (personal & exact) | {v for v in planted | secrets for text in exact if v in text}
    found |= {v for v, _ in substrings_found(searched, texts)}
    print(f"\npersonal values searched: {len(planted | personal)}; found: {len(found)}")
    assert not found, sorted(found)[:10]
