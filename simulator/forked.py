"""Work spread over forked processes, failing loudly when a worker dies.

The simulator forks its workers from a threaded HTTP server (the world's index and the
evaluation's facts are built on the first request that needs them). `multiprocessing.Pool`
waits forever for the task of a worker that died (killed, out of memory); the executor raises
`BrokenProcessPool` instead, so the request fails, the client retries and nothing hangs."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def fork_map(function: Callable[[T], R], tasks: Iterable[T], processes: int) -> list[R]:
    """`function` over `tasks` in `processes` forked workers, results in the tasks' order.

    The workers inherit the parent's memory (module globals set just before the call)."""
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(function, tasks))
