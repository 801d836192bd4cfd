"""Progress and warnings of a landing in the run's event log, where operators look.

While an extraction asset runs (`observed(context)`):

- every crawl it starts reports to one `RunProgress` (pipeline/sources/crawl.py
  `CRAWL_OBSERVER`), which logs windows done of total, pages, records and the rate to the run's
  event log every `PROGRESS_INTERVAL_SECONDS` (default 30) — from its own thread, so a line
  comes even while a request hangs in its retries;
- the connectors' warnings (`pipeline.sources.*`: a portal's retries, Retry-After waits) go
  to the same event log, besides the process's stderr.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from pipeline.config import ConfigError
from pipeline.sources.crawl import CRAWL_OBSERVER

DEFAULT_INTERVAL = 30.0
SOURCES_LOGGER = "pipeline.sources"


def progress_interval() -> float:
    value = os.environ.get("PROGRESS_INTERVAL_SECONDS") or str(DEFAULT_INTERVAL)
    try:
        seconds = float(value)
    except ValueError as exc:
        raise ConfigError(f"PROGRESS_INTERVAL_SECONDS is not a number: {value!r}") from exc
    if seconds <= 0:
        raise ConfigError(f"PROGRESS_INTERVAL_SECONDS must be positive, got {seconds}")
    return seconds


class RunProgress:
    """Counts of the crawls of one asset (thread-safe) and the line that reports them."""

    def __init__(self, log, label: str, interval: float, clock=time.monotonic):
        self.log = log
        self.label = label
        self.interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.started = clock()
        self.total = self.done = self.pages = self.records = 0
        self.lines = 0

    # CrawlObserver
    def windows(self, total: int) -> None:
        with self._lock:
            self.total += total

    def window_done(self) -> None:
        with self._lock:
            self.done += 1

    def page(self, records: int) -> None:
        with self._lock:
            self.pages += 1
            self.records += records

    def line(self) -> str:
        with self._lock:
            done, total, pages, records = self.done, self.total, self.pages, self.records
        elapsed = max(self._clock() - self.started, 1e-9)
        return (
            f"{self.label}: {done} of {total} windows done, {pages} pages, {records} records "
            f"in {elapsed:.0f} s ({records / elapsed:.0f} records/s)"
        )

    def report(self) -> None:
        self.log.info(self.line())
        self.lines += 1

    def start(self) -> None:
        def beat() -> None:
            while not self._stop.wait(self.interval):
                # Lines start with the first crawl (a step without one has nothing to count).
                if self.total:
                    self.report()

        self._thread = threading.Thread(target=beat, name=f"progress-{self.label}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


class RunLogHandler(logging.Handler):
    """Python log records to a Dagster run's log, at their level."""

    def __init__(self, log, level: int = logging.WARNING):
        super().__init__(level)
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = f"{record.name}: {record.getMessage()}"
            if record.levelno >= logging.ERROR:
                self.log.error(message)
            elif record.levelno >= logging.WARNING:
                self.log.warning(message)
            else:
                self.log.info(message)
        except Exception:  # noqa: BLE001 - logging must never fail a landing
            self.handleError(record)


@contextmanager
def observed(context: dg.AssetExecutionContext) -> Iterator[RunProgress]:
    """Progress lines and the connectors' warnings in the run's event log while the block runs;
    a last progress line when it ends (if a crawl ran)."""
    label = context.asset_key.to_user_string()
    progress = RunProgress(context.log, label, progress_interval())
    handler = RunLogHandler(context.log, logging.WARNING)
    logger = logging.getLogger(SOURCES_LOGGER)
    logger.addHandler(handler)
    token = CRAWL_OBSERVER.set(progress)
    progress.start()
    try:
        yield progress
    finally:
        progress.stop()
        CRAWL_OBSERVER.reset(token)
        logger.removeHandler(handler)
        if progress.total:
            progress.report()


def step_windows(instance: dg.DagsterInstance, run_id: str) -> dict[str, tuple[float, float]]:
    """When each step of a run started and ended (seconds since the epoch), from its event log:
    where a run's time went (the demo prints it; the benchmark measures its extraction)."""
    started: dict[str, float] = {}
    windows: dict[str, tuple[float, float]] = {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":  # a retried step: from its first start
            started.setdefault(event.step_key, entry.timestamp)
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
            windows[event.step_key] = (started[event.step_key], entry.timestamp)
    return windows


def extraction_seconds(windows: dict[str, tuple[float, float]]) -> float | None:
    """A run's whole extraction: its raw landings (`raw__*` steps, both portals), from the first
    start to the last end; None when the run had none."""
    raw = [window for key, window in windows.items() if key.startswith("raw__")]
    if not raw:
        return None
    return max(end for _, end in raw) - min(start for start, _ in raw)
