"""Done-when 1: a full extraction with every fault switched on lands exactly the world's records
(by key and change instant, against the simulator's own truth): none missing, none twice, the
malformed ones in the rejects, unknown fields kept."""

from __future__ import annotations

import json

import pytest

from pipeline.landing.dvcqg import DvcqgLanding
from pipeline.landing.motcua import MotcuaLanding
from simulator.faults import REQUEST_FAULTS
from simulator.server import run_simulator
from tests.connectors.conftest import (
    ALL_FAULTS,
    AS_OF,
    SCALE,
    fast_retry,
    instant,
    make_env,
    raw_rows,
    sim_stats,
    truth,
)


@pytest.fixture(scope="module")
def faulty_sim():
    with run_simulator(scale=SCALE, as_of=AS_OF, faults=ALL_FAULTS, fault_seed=11) as sim:
        yield sim


@pytest.fixture(scope="module")
def extraction(faulty_sim, tmp_path_factory):
    """One full extraction of both portals under every fault, and the truth after each."""
    env = make_env(faulty_sim, tmp_path_factory.mktemp("full") / "data")
    motcua_retry, dvcqg_retry = fast_retry(), fast_retry()
    with env.motcua_client(motcua_retry) as client:
        dossiers = MotcuaLanding(env.settings, client, "full-1").land_dossiers_incremental(AS_OF)
    motcua_truth = truth(faulty_sim)
    with env.dvcqg_client(dvcqg_retry) as client:
        copies = DvcqgLanding(env.settings, client, "full-1").land_dossier_copies(AS_OF)
    national_truth = truth(faulty_sim)
    stats = sim_stats(faulty_sim)
    print(
        "\nfull extraction under faults:",
        json.dumps(
            {
                "dossiers": [dossiers.records_read, dossiers.records_landed, dossiers.pages],
                "dossier_requests": dossiers.requests,
                "dossier_rejects": dossiers.records_rejected,
                "copies": [copies.records_read, copies.records_landed, copies.pages],
                "copy_requests": copies.requests,
                "copy_rejects": copies.records_rejected,
                "injected": stats["faults"]["injected"],
                "retry_waits": [dict(motcua_retry.waits), dict(dvcqg_retry.waits)],
            }
        ),
    )
    return env, dossiers, copies, motcua_truth, national_truth, stats


def test_every_dossier_lands_once_with_its_latest_version(extraction):
    env, dossiers, _, world, _, _ = extraction
    malformed = set(world["malformedIds"])
    expected = {
        (d["id"], instant(d["updatedDate"])) for d in world["dossiers"] if d["id"] not in malformed
    }
    landed = raw_rows(env.settings.raw_dir, "motcua/dossiers", "id, updated_at")
    assert len(landed) == len({key for key, _ in landed}), "a dossier landed twice"
    assert set(landed) == expected
    assert dossiers.records_landed == len(expected)


def test_malformed_dossiers_are_rejected_with_reason_and_redacted_payload(extraction):
    env, dossiers, _, world, _, _ = extraction
    rejects = raw_rows(
        env.settings.raw_dir, "audit/rejects", "source, source_key, reason, payload_redacted"
    )
    rejected = {key for source, key, _, _ in rejects if source == "motcua"}
    assert world["malformedIds"], "the fault seed produced no malformed dossier"
    assert rejected == set(world["malformedIds"])
    assert all(reason for *_, reason, _ in rejects)
    assert all('"fullname"' not in payload or "<redacted>" in payload for *_, payload in rejects)
    assert dossiers.records_rejected >= len(rejected)  # a reject seen on two pages counts twice


def test_every_national_copy_lands_once_with_its_latest_sync(extraction):
    env, _, copies, _, world, _ = extraction
    malformed = set(world["malformedNationalCodes"])
    expected = {
        (d["nationCode"], instant(d["syncedDate"]))
        for d in world["dossiers"]
        if d["syncedDate"] is not None and d["nationCode"] not in malformed
    }
    landed = raw_rows(env.settings.raw_dir, "dvcqg/dossier_copies", "national_code, synced_at")
    assert len(landed) == len({key for key, _ in landed}), "a national copy landed twice"
    assert set(landed) == expected
    rejects = raw_rows(env.settings.raw_dir, "audit/rejects", "source, source_key")
    assert {key for source, key in rejects if source == "dvcqg"} == malformed


def test_every_fault_was_injected_and_survived(extraction):
    env, _, _, _, _, stats = extraction
    injected = stats["faults"]["injected"]
    for fault in (*REQUEST_FAULTS, "token_expiry", "duplicates", "shift"):
        assert injected.get(fault, 0) > 0, f"fault {fault} was never injected"
    drifted = raw_rows(
        env.settings.raw_dir, "motcua/dossiers", "count(*) filter (where extra_json is not null)"
    )
    assert drifted[0][0] > 0, "unknown (drift) fields were dropped instead of kept"
    assert (
        "extendedAttributes"
        in raw_rows(env.settings.raw_dir, "motcua/dossiers", "max(extra_json)")[0][0]
    )
