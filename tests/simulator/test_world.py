"""The world in-process: determinism, calendar arithmetic, deadlines, index evolution."""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import random
from pathlib import Path

import numpy as np
import pytest

from pipeline.workcal import VN_TZ
from simulator.clock import Clock, epoch, to_datetime
from simulator.keys import mix64, mix64_np, pack, unpack
from simulator.life import VENDOR_STATUSES
from simulator.records import dossier_json
from simulator.world import World

AS_OF = dt.datetime(2026, 11, 20, 8, 0, tzinfo=VN_TZ)
STATUS_SEED = Path(__file__).resolve().parents[2] / "dbt_project/seeds/motcua_status_map.csv"


@pytest.fixture(scope="module")
def world():
    return World(scale=0.01)


def test_fast_clock_agrees_with_the_working_calendar(world):
    clock: Clock = world.clock
    rng = random.Random(1)
    start = epoch(dt.datetime(2024, 1, 1, tzinfo=VN_TZ))
    for _ in range(3000):
        t = start + rng.randrange(3 * 365 * 86400)
        expected = world.calendar.working_minute_index(to_datetime(t)) * 60
        assert clock.wsec(t) == pytest.approx(expected)
        ws = rng.randrange(200_000) * 60
        assert to_datetime(clock.instant(ws)) == world.calendar.instant_at(ws / 60)


def test_keys_pack_and_mix_identically_in_python_and_numpy():
    keys = [pack(u, d, s) for u, d, s in [(0, 19358, 0), (34, 20500, 7000), (3, 19800, 1)]]
    assert [unpack(k) for k in keys] == [(0, 19358, 0), (34, 20500, 7000), (3, 19800, 1)]
    assert [mix64(k) for k in keys] == [int(x) for x in mix64_np(np.array(keys, np.uint64))]


def test_vendor_status_table_matches_the_status_seed():
    with STATUS_SEED.open(encoding="utf-8") as fh:
        rows = {
            int(r["vendor_status_id"]): (r["vendor_status_name"], int(r["national_status"]))
            for r in csv.DictReader(fh)
        }
    assert rows == VENDOR_STATUSES


def test_appointments_come_from_the_statutory_due(world):
    keys = list(world.keys_between(dt.date(2025, 9, 1), dt.date(2025, 9, 30)))
    lives = [world.life(k) for k in keys]
    accepted = [life for life in lives if life.accepted is not None]
    hidden = none = 0
    for life in accepted:
        proc = life.procedure
        cutoff = dt.time(15) if proc.same_day_cutoff else None
        due = world.calendar.statutory_due(
            to_datetime(life.accepted), proc.processing_time, proc.time_unit, cutoff
        )
        assert epoch(due) == life.statutory_due
        if life.appointment is None:
            none += 1
        elif life.appointment > life.statutory_due:
            hidden += 1
        else:
            assert life.appointment == life.statutory_due
    assert hidden + none < 0.06 * len(accepted)
    for life in lives:
        local = to_datetime(life.submitted)
        if life.channel != 2:  # counter dossiers arrive in office hours on working days
            assert world.calendar.is_working_day(local.date())
            assert dt.time(7) <= local.time() <= dt.time(17)


def test_a_dossier_regenerates_identically_alone(world):
    keys = list(world.keys_between(dt.date(2025, 3, 1), dt.date(2025, 3, 3)))
    at = epoch(AS_OF)
    batch = [dossier_json(world, world.life(k), at) for k in keys]
    other = World(scale=0.01)
    assert [dossier_json(other, other.life(k), at) for k in reversed(keys)] == batch[::-1]


def test_advancing_the_index_equals_building_it(world):
    later = epoch(AS_OF) + 9 * 86400 + 3600
    advanced = World(scale=0.01)
    advanced.index(AS_OF)
    step = advanced.index(later)
    fresh = World(scale=0.01).index(later)
    for name in ("keys", "updated", "accepted_day", "synced", "next_change", "national_order"):
        assert np.array_equal(getattr(step, name), getattr(fresh, name)), name


def test_stale_national_copies_catch_up_after_a_lag(world):
    """A stale copy misses steps, then a catch-up sync (a new NgayDongBo) brings it level:
    mostly within days or weeks, for a few only after months. Resyncs leave the one-stop
    record's updatedDate alone (only the first sync sets nationCode)."""
    at = epoch(AS_OF)
    ix = world.index(AS_OF)
    lags, open_for = [], []
    for key in ix.keys[ix.synced >= 0].tolist():
        life = world.life(key)
        assert life.sync_times == sorted(life.sync_times)
        assert not set(life.sync_times[1:]) & set(life.changes) - {life.sync_times[0]}
        for e in life.events[1:]:
            if e.status is None or e.t > at:
                continue
            i = bisect.bisect_left(life.sync_times, e.t)
            if i == len(life.sync_times) or life.sync_times[i] > at:
                open_for.append(at - e.t)  # still stale at AS_OF (or within its sync lag)
            else:
                lags.append(life.sync_times[i] - e.t)
    stale = [lag for lag in lags if lag > 2 * 86400]
    assert len(stale) > 20
    assert sum(lag <= 30 * 86400 for lag in stale) > 0.7 * len(stale)
    assert any(lag > 60 * 86400 for lag in stale)  # months
    assert max(lags) <= 400 * 86400 and all(t < 400 * 86400 for t in open_for)
    assert 0 < sum(t > 86400 for t in open_for) < 0.01 * len(ix)


def test_volumes_seasonality_and_units():
    world = World(scale=1.0)
    totals = {}
    for ui, unit in enumerate(world.units):
        for month in (2, 11):
            totals[unit.code, month] = int(world.daily_counts(ui, 2024, month).sum())
    area = {m: sum(v for (c, mm), v in totals.items() if mm == m) for m in (2, 11)}
    assert 3000 < area[2] < area[11] < 7000  # Tết low, year-end high
    july = sum(
        int(world.daily_counts(world.unit_index[c], 2025, 7).sum())
        for c in ("000.00.71.H31", "000.00.72.H31", "000.00.73.H31")
    )
    assert july > 4500  # the new wards' busy first month
    assert totals["000.00.00.H31", 11] == 0  # the province is configuration only
