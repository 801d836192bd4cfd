"""Time-windowed keyset crawling of a source that pages records ordered by a change instant.

Both portals list records by a change instant (`updatedDate`, `NgayDongBo`, `NgayCapNhat`)
inside a half-open window, in pages. Offset paging misses records that move while we page
(their instant grows, the rest shift forward by one), so every window is read by keyset: each
request starts at the latest instant already seen, and a page filled by a single instant is
read through by offset inside that instant only. A record that moves is met again later (a
duplicate the caller deduplicates by key), never skipped.

Concurrency without losses: the span before `tail_from` is cut into bounded windows read in
parallel; a record that changes during the crawl can only move to an instant after the
source's clock, so it always lands in the tail window, which is read last, alone.
`tail_from` must therefore not be later than the source's clock when the crawl starts.

Memory stays bounded whatever the size of the source: pages are handed over as they arrive
(pages of one window in order, windows interleaved) through a queue of a few pages, so a
province-size crawl never holds more than `workers` + `PREFETCH_PAGES` pages.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")
# Pages fetched ahead of the consumer (besides the one each worker holds while it waits).
PREFETCH_PAGES = 4
_DONE = object()


@dataclass(frozen=True)
class Page:
    records: list
    last: bool


# (window start (inclusive), window end (exclusive) or None, 0-based page in the window)
FetchPage = Callable[[dt.datetime, dt.datetime | None, int], Page]
InstantOf = Callable[[object], dt.datetime | None]


def parallel_map(fn: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """`fn` over `items` on at most `workers` threads, results in order. The first failure
    cancels what has not started and is raised: a source that is down fails the run fast."""
    pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="source")
    futures = [pool.submit(fn, item) for item in items]
    try:
        for future in futures:
            yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def month_windows(start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """[start, end) cut at the first instant of every calendar month (in `start`'s zone)."""
    windows, lo = [], start
    while lo < end:
        first = lo.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        hi = min((first + dt.timedelta(days=32)).replace(day=1), end)
        windows.append((lo, hi))
        lo = hi
    return windows


def split(
    windows: list[tuple[dt.datetime, dt.datetime]], at_least: int
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The windows, the longest halved (at whole seconds) until there are `at_least`: a short
    crawl (the last weeks of changes) still keeps every worker's request in flight, since
    the pages of one window are read one after another (keyset)."""
    windows = list(windows)
    while 0 < len(windows) < at_least:
        i = max(range(len(windows)), key=lambda n: windows[n][1] - windows[n][0])
        lo, hi = windows[i]
        half = (hi - lo) // 2
        half -= dt.timedelta(microseconds=half.microseconds)
        if half < dt.timedelta(hours=1):
            break
        windows[i : i + 1] = [(lo, lo + half), (lo + half, hi)]
    return windows


Window = tuple[dt.datetime, dt.datetime | None]  # [lo, hi); hi None: no upper bound


def window_plan(
    start: dt.datetime, tail_from: dt.datetime, present: dt.datetime | None, workers: int
) -> tuple[list[Window], list[Window]]:
    """The windows of a crawl (see `KeysetCrawler.crawl`): the bounded ones before
    `tail_from`, read in parallel (month windows, split until every worker has two), then
    the tail, read alone and in this order: [present, ∞) first, [tail, present) last."""
    parallel = split(month_windows(start, tail_from), 2 * max(1, workers))
    tail = max(start, tail_from)
    if present is not None and present > tail:
        return parallel, [(present, None), (tail, present)]
    return parallel, [(tail, None)]


class CrawlObserver(Protocol):
    """Told of a crawl's progress, from any of its threads (pipeline/progress.py)."""

    def windows(self, total: int) -> None: ...
    def window_done(self) -> None: ...
    def page(self, records: int) -> None: ...


# The observer of the crawls started in this context (set around an asset's run); a crawler
# takes it when it is made, so its worker threads report to the asset that started it.
CRAWL_OBSERVER: ContextVar[CrawlObserver | None] = ContextVar("crawl_observer", default=None)


class _Unobserved:
    def windows(self, total: int) -> None:
        pass

    def window_done(self) -> None:
        pass

    def page(self, records: int) -> None:
        pass


@dataclass(frozen=True)
class _Failure:
    exc: BaseException


class KeysetCrawler:
    def __init__(
        self,
        fetch: FetchPage,
        instant_of: InstantOf,
        resolution: dt.timedelta,
        workers: int = 4,
    ):
        self.fetch = fetch
        self.instant_of = instant_of
        self.resolution = resolution
        self.workers = max(1, workers)
        self.observer = CRAWL_OBSERVER.get() or _Unobserved()

    def crawl(
        self, start: dt.datetime, tail_from: dt.datetime, present: dt.datetime | None = None
    ) -> Iterator[list]:
        """Pages of every record whose instant is at or after `start`.

        `present` (the latest instant the source can truly hold, e.g. our clock plus a skew
        tolerance) bounds the tail: [present, ∞) is read first, then [tail_from, present).
        Inside a bounded window only instants inside it move the cursor, so a record claiming
        a far-future change (bad data) can never make the crawl jump over the real ones.
        [tail_from, present) is read last: a record that changes during the crawl moves to an
        instant after the source's clock and before `present`, into this window, so it is
        seen as long as the crawl is still reading. Read before [present, ∞), a record that
        changed while that last window was read would be lost to this run."""
        windows, tails = window_plan(start, tail_from, present, self.workers)
        self.observer.windows(len(windows) + len(tails))
        yield from self.pages_of_windows(windows)
        for lo, hi in tails:
            yield from self.window(lo, hi)
            self.observer.window_done()

    def pages_of_windows(self, windows: list[tuple[dt.datetime, dt.datetime]]) -> Iterator[list]:
        """Pages of every window, read by `workers` threads, as they arrive: the pages of one
        window in order, windows interleaved. The first failure stops the crawl and is raised;
        a consumer that stops early stops the workers."""
        if not windows:
            return
        pending = iter(windows)
        claim = threading.Lock()
        pages: queue.Queue = queue.Queue(maxsize=PREFETCH_PAGES)
        stop = threading.Event()

        def put(item) -> bool:
            while not stop.is_set():
                try:
                    pages.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def work() -> None:
            try:
                while not stop.is_set():
                    with claim:
                        window = next(pending, None)
                    if window is None:
                        return
                    for page in self.window(*window):
                        if not put(page):
                            return
                    self.observer.window_done()
            except BaseException as exc:  # noqa: BLE001 - handed to the consumer
                put(_Failure(exc))
            finally:
                put(_DONE)

        workers = min(self.workers, len(windows))
        threads = [
            threading.Thread(target=work, name=f"source-{i}", daemon=True) for i in range(workers)
        ]
        for thread in threads:
            thread.start()
        running = workers
        try:
            while running:
                item = pages.get()
                if item is _DONE:
                    running -= 1
                elif isinstance(item, _Failure):
                    raise item.exc
                else:
                    yield item
        finally:
            stop.set()
            for thread in threads:
                thread.join()

    def window(self, lo: dt.datetime, hi: dt.datetime | None) -> Iterator[list]:
        cursor = lo
        while True:
            page = self.fetch(cursor, hi, 0)
            self.observer.page(len(page.records))
            if page.records:
                yield page.records
            if page.last or not page.records:
                return
            # Only instants inside the window move the cursor: a garbled one must not skip.
            instants = filter(None, map(self.instant_of, page.records))
            latest = max(
                (t for t in instants if t >= cursor and (hi is None or t < hi)), default=None
            )
            if latest is None or latest <= cursor:
                # A whole page shares the cursor's instant: read that instant by offset.
                step = cursor + self.resolution
                yield from self._instant(cursor, step if hi is None else min(step, hi))
                cursor = step
                if hi is not None and cursor >= hi:
                    return
            else:
                cursor = latest

    def _instant(self, lo: dt.datetime, hi: dt.datetime) -> Iterator[list]:
        page_number = 1
        while True:
            page = self.fetch(lo, hi, page_number)
            self.observer.page(len(page.records))
            if page.records:
                yield page.records
            if page.last or not page.records:
                return
            page_number += 1
