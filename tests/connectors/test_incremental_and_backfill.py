"""Done-when 2: after the world evolves, an incremental run fetches only what changed (counted in
records and requests) and the warehouse's staging then equals a full re-extraction. Backfill
by reception month and reruns never duplicate a dossier downstream."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import httpx
import pytest

from pipeline.landing.dvcqg import DvcqgLanding
from pipeline.landing.motcua import MotcuaLanding
from pipeline.landing.state import WATERMARK_OVERLAP
from simulator.server import run_simulator
from tests.connectors.conftest import (
    AS_OF,
    SCALE,
    build_staging,
    instant,
    make_env,
    raw_rows,
    truth,
)

# Request faults and bad records, but not `shift` (this test moves the world itself).
FAULTS = {
    "server_error": 0.05,
    "rate_limit": 0.05,
    "reset": 0.03,
    "truncate": 0.03,
    "token_expiry": 0.05,
    "duplicates": 0.3,
    "malformed": 0.01,
    "drift": 0.05,
}
LATER = AS_OF + dt.timedelta(days=7)
STAGING = ["+stg_motcua__dossiers", "stg_dvcqg__dossier_copies", "stg_dvcqg__petitions"]


def land_everything(env, run_id: str, as_of: dt.datetime) -> dict:
    with env.motcua_client() as client:
        landing = MotcuaLanding(env.settings, client, run_id)
        # the catalogues too: staging keeps only dossiers of known units and procedures
        landing.land_agencies()
        landing.land_procedures()
        dossiers = landing.land_dossiers_incremental(as_of)
    with env.dvcqg_client() as client:
        landing = DvcqgLanding(env.settings, client, run_id)
        copies = landing.land_dossier_copies(as_of)
        petitions = landing.land_petitions(as_of)
    return {"dossiers": dossiers, "copies": copies, "petitions": petitions}


@pytest.fixture(scope="module")
def sim():
    with run_simulator(scale=SCALE, as_of=AS_OF, faults=FAULTS, fault_seed=5) as handle:
        yield handle


@pytest.fixture(scope="module")
def evolved(sim, tmp_path_factory):
    """A full extraction, a week of the world's life, an incremental run; then a full
    re-extraction of the evolved world into a fresh raw zone."""
    root = tmp_path_factory.mktemp("incremental")
    env = make_env(sim, root / "data")
    first = land_everything(env, "run-1", AS_OF)
    watermark = first["dossiers"].watermark_to
    moved = httpx.post(sim.admin("as-of"), json={"as_of": LATER.isoformat()}, timeout=300)
    moved.raise_for_status()
    second = land_everything(env, "run-2", LATER)
    world = truth(sim)
    fresh = make_env(sim, root / "fresh")
    full = land_everything(fresh, "run-full", LATER)
    build_staging(env.settings.raw_dir, root / "incremental.duckdb", STAGING)
    build_staging(fresh.settings.raw_dir, root / "full.duckdb", STAGING)
    figures = {
        name: {
            "full": [first[name].records_read, first[name].pages, first[name].requests],
            "incremental": [second[name].records_read, second[name].pages, second[name].requests],
        }
        for name in first
    }
    print("\nrecords read, pages, requests:", json.dumps(figures))
    return env, first, second, full, world, watermark, root


def test_incremental_run_reads_only_what_changed(evolved):
    env, first, second, _, world, watermark, _ = evolved
    since = watermark - WATERMARK_OVERLAP
    changed = {d["id"] for d in world["dossiers"] if instant(d["updatedDate"]) >= since}
    malformed = set(world["malformedIds"])
    landed = {
        key
        for key, run in raw_rows(env.settings.raw_dir, "motcua/dossiers", "id, _run_id")
        if run == "run-2"
    }
    assert 0 < len(changed) < len(world["dossiers"]) / 5
    assert landed == changed - malformed
    dossiers = second["dossiers"]
    # Read at most each changed record plus what the `duplicates` fault repeated on pages.
    assert len(changed) <= dossiers.records_read <= len(changed) + 5 * dossiers.pages
    assert dossiers.requests < first["dossiers"].requests / 3
    assert second["copies"].records_read < first["copies"].records_read / 5


def test_warehouse_after_incremental_equals_full_reextraction(evolved):
    *_, root = evolved
    for model in ("stg_motcua__dossiers", "stg_dvcqg__dossier_copies", "stg_dvcqg__petitions"):
        with duckdb.connect(str(root / "incremental.duckdb"), read_only=True) as con:
            con.execute(f"attach '{root / 'full.duckdb'}' as full_run (read_only)")
            # Which landing run carried a version is lineage, not content: the two runs differ.
            columns = (
                "* exclude (reception_month, source_extracted_at, source_run_id)"
                if model == "stg_motcua__dossiers"
                else "*"
            )
            [(count,)] = con.execute(f"select count(*) from staging.{model}").fetchall()
            [(only_incremental,)] = con.execute(
                f"select count(*) from (select {columns} from staging.{model} "
                f"except all select {columns} from full_run.staging.{model})"
            ).fetchall()
            [(only_full,)] = con.execute(
                f"select count(*) from (select {columns} from full_run.staging.{model} "
                f"except all select {columns} from staging.{model})"
            ).fetchall()
        assert count > 0, model
        assert (only_incremental, only_full) == (0, 0), model


def test_backfill_months_and_reruns_never_duplicate_a_dossier(evolved):
    env, *_, root = evolved
    with env.motcua_client() as client:
        landing = MotcuaLanding(env.settings, client, "backfill-1")
        march = landing.land_dossiers_accepted(dt.date(2025, 3, 1), dt.date(2025, 3, 31))
        again = MotcuaLanding(env.settings, client, "backfill-2").land_dossiers_accepted(
            dt.date(2025, 3, 1), dt.date(2025, 3, 31)
        )
        day = MotcuaLanding(env.settings, client, "rerun-day").land_dossiers_incremental(LATER)
    assert march.records_landed == again.records_landed > 0
    # the world did not move since run-2: a rerun reads back only the overlap before the
    # watermark, and what it lands are dossiers the earlier runs already landed
    assert day.watermark_to - day.watermark_from == WATERMARK_OVERLAP
    landed_by = raw_rows(env.settings.raw_dir, "motcua/dossiers", "distinct id, _run_id")
    rerun = {dossier for dossier, run in landed_by if run == "rerun-day"}
    earlier = {dossier for dossier, run in landed_by if run in ("run-1", "run-2")}
    assert len(rerun) == day.records_landed > 0
    assert rerun <= earlier
    months = raw_rows(
        env.settings.raw_dir,
        "motcua/dossiers",
        "distinct reception_month, _run_id",
    )
    assert {m for m, run in months if run == "backfill-1"} == {"2025-03"}
    database = root / "rerun.duckdb"
    build_staging(env.settings.raw_dir, database, ["+stg_motcua__dossiers"])
    with duckdb.connect(str(database), read_only=True) as con:
        [(rows, distinct)] = con.execute(
            "select count(*), count(distinct dossier_id) from staging.stg_motcua__dossiers"
        ).fetchall()
    assert rows == distinct
