"""A record claiming a change in the future (bad data, or a source clock gone wrong) must not
move the incremental watermark past the run: if it did, every real change before that instant
would be skipped by the next runs. Over real HTTP: the simulator's `malformed` fault serves
some dossiers with a well-formed `updatedDate` a century ahead of their real change."""

from __future__ import annotations

import datetime as dt

import duckdb
import httpx
import pytest

from pipeline.landing.motcua import DOSSIER_WATERMARK, MotcuaLanding
from pipeline.landing.state import WatermarkStore
from simulator.server import run_simulator
from tests.connectors.conftest import AS_OF, SCALE, instant, make_env, truth

LATER = AS_OF + dt.timedelta(days=7)
FUTURE = "updatedDate in the future"


@pytest.fixture(scope="module")
def sim():
    with run_simulator(
        scale=SCALE, as_of=AS_OF, faults={"malformed": 0.05}, fault_seed=11
    ) as handle:
        yield handle


def move_world(sim, at: dt.datetime) -> None:
    httpx.post(sim.admin("as-of"), json={"as_of": at.isoformat()}, timeout=300).raise_for_status()


def land(env, run_id: str, as_of: dt.datetime):
    with env.motcua_client() as client:
        return MotcuaLanding(env.settings, client, run_id).land_dossiers_incremental(as_of)


def latest_landed(raw_dir) -> dict[str, dt.datetime]:
    pattern = raw_dir / "motcua" / "dossiers" / "**" / "*.parquet"
    with duckdb.connect() as con:
        rows = con.execute(
            f"select id, max(updated_at) from read_parquet('{pattern}', hive_partitioning = true)"
            " group by id"
        ).fetchall()
    return dict(rows)


def expected_latest(world: dict) -> dict[str, dt.datetime]:
    malformed = set(world["malformedIds"])
    return {
        d["id"]: instant(d["updatedDate"]) for d in world["dossiers"] if d["id"] not in malformed
    }


def test_future_dated_records_are_rejected_and_never_move_the_watermark(sim, tmp_path):
    env = make_env(sim, tmp_path / "data", max_reject_rate=0.2)
    move_world(sim, AS_OF)
    first = land(env, "run-1", AS_OF)
    world = truth(sim)
    assert first.watermark_to <= AS_OF
    assert latest_landed(env.settings.raw_dir) == expected_latest(world)
    # the future-dated dossiers are rejected with their reason (kept in the rejects)
    future = [r for r in first.rejects if r["reason"].startswith(FUTURE)]
    assert future, "the fault seed served no future-dated dossier"
    assert {r["source_key"] for r in first.rejects} <= set(world["malformedIds"])

    # a week of the world's life: every change before the future instant must be read
    move_world(sim, LATER)
    second = land(env, "run-2", LATER)
    world = truth(sim)
    assert second.records_landed > 0
    assert second.watermark_to <= LATER
    assert latest_landed(env.settings.raw_dir) == expected_latest(world)
    stored = WatermarkStore(env.settings.state_dir).get(DOSSIER_WATERMARK)
    assert stored == second.watermark_to


def test_a_watermark_left_in_the_future_is_not_trusted(sim, tmp_path):
    """A deployment whose stored watermark was pushed into the future by such a record (before
    the fix) re-reads from HISTORY_START once, instead of skipping every change for years."""
    env = make_env(sim, tmp_path / "data", max_reject_rate=0.2)
    move_world(sim, LATER)
    WatermarkStore(env.settings.state_dir).set(
        DOSSIER_WATERMARK, dt.datetime.now(dt.UTC) + dt.timedelta(days=365)
    )
    result = land(env, "run-1", LATER)
    assert result.note and "in the future" in result.note
    assert result.watermark_to <= LATER
    assert latest_landed(env.settings.raw_dir) == expected_latest(truth(sim))
