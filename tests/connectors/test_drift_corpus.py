"""Issue 16 at the boundary: every dataset landed from the simulator with the drift corpus on
(`corpus` fault, simulator/drift.py) lands exactly what it lands without it, in every
field a rule reads; the spoiled copies are rejected with a templated reason; the drift is
counted per field; no planted personal value reaches the raw zone (rejects and extra_json
included). One simulator, switched between the two crawls through its admin surface."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter

import duckdb
import httpx
import pyarrow as pa
import pytest

from pipeline.landing.audit import LandingResult, converted
from pipeline.landing.dvcqg import DvcqgLanding
from pipeline.landing.motcua import MotcuaLanding
from pipeline.sources.dvcqg_records import EVALUATION_COUNTER_KEYS, read_tree_counters
from simulator.drift import planted_values
from simulator.server import run_simulator
from tests.connectors.conftest import (
    AS_OF,
    SCALE,
    build_staging,
    make_env,
    raw_rows,
    set_faults,
)
from tests.connectors.test_personal_data_and_secrets import raw_zone_strings

CORPUS_RATE = 0.2
# The landed columns a staging model reads (docs/source_fields.md), per raw dataset.
READ_COLUMNS = {
    "motcua/agencies": "id, code, name, level, parent_id, gso_code, valid_from, valid_to, "
    "successor_code",
    "motcua/procedures": "id, code, name, sector_code, sector_name, level, full_online_eligible, "
    "processing_time, processing_time_unit, same_day_cutoff, fee_amount, result_is_document, "
    "citizen_facing, e_certified_copy, applied_agency_codes, valid_from, valid_to",
    "motcua/dossiers": "id, code, nation_code, procedure_id, procedure_code, agency_id, "
    "agency_code, apply_method, result_delivery, applicant_type, applicant_key, submitted_at, "
    "accepted_at, appointment_at, completed_at, returned_at, updated_at, status_id, "
    "vneid_authenticated, inter_agency_copy, connected_databases, "
    "[struct_pack(k := f.kind, u := f.has_url, r := f.result_code, d := f.digitized, "
    "re := f.reuse, c := f.from_citizen_store, p := f.pushed_to_citizen_store) "
    "for f in files] as files, "
    "[struct_pack(a := f.amount, s := f.status, m := f.method) for f in fees] as fees, "
    "rating.value, rating.rated_at, "
    "[struct_pack(s := h.seq, a := h.at, c := h.action, i := h.status_id, n := h.has_note, "
    "d := h.document_no, t := h.new_appointment_at) for h in history] as history",
    "dvcqg/dossier_copies": "national_code, unit_code, procedure_code, channel, received_at, "
    "due_at, finished_at, returned_at, status, synced_at, len(fees), online_payment_kind, "
    "has_digitized_component",
    "dvcqg/petitions": "petition_code, unit_code, received_at, due_at, answered_at, status, "
    "petition_type, likes, dislikes, re_complaint, national_code, updated_at",
    "dvcqg/evaluation": "portal_group, period_type, period_start, is_root, department_id, "
    "department_code, total_score, total_max_score, ratio, "
    "[struct_pack(c := m.code, n := m.numerator, d := m.denominator, r := m.ratio, "
    "s := m.score, x := m.max_score) for m in metrics] as metrics, "
    f"list_sort([c for c in counters if c.name in {sorted(read_tree_counters())}]) as counters",
}
LANDINGS = {
    "motcua/agencies": "motcua_agencies",
    "motcua/procedures": "motcua_procedures",
    "motcua/dossiers": "motcua_dossiers",
    "dvcqg/dossier_copies": "dvcqg_dossier_copies",
    "dvcqg/petitions": "dvcqg_petitions",
    "dvcqg/evaluation": "dvcqg_evaluation",
}


def landed_rows(path, columns: str) -> list[tuple]:
    with duckdb.connect() as con:
        return con.execute(f"select {columns} from read_parquet('{path}')").fetchall()


def land_all(env, run_id: str) -> dict:
    with env.motcua_client() as client:
        landing = MotcuaLanding(env.settings, client, run_id)
        results = [
            landing.land_agencies(),
            landing.land_procedures(),
            landing.land_dossiers_incremental(AS_OF),
        ]
    with env.dvcqg_client() as client:
        landing = DvcqgLanding(env.settings, client, run_id)
        results += [
            landing.land_dossier_copies(AS_OF),
            landing.land_petitions(AS_OF),
            landing.land_evaluation(AS_OF),
        ]
    return {r.asset: r for r in results}


@pytest.fixture(scope="module")
def crawls(tmp_path_factory):
    """The same world crawled without and with the drift corpus."""
    root = tmp_path_factory.mktemp("drift")
    with run_simulator(scale=SCALE, as_of=AS_OF, fault_seed=16) as sim:
        clean_env = make_env(sim, root / "clean")
        clean = land_all(clean_env, "clean-1")
        set_faults(sim, {"corpus": CORPUS_RATE})
        drift_env = make_env(sim, root / "drift")
        drifted = land_all(drift_env, "drift-1")
        served = Counter(httpx.get(sim.admin("faults"), timeout=30).json()["injected"])
        again = land_all(drift_env, "drift-2")  # a re-read: the same spoiled records again
    return clean_env, clean, drift_env, drifted, again, served


@pytest.mark.parametrize("dataset", list(READ_COLUMNS))
def test_every_read_field_lands_as_without_drift(crawls, dataset):
    clean_env, clean, drift_env, drifted, _, _ = crawls
    columns = READ_COLUMNS[dataset]
    clean_rows = raw_rows(clean_env.settings.raw_dir, dataset, columns)
    if dataset in ("motcua/agencies", "motcua/procedures"):  # snapshots: the first drifted one
        drift_rows = landed_rows(drift_env.settings.raw_dir / dataset / "drift-1.parquet", columns)
    else:  # incremental datasets and the evaluation's open periods: each version once (the
        # re-read lands the same versions)
        drift_rows = raw_rows(drift_env.settings.raw_dir, dataset, columns)
        drift_rows = list({repr(row): row for row in drift_rows}.values())
    assert clean_rows, f"{dataset}: nothing landed"
    assert sorted(map(repr, drift_rows)) == sorted(map(repr, clean_rows))
    result = drifted[LANDINGS[dataset]]
    assert result.records_rejected > 0, f"{dataset}: no spoiled record refused"
    assert clean[LANDINGS[dataset]].records_rejected == 0


def test_every_dataset_is_served_drift_and_spoiled_copies_each_refused(crawls):
    """The corpus reaches every dataset (the simulator's own count of what it served), and
    each landing refuses exactly the spoiled copies it was served."""
    _, _, _, drifted, _, served = crawls
    for dataset, asset in LANDINGS.items():
        name = dataset.split("/")[1]
        assert served[f"corpus_drifted/{name}"] > 0, dataset
        assert drifted[asset].records_rejected == served[f"corpus_spoiled/{name}"] > 0, dataset


def test_every_dataset_reports_its_drift_per_field(crawls):
    _, clean, _, drifted, _, _ = crawls
    assert all(not r.drift for r in clean.values())
    by_asset = {asset: r.drift.by_field() for asset, r in drifted.items()}
    copies = by_asset["dvcqg_dossier_copies"]
    assert copies["NoiNopHoSo"] == {"shape_changed": copies["NoiNopHoSo"]["shape_changed"]}
    assert "LoaiDoiTuong" in copies and "SoGiayToChuHoSo" in copies
    for asset in LANDINGS.values():
        assert by_asset[asset], f"{asset}: no drift counted"
        for key in ("soCCCD", "dienThoai", "noiCuTru"):
            if asset not in ("motcua_agencies", "motcua_procedures"):
                assert by_asset[asset][key] == {"unknown_key": by_asset[asset][key]["unknown_key"]}
    evaluation = by_asset["dvcqg_evaluation"]
    for field in ("departmentName", "departmentType", "stt", "metrics[].name", "scoreDelta"):
        assert set(evaluation[field]) == {"shape_changed"}, field
    assert set(evaluation["metrics[].ghiChu"]) == {"unknown_key"}
    dossiers = by_asset["motcua_dossiers"]
    assert "applicant.phoneNumber" in dossiers and "history[].officer" in dossiers
    assert any(kind == "outside_domain" for _, kind in drifted["motcua_dossiers"].drift)


def test_spoiled_copies_are_rejected_with_templated_reasons(crawls):
    _, _, drift_env, drifted, again, _ = crawls
    rejects = raw_rows(drift_env.settings.raw_dir, "audit/rejects", "source_key, reason")
    runs = (*drifted.values(), *again.values())
    assert len(rejects) == sum(r.records_rejected for r in runs) > 0
    for _, reason in rejects:
        assert re.fullmatch(r"(invalid|record does not convert)[^\n]*", reason), reason
        for value in planted_values():
            assert value not in reason
    kinds = {reason.split(":")[1].strip() for _, reason in rejects}
    assert {"outside the domain", "wrong type"} <= kinds


def test_a_re_read_spoiled_record_is_rejected_again_and_the_watermark_moves(crawls):
    _, _, drift_env, drifted, again, _ = crawls
    for asset in ("motcua_dossiers", "dvcqg_dossier_copies", "dvcqg_petitions"):
        assert again[asset].watermark_to >= drifted[asset].watermark_to


def test_no_planted_personal_value_reaches_the_raw_zone(crawls):
    _, _, drift_env, _, _, _ = crawls
    strings = raw_zone_strings(drift_env.settings.data_dir)
    text = "\n".join(strings)
    found = [v for v in planted_values() if v in text]
    assert not found, f"planted personal values in the raw zone: {found}"
    # the reject payloads keep the harmless codes (an operator can find the record)
    payloads = raw_rows(drift_env.settings.raw_dir, "audit/rejects", "payload_redacted")
    assert any("MaHoSo" in p for (p,) in payloads) and any(
        '"updatedDate"' in p for (p,) in payloads
    )
    # an unannounced number is never an evaluation counter (it may be an ID number)
    counters = raw_rows(
        drift_env.settings.raw_dir, "dvcqg/evaluation", "distinct unnest(counters).name"
    )
    assert counters and {name for (name,) in counters} <= EVALUATION_COUNTER_KEYS
    extra = raw_rows(drift_env.settings.raw_dir, "dvcqg/dossier_copies", "max(extra_json)")
    assert json.loads(extra[0][0])["NoiNopHoSo"]  # the unread original kept (a unit code)


def test_a_spoiled_record_read_again_is_one_row_of_audit_rejects(crawls):
    """drift-2 re-reads every spoiled copy drift-1 refused: the published table lists each
    once (dataset, key, reason, payload), at the first run that refused it."""
    _, _, drift_env, drifted, again, _ = crawls
    database = drift_env.settings.data_dir / "build.duckdb"
    build_staging(drift_env.settings.raw_dir, database, ["+rejects"])
    with duckdb.connect(str(database), read_only=True) as con:
        runs = con.execute(
            "select run_id, count(*) from audit.rejects where reason like 'invalid%' "
            "or reason like 'record does not%' group by run_id"
        ).fetchall()
    raw = Counter(
        run for (run,) in raw_rows(drift_env.settings.raw_dir, "audit/rejects", "_run_id")
    )
    assert raw["drift-2"] > 0, "the re-read refused nothing"
    assert dict(runs).get("drift-2", 0) == 0, "a re-read spoiled record was listed again"
    assert dict(runs)["drift-1"] > 0


class _TinyColumns:
    """A column builder whose int8 column overflows for one record."""

    SCHEMA = pa.schema([pa.field("n", pa.int8()), pa.field("_run_id", pa.string())])

    def __init__(self):
        self.values: list[int] = []

    def append(self, record, partition) -> None:
        self.values.append(record)

    def batch(self, schema, run_id, extracted_at) -> pa.RecordBatch:
        return pa.RecordBatch.from_arrays(
            [pa.array(self.values, pa.int8()), pa.array([run_id] * len(self.values))],
            schema=schema,
        )


def test_one_record_that_does_not_convert_is_rejected_alone():
    result = LandingResult(source="s", asset="a", started_at=dt.datetime.now(dt.UTC))
    items = [({"id": str(n), "n": n}, n, "p") for n in (1, 300, 2)]
    batch, kept = converted(result, items, _TinyColumns, _TinyColumns.SCHEMA, "r", ("id",))
    assert batch.column(0).to_pylist() == [1, 2] and kept == [0, 2]
    (reject,) = result.rejects
    assert reject["source_key"] == "300"
    assert reject["reason"] == "record does not convert to the raw schema: ArrowInvalid"
    assert result.drift == {("<conversion>", "outside_domain"): 1}
