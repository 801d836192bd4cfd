"""Two landings at once never interleave (issue 16, item 7), against the simulator: two
processes land the same data folder at the same moment, as `make refresh` started while the
schedule runs would; and a build never records a landing whose files are half moved in."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import threading
import time

import pytest

from pipeline.build_state import plan_build
from pipeline.landing import staged
from pipeline.landing.motcua import DOSSIER_WATERMARK, MotcuaLanding
from pipeline.landing.state import WATERMARK_OVERLAP, WatermarkStore
from pipeline.project import DBT_PROJECT_DIR
from pipeline.sources.motcua import MotcuaClient
from pipeline.workcal import VN_TZ
from simulator.server import run_simulator
from tests.connectors.conftest import (
    AS_OF,
    HISTORY_START,
    SCALE,
    fast_retry,
    make_env,
    raw_rows,
    truth,
)

PAGE_SIZE = 100  # many requests: each landing lasts long enough for the other to wait


@pytest.fixture(scope="module")
def sim():
    with run_simulator(scale=SCALE, as_of=AS_OF, fault_seed=7) as handle:
        yield handle


def land_in_process(settings, motcua, run_id: str, barrier, results) -> None:
    """One landing of the one-stop dossiers in its own process, started with the other's."""
    barrier.wait(timeout=120)
    asked = dt.datetime.now(dt.UTC)
    with MotcuaClient(motcua, retry=fast_retry(), timeout=5.0, page_size=PAGE_SIZE) as client:
        result = MotcuaLanding(settings, client, run_id).land_dossiers_incremental(AS_OF)
    results.put(
        {
            "run_id": run_id,
            "asked": asked,
            "started": result.started_at,
            "finished": dt.datetime.now(dt.UTC),
            "watermark_from": result.watermark_from,
            "watermark_to": result.watermark_to,
            "landed": result.records_landed,
        }
    )


def test_two_landings_in_two_processes_run_one_after_the_other(sim, data_dir):
    env = make_env(sim, data_dir)
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    processes = [
        ctx.Process(target=land_in_process, args=(env.settings, env.motcua, run, barrier, results))
        for run in ("schedule", "refresh")
    ]
    for process in processes:
        process.start()
    done = sorted((results.get(timeout=600) for _ in processes), key=lambda r: r["started"])
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    first, second = done
    # Both asked at once (the test is not vacuous), yet the second landing began only after
    # the first had finished, and read from the watermark the first one recorded.
    assert max(first["asked"], second["asked"]) < first["finished"]
    assert second["started"] >= first["finished"] - dt.timedelta(seconds=1)
    assert first["watermark_from"] == dt.datetime.combine(HISTORY_START, dt.time(), VN_TZ)
    assert second["watermark_from"] == first["watermark_to"] - WATERMARK_OVERLAP
    assert first["landed"] == truth(sim)["count"]
    stored = WatermarkStore(env.settings.state_dir).get(DOSSIER_WATERMARK)
    assert stored == second["watermark_to"]
    landed = raw_rows(env.settings.raw_dir, "motcua/dossiers", "id, _run_id")
    assert {run for _, run in landed} == {"schedule", "refresh"}


def test_a_build_never_records_a_landing_whose_files_are_half_moved_in(sim, data_dir, monkeypatch):
    """The landing moves its files in slowly; a build planned meanwhile waits, then records
    the run with every one of its files in place."""
    env = make_env(sim, data_dir)
    moving, real_replace = threading.Event(), staged.move_in

    def slow_replace(src, dst):
        if str(dst).endswith(".parquet") and "/raw/motcua/dossiers/" in str(dst):
            moving.set()
            time.sleep(0.05)
        real_replace(src, dst)

    monkeypatch.setattr(staged, "move_in", slow_replace)
    landing_done = threading.Event()

    def land() -> None:
        with env.motcua_client(page_size=500) as client:
            MotcuaLanding(env.settings, client, "slow-commit").land_dossiers_incremental(AS_OF)
        landing_done.set()

    thread = threading.Thread(target=land)
    thread.start()
    assert moving.wait(timeout=300), "the landing never began moving its files in"
    plan = plan_build(env.settings, AS_OF, DBT_PROJECT_DIR)
    files_when_planned = len(
        list((env.settings.raw_dir / "motcua" / "dossiers").rglob("*.parquet"))
    )
    thread.join(timeout=300)
    assert landing_done.is_set()
    files = len(list((env.settings.raw_dir / "motcua" / "dossiers").rglob("*.parquet")))
    assert files > 1  # several partitions: a half-moved landing was possible
    assert plan.state["runs"]["motcua/dossiers"] == ["slow-commit"]
    assert files_when_planned == files
