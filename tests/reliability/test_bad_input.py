"""Bad input (issue 9): a corpus of malformed one-stop records (tests/reliability/corpus.py)
served by the dossier crawl of a real `daily_refresh` run, among the simulator's records
(which are themselves 1 % malformed). The run never crashes; every bad record is in
`audit.rejects` with its reason, or lands cleaned by rule; none reaches the marts unflagged;
the marts of the good dossiers are exactly the reference's.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tests.connectors.conftest import AS_OF as CONNECTOR_AS_OF
from tests.connectors.conftest import make_env
from tests.connectors.test_personal_data_and_secrets import raw_zone_strings, warehouse_strings
from tests.reliability import corpus as bad
from tests.reliability.conftest import Workspace, failure_text


@pytest.fixture(scope="module")
def bad_run(rel_sim, reference, tmp_path_factory, figures):
    ws = Workspace(tmp_path_factory.mktemp("bad-input"), rel_sim)
    reference.copy_published(ws)
    probe = make_env(rel_sim, ws.root / "probe")
    with probe.motcua_client() as client:
        template = bad.pick_template(
            client.dossiers_updated(CONNECTOR_AS_OF.replace(year=2024, month=1, day=1))
        )
    path = ws.root / "corpus.json"
    path.write_text(json.dumps(bad.corpus(template)))  # lone surrogates travel as \\u escapes
    result = ws.run("bad-input", assets="core", corpus=path)
    figures.run("bad input corpus", survived=result["success"])
    return ws, result


def published(ws: Workspace, sql: str) -> list[tuple]:
    with duckdb.connect(str(ws.warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_the_run_never_crashes(bad_run):
    _, result = bad_run
    assert result["success"], failure_text(result)


def test_rejected_records_are_in_audit_rejects_with_their_reason_and_not_in_the_marts(
    bad_run, figures
):
    ws, _ = bad_run
    rejects = {
        key: reason
        for key, reason in published(
            ws,
            "select source_key, reason from audit.rejects "
            f"where source = 'motcua' and source_key like '{bad.PREFIX}%'",
        )
    }
    in_marts = {
        r[0]
        for r in published(
            ws, f"select dossier_id from marts.fct_dossier where dossier_id like '{bad.PREFIX}%'"
        )
    }
    for case in bad.CASES:
        if case.outcome != "rejected":
            continue
        # (an oversize id is kept as its first 128 characters)
        keys = [k for k in rejects if k == case.source_key() or k.startswith(case.source_key())]
        assert len(keys) == 1, f"{case.name} is not in audit.rejects"
        reason = rejects[keys[0]]
        assert case.reason in reason, (case.name, reason)
        assert not any(d.startswith(case.source_key()) for d in in_marts), case.name
        figures.bad_input[case.name] = f"rejected: {reason[:120]}"


def test_cleaned_records_land_without_any_of_their_bad_text(bad_run, figures):
    ws, _ = bad_run
    in_marts = {r[0] for r in published(ws, "select dossier_id from marts.fct_dossier")}
    for case in bad.CASES:
        if case.outcome == "cleaned":
            assert case.source_key() in in_marts, f"{case.name} was dropped instead of cleaned"
            figures.bad_input[case.name] = "cleaned: free text reduced to its length, personal "
            "data hashed or dropped, personal-looking unknown fields redacted"
    stored = raw_zone_strings(ws.data_dir / "raw") | warehouse_strings(ws.warehouse_path)
    for path in ws.reports_dir.rglob("*"):
        if path.is_file() and path.suffix == ".html":
            stored.add(path.read_text(encoding="utf-8"))
    leaked = {m for m in bad.MARKERS for text in stored if m in text}
    figures.leaks += len(leaked)
    assert not leaked


def test_a_code_with_markup_is_kept_as_data_and_escaped_in_the_report(bad_run, figures):
    ws, _ = bad_run
    code = f"{bad.PREFIX}{bad.HTML_CODE}"
    assert (
        published(
            ws,
            "select count(*) from marts.fct_dossier where dossier_code = ?".replace(
                "?", "'" + code.replace("'", "''") + "'"
            ),
        )[0][0]
        == 1
    )
    html = [p.read_text(encoding="utf-8") for p in Path(ws.reports_dir).rglob("*.html")]
    assert html and not any(bad.HTML_CODE in text for text in html)
    figures.bad_input["html-in-code"] = "kept verbatim as data; escaped in the HTML report"


def test_the_good_dossiers_are_exactly_the_references(bad_run, reference):
    ws, _ = bad_run
    query = (
        "select md5(string_agg(md5(cast(t as varchar)), '' order by md5(cast(t as varchar)))), "
        f"count(*) from marts.fct_dossier t where dossier_id not like '{bad.PREFIX}%'"
    )
    with duckdb.connect(str(reference.workspace.warehouse_path), read_only=True) as con:
        expected = con.execute(query).fetchone()
    assert published(ws, query)[0] == expected


def test_dossiers_of_an_unknown_unit_or_procedure_are_kept_and_counted(bad_run):
    """Nothing vanishes silently (issue 16): such dossiers are out of the marts but kept in
    audit.unattributed_dossiers with what is missing, and every landed dossier is in exactly
    one of fct_dossier and that table (the reconciliation test of the build says so too)."""
    ws, _ = bad_run
    kept = dict(
        published(
            ws,
            "select dossier_id, missing from audit.unattributed_dossiers "
            f"where dossier_id like '{bad.PREFIX}%'",
        )
    )
    cases = {case.name: case.source_key() for case in bad.CASES}
    assert kept == {
        cases["unknown-agency"]: "UNKNOWN_UNIT",
        cases["unknown-procedure"]: "UNKNOWN_PROCEDURE",
    }
    pattern = str(ws.data_dir / "raw" / "motcua" / "dossiers" / "**" / "*.parquet")
    with duckdb.connect() as con:
        rows = con.execute(f"select distinct id from read_parquet('{pattern}')").fetchall()
    landed = {r[0] for r in rows}
    published_ids = [
        r[0]
        for r in published(
            ws,
            "select dossier_id from marts.fct_dossier "
            "union all select dossier_id from audit.unattributed_dossiers",
        )
    ]
    assert len(published_ids) == len(set(published_ids))
    assert set(published_ids) == landed
