"""Fewer garbage-collector passes while a landing turns pages into rows.

Validating a page builds tens of thousands of small container objects (a model, its field
dict and its extras per dossier, fee, file and step). With CPython's default first-generation
threshold (700 allocations) the collector runs every dozen dossiers and rescans the young
objects each time: measured, over half of a dossier's validation time. Cycles are rare in this
work (the objects die by reference counting), so a landing raises the threshold while it runs
and restores the previous one after; landings running in parallel threads share one raise.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

# Allocations between first-generation passes while a landing runs (CPython default: 700).
LANDING_THRESHOLD = 50_000

_lock = threading.Lock()
_users = 0
_saved: tuple[int, int, int] | None = None


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    global _users, _saved
    with _lock:
        if _users == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(max(LANDING_THRESHOLD, _saved[0]), *_saved[1:])
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None
