"""The simulated world: units, procedures, and every dossier from HISTORY_START to AS_OF.

A `World(seed, history_start, scale)` is deterministic. Dossier volumes per unit and day
come from Poisson draws seeded by (seed, unit, month); each dossier's life from its own
stream (life.py). Nothing but a compact index is kept in memory: `World.index(as_of)` holds,
for every dossier visible at `as_of`, its key, updatedDate, reception day and national sync
instant as numpy arrays sorted the way the APIs page; full records are generated per page.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import random
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from pipeline.config import DEFAULT_HISTORY_START
from pipeline.workcal import WorkingCalendar
from simulator import profile as P
from simulator.catalogue import ProcedureChooser, build_catalogue
from simulator.clock import DAY, OFFSET, Clock, epoch
from simulator.forked import fork_map
from simulator.keys import id_prefix_np, pack, unit_of_keys, unpack
from simulator.life import Life, generate_life
from simulator.people import officers
from simulator.units import Unit, agency_id, build_units

__all__ = ["World", "Index", "agency_id"]

DEFAULT_SEED = 766
OFFICERS_PER_UNIT = 8
# Worlds above this many expected dossiers build their index with one process per core.
PARALLEL_THRESHOLD = 100_000


@dataclass
class Index:
    """Every dossier visible at `as_of`, sorted by (updatedDate, id) ascending."""

    as_of: int
    keys: np.ndarray  # uint64 dossier keys
    updated: np.ndarray  # int64 epoch seconds
    accepted_day: np.ndarray  # int32 unix day of acceptance (Vietnam time), -1 if none
    synced: np.ndarray  # int64 epoch seconds of the last national sync, -1 if none
    next_change: np.ndarray  # int64 epoch seconds of the next change after as_of
    units: np.ndarray  # int16 unit index
    national_order: np.ndarray  # positions of synced dossiers sorted by (synced, key)
    national_synced: np.ndarray  # synced[national_order], for window searches

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def nbytes(self) -> int:
        return sum(
            a.nbytes
            for a in (
                self.keys,
                self.updated,
                self.accepted_day,
                self.synced,
                self.next_change,
                self.units,
                self.national_order,
                self.national_synced,
            )
        )


class World:
    def __init__(
        self,
        seed: int = DEFAULT_SEED,
        history_start: dt.date = DEFAULT_HISTORY_START,
        scale: float = 1.0,
        last_year: int | None = None,
    ):
        self.seed = seed
        self.history_start = history_start
        self.scale = scale
        self.units: list[Unit] = build_units()
        self.units_by_code = {u.code: u for u in self.units}
        self.unit_index = {u.code: i for i, u in enumerate(self.units)}
        self.procedures = build_catalogue(self.units)
        self.procedures_by_id = {p.id: p for p in self.procedures}
        self.chooser = ProcedureChooser(self.procedures)
        last_year = last_year or max(dt.date.today().year, 2026) + 2
        self.calendar = WorkingCalendar(min(history_start.year, P.KEY_EPOCH.year), last_year)
        self.clock = Clock(self.calendar)
        self.officers = {
            u.code: officers(random.Random(f"{seed}:officers:{u.code}"), OFFICERS_PER_UNIT)
            for u in self.units
        }
        self._indexes: OrderedDict[int, Index] = OrderedDict()
        self._lock = threading.Lock()

    # --- volumes ---------------------------------------------------------------------------
    def receiving_share(self, unit: Unit, day: dt.date) -> float:
        table = (
            P.RECEPTION_SHARE_BEFORE_REORG if day < P.REORG_DATE else P.RECEPTION_SHARE_AFTER_REORG
        )
        return table.get(unit.code, 0.0) / sum(table.values())

    @lru_cache(maxsize=4096)  # noqa: B019 - the world lives as long as the process
    def daily_counts(self, unit_index: int, year: int, month: int) -> np.ndarray:
        """Dossiers the unit receives on each day of the month (index 0 = day 1)."""
        unit = self.units[unit_index]
        first = dt.date(year, month, 1)
        days = [
            first + dt.timedelta(days=i)
            for i in range(31)
            if (first + dt.timedelta(days=i)).month == month
        ]
        weights = []
        for day in days:
            if not unit.valid_on(day) or self.receiving_share(unit, day) == 0:
                weights.append(0.0)
            elif self.clock.working_day(self.clock.unix_day_of_date(day)):
                weights.append(P.WEEKDAY_FACTOR[day.weekday()])
            else:
                weights.append(P.NON_WORKING_DAY_FACTOR)
        total = sum(
            P.WEEKDAY_FACTOR[d.weekday()]
            if self.clock.working_day(self.clock.unix_day_of_date(d))
            else P.NON_WORKING_DAY_FACTOR
            for d in days
        )
        monthly = (
            P.AREA_MONTHLY_DOSSIERS
            * self.scale
            * P.MONTH_FACTOR[month]
            * (1 + P.YEARLY_GROWTH) ** ((year - 2024) + (month - 1) / 12)
        )
        if unit.valid_from == P.REORG_DATE and (year, month) == (
            P.REORG_DATE.year,
            P.REORG_DATE.month,
        ):
            monthly *= P.REORG_FIRST_MONTH_FACTOR
        lams = [
            monthly * w / total * (self.receiving_share(unit, d) if w else 0.0)
            for w, d in zip(weights, days, strict=True)
        ]
        rng = np.random.default_rng([self.seed, unit_index, year, month])
        return rng.poisson(lams)

    def keys_between(
        self, first: dt.date, last: dt.date, unit_indexes: list[int] | None = None
    ) -> Iterator[int]:
        """Keys of the dossiers submitted on days first..last (inclusive), unit by unit."""
        first = max(first, self.history_start)
        for ui in unit_indexes if unit_indexes is not None else range(len(self.units)):
            unit = self.units[ui]
            if not any(
                unit.code in t
                for t in (P.RECEPTION_SHARE_BEFORE_REORG, P.RECEPTION_SHARE_AFTER_REORG)
            ):
                continue
            day = first.replace(day=1)
            while day <= last:
                counts = self.daily_counts(ui, day.year, day.month)
                for i, n in enumerate(counts):
                    d = day + dt.timedelta(days=i)
                    if first <= d <= last:
                        unix_day = self.clock.unix_day_of_date(d)
                        for seq in range(int(n)):
                            yield pack(ui, unix_day, seq)
                day = (day + dt.timedelta(days=32)).replace(day=1)

    def expected_count(self, until: dt.date) -> int:
        months = (
            (until.year - self.history_start.year) * 12 + until.month - self.history_start.month + 1
        )
        return int(P.AREA_MONTHLY_DOSSIERS * self.scale * months)

    # --- dossiers ----------------------------------------------------------------------------
    def life(self, key: int) -> Life:
        return generate_life(self, key)

    # --- the index -------------------------------------------------------------------------
    def index(self, as_of: dt.datetime | int) -> Index:
        """The index at `as_of`, built once (or advanced from the latest earlier index)."""
        at = as_of if isinstance(as_of, int) else epoch(as_of)
        with self._lock:
            if at in self._indexes:
                self._indexes.move_to_end(at)
                return self._indexes[at]
            earlier = [i for t, i in self._indexes.items() if t < at]
            index = self._advance(earlier[-1], at) if earlier else self._build_index(at)
            self._indexes[at] = index
            while len(self._indexes) > 2:
                self._indexes.popitem(last=False)
            return index

    def _build_index(self, at: int) -> Index:
        last_day = _local_day(at)
        processes = min(os.cpu_count() or 1, 8)
        if self.expected_count(last_day) > PARALLEL_THRESHOLD and processes > 1:
            global _WORKER_WORLD
            _WORKER_WORLD = self
            tasks = [(c, at) for c in self._month_tasks(last_day)]
            parts = [list(part) for part in fork_map(_scan_worker, tasks, processes)]
        else:
            tasks = [(ui, self.history_start, last_day) for ui in range(len(self.units))]
            parts = [list(self._scan(self._keys_of_tasks(tasks), at))]
        return self._sorted_index(at, _concatenate_columns(parts))

    def _advance(self, old: Index, at: int) -> Index:
        """The index at a later instant: regenerate only dossiers that changed or arrived."""
        changed = old.next_change <= at
        keep = ~changed
        stale_keys = old.keys[changed]
        first_new_day = _local_day(old.as_of)
        arrivals = (
            key
            for key in self.keys_between(first_new_day, _local_day(at))
            if _day_of_key(key) > first_new_day or generate_life(self, key).submitted > old.as_of
        )
        fresh = self._scan(itertools.chain((int(k) for k in stale_keys), arrivals), at)
        kept = [
            a[keep] for a in (old.keys, old.updated, old.accepted_day, old.synced, old.next_change)
        ]
        return self._sorted_index(at, _concatenate_columns([kept, list(fresh)]))

    def _sorted_index(self, at: int, columns: list[np.ndarray]) -> Index:
        """Sort the columns (consumed: the caller's list is emptied so that each unsorted
        column is freed as soon as its sorted copy exists; the peak is one column over)."""
        prefix = id_prefix_np(self.seed, columns[0])
        order = np.lexsort((columns[0], prefix, columns[1]))
        del prefix
        for i in range(len(columns)):
            columns[i] = columns[i][order]
        del order
        keys, updated, accepted, synced, next_change = columns
        columns.clear()
        has_sync = np.flatnonzero(synced >= 0)
        national = has_sync[np.lexsort((keys[has_sync], synced[has_sync]))].astype(np.int32)
        del has_sync
        return Index(
            at,
            keys,
            updated,
            accepted,
            synced,
            next_change,
            unit_of_keys(keys),
            national,
            synced[national],
        )

    def _month_tasks(self, last_day: dt.date) -> list[list[tuple[int, dt.date, dt.date]]]:
        tasks = []
        month = self.history_start.replace(day=1)
        while month <= last_day:
            end = min(
                (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1), last_day
            )
            tasks.append(
                [(ui, max(month, self.history_start), end) for ui in range(len(self.units))]
            )
            month = end + dt.timedelta(days=1)
        return tasks

    def _keys_of_tasks(self, tasks) -> Iterator[int]:
        for ui, first, last in tasks:
            yield from self.keys_between(first, last, [ui])

    def _scan(self, keys_in, at: int):
        """Index columns of the given dossiers that are visible at `at`."""
        keys, updated, accepted, synced, next_change = [], [], [], [], []
        for key in keys_in:
            life = generate_life(self, key)
            if not life.visible(at):
                continue
            keys.append(key)
            updated.append(life.updated_at(at))
            acc = life.accepted_at(at)
            accepted.append(-1 if acc is None else (acc + OFFSET) // DAY)
            s = life.synced_at(at)
            synced.append(-1 if s is None else s)
            next_change.append(life.next_change(at))
        return (
            np.array(keys, dtype=np.uint64),
            np.array(updated, dtype=np.int64),
            np.array(accepted, dtype=np.int32),
            np.array(synced, dtype=np.int64),
            np.array(next_change, dtype=np.int64),
        )

    # --- for the evaluation endpoints ------------------------------------------------------
    def subtree_codes(self, code: str) -> set[str]:
        codes, frontier = {code}, [code]
        while frontier:
            parent = frontier.pop()
            for unit in self.units:
                if unit.parent_code == parent and unit.code not in codes:
                    codes.add(unit.code)
                    frontier.append(unit.code)
        return codes


_WORKER_WORLD: World | None = None


def _scan_worker(args):
    tasks, at = args
    return _WORKER_WORLD._scan(_WORKER_WORLD._keys_of_tasks(tasks), at)


def _concatenate_columns(parts: list[list[np.ndarray]]) -> list[np.ndarray]:
    """Column-wise concatenation of scan results, releasing each part's column once copied,
    so that the peak is the result plus one column of parts (not twice the index)."""
    columns = []
    for i in range(len(parts[0]) if parts else 0):
        columns.append(np.concatenate([part[i] for part in parts]))
        for part in parts:
            part[i] = None
    parts.clear()
    return columns


def _local_day(at: int) -> dt.date:
    return dt.date.fromordinal(719163 + (at + OFFSET) // DAY)


def _day_of_key(key: int) -> dt.date:
    return dt.date.fromordinal(719163 + unpack(key)[1])
