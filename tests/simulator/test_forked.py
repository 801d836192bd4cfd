"""The simulator's forked workers: a worker that dies fails the request instead of hanging it
(multiprocessing.Pool waited forever for a dead worker's task; seen once under load)."""

from __future__ import annotations

import os
import sys
from concurrent.futures.process import BrokenProcessPool

import pytest

from simulator.forked import fork_map

_DIES_ON: int | None = None


def _square_or_die(x: int) -> int:
    if x == _DIES_ON:
        os._exit(1)
    return x * x


def test_results_come_back_in_the_tasks_order():
    assert fork_map(_square_or_die, range(20), 2) == [x * x for x in range(20)]


def test_a_worker_that_dies_raises_instead_of_hanging(monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "_DIES_ON", 3)
    with pytest.raises(BrokenProcessPool):
        fork_map(_square_or_die, range(20), 2)
