"""Two landings at once never interleave, and a build never reads a half-committed one.

`make refresh` may start while the schedule's run is landing, in another process, even under
another Dagster instance; Dagster's pools are per instance, so the guarantee is kept by the
data folder itself, with advisory file locks (`flock`) in `DATA_DIR/locks/`, which the kernel
releases when their holder dies (a killed run never leaves a lock behind):

- `landing.lock`, exclusive, held across a whole landing (reading the watermark, the crawl,
  the commit, the new watermark): landings of one data folder run one after another, so the
  second of two runs starts from the watermark the first one recorded;
- `raw-commit.lock`, exclusive while a landing moves its files into the raw zone; shared
  while a build takes the list of raw runs it records as read (`build_state.py`). A run whose
  files are only partly in place is therefore never recorded as read: it is either wholly in
  that list or not at all (and then read by the next build).
  The build does not hold it while dbt runs: a run committed meanwhile is not in the list,
  so the next build reads it again (reading again never duplicates: the latest version wins).
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import wraps
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)

LOCKS_DIR = "locks"
LANDING_LOCK = "landing.lock"
RAW_COMMIT_LOCK = "raw-commit.lock"
# How often a waiting landing says it is still waiting.
WAIT_REPORT_SECONDS = 30.0
_POLL_SECONDS = 0.05

T = TypeVar("T")


def locks_dir(data_dir: Path) -> Path:
    return Path(data_dir) / LOCKS_DIR


@contextmanager
def file_lock(path: Path, *, shared: bool = False, what: str = "lock") -> Iterator[None]:
    """Hold `path` locked (exclusive, or shared) for the block; wait as long as it takes,
    saying every `WAIT_REPORT_SECONDS` what it waits for."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        started = time.monotonic()
        reported = started
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                now = time.monotonic()
                if now - reported >= WAIT_REPORT_SECONDS:
                    log.info("waiting %.0f s for %s (held by another run)", now - started, what)
                    reported = now
                time.sleep(_POLL_SECONDS)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def landing_lock(data_dir: Path) -> AbstractContextManager[None]:
    return file_lock(locks_dir(data_dir) / LANDING_LOCK, what="the landing of another run")


def raw_commit_lock(data_dir: Path, *, shared: bool = False) -> AbstractContextManager[None]:
    return file_lock(
        locks_dir(data_dir) / RAW_COMMIT_LOCK,
        shared=shared,
        what="a landing moving its files into the raw zone" if shared else "a build's read",
    )


def serialized(method: Callable[..., T]) -> Callable[..., T]:
    """A landing method run under the data folder's landing lock (`self.settings.data_dir`)."""

    @wraps(method)
    def locked(self, *args, **kwargs) -> T:
        with landing_lock(self.settings.data_dir):
            return method(self, *args, **kwargs)

    return locked


def committed(data_dir: Path, land: Callable[[], T]) -> Callable[[], T]:
    """`land` (moving a landing's files into the raw zone) run under the raw-commit lock."""

    def locked() -> T:
        with raw_commit_lock(data_dir):
            return land()

    return locked
