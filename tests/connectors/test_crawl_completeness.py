"""Completeness is checked, not assumed (issue 16, item 5), against the simulator over real
HTTP: short pages and pages without a `last` flag still land every record; a portal that
announces more records than it serves fails the landing with the window and both counts, lands
nothing and leaves the watermark where it was; the next clean run lands everything."""

from __future__ import annotations

import re

import pytest

from pipeline.landing.dvcqg import DvcqgLanding
from pipeline.landing.motcua import DOSSIER_WATERMARK, MotcuaLanding
from pipeline.landing.state import WatermarkStore
from pipeline.sources.crawl import IncompleteCrawl
from simulator.server import run_simulator
from tests.connectors.conftest import AS_OF, SCALE, make_env, raw_rows, set_faults, truth

PAGE_SIZE = 40
# The whole message: a template of the window's instants and three counts, nothing else.
MISMATCH = re.compile(
    r"(one-stop dossiers|national LayDanhSachHoSoDongBo) window \[[0-9T:+.-]+, ([0-9T:+.-]+|∞)\): "
    r"the portal announced (\d+) records \((\d+) at recount\) but the crawl read (\d+); nothing "
    r"landed and the watermark did not move, the next run reads this window again"
)


@pytest.fixture(scope="module")
def sim():
    with run_simulator(scale=SCALE, as_of=AS_OF, fault_seed=5) as handle:
        yield handle


@pytest.fixture
def faults(sim):
    yield lambda **rates: set_faults(sim, rates)
    set_faults(sim, {})


def test_short_pages_and_missing_last_flags_still_land_every_record(sim, faults, data_dir):
    faults(short_pages=0.5, no_last=1.0)
    env = make_env(sim, data_dir)
    with env.motcua_client(page_size=PAGE_SIZE) as client:
        dossiers = MotcuaLanding(env.settings, client, "short").land_dossiers_incremental(AS_OF)
    with env.dvcqg_client(page_size=PAGE_SIZE) as client:
        DvcqgLanding(env.settings, client, "short").land_dossier_copies(AS_OF)
    world = truth(sim)
    landed = {row[0] for row in raw_rows(env.settings.raw_dir, "motcua/dossiers", "id")}
    assert landed == {d["id"] for d in world["dossiers"]}
    assert dossiers.records_landed == world["count"]
    copies = {
        row[0] for row in raw_rows(env.settings.raw_dir, "dvcqg/dossier_copies", "national_code")
    }
    assert copies == {d["nationCode"] for d in world["dossiers"] if d["nationCode"]}


def test_a_wrong_total_fails_the_one_stop_landing_and_the_watermark_stays(sim, faults, data_dir):
    faults(wrong_total=1.0)
    env = make_env(sim, data_dir)
    watermarks = WatermarkStore(env.settings.state_dir)
    with env.motcua_client(page_size=PAGE_SIZE) as client:
        landing = MotcuaLanding(env.settings, client, "lying-total")
        with pytest.raises(IncompleteCrawl) as failed:
            landing.land_dossiers_incremental(AS_OF)
    message = str(failed.value)
    match = MISMATCH.fullmatch(message)
    assert match, message
    announced, recount, read = map(int, match.group(3, 4, 5))
    assert read < min(announced, recount)
    assert watermarks.get(DOSSIER_WATERMARK) is None
    assert not list((env.settings.raw_dir / "motcua" / "dossiers").rglob("*.parquet"))

    faults()  # the portal counts right again: the next run lands everything
    with env.motcua_client(page_size=PAGE_SIZE) as client:
        result = MotcuaLanding(env.settings, client, "next").land_dossiers_incremental(AS_OF)
    assert result.records_landed == truth(sim)["count"]
    assert watermarks.get(DOSSIER_WATERMARK) is not None


def test_a_wrong_total_fails_the_national_landing_with_the_window_and_counts(sim, faults, data_dir):
    faults(wrong_total=1.0)
    env = make_env(sim, data_dir)
    with env.dvcqg_client(page_size=PAGE_SIZE) as client:
        landing = DvcqgLanding(env.settings, client, "lying-total")
        with pytest.raises(IncompleteCrawl) as failed:
            landing.land_dossier_copies(AS_OF)
    assert MISMATCH.fullmatch(str(failed.value)), str(failed.value)
    assert not list((env.settings.state_dir).glob("*.watermark.json"))
    assert not list((env.settings.raw_dir / "dvcqg").rglob("*.parquet"))
