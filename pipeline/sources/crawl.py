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

Crowded instants (hundreds of records changed in one second) are not read twice in the windows
before the tail: a page that ends inside one goes on at the offset of the records of that
instant it holds (the portal breaks ties by key, so they open the list from that instant), and
only when the page there starts with the last record read, i.e. nothing before it left the list
(see `KeysetCrawler._past_ties`); otherwise keyset reads on from the instant, as in the tail.

Memory stays bounded whatever the size of the source: pages are handed over as they arrive
(pages of one window in order, windows interleaved) through a queue of a few pages, so a
province-size crawl never holds more than `workers` + `PREFETCH_PAGES` pages.

Completeness is checked, not assumed. A window ends on an empty page, or when the page read
reaches the count the portal announced for the request (`totalElements`, `tongSoBanGhi`) and the
portal does not say there is more; a page shorter than asked, or one without a `last` flag, never
ends it early, and a short page skips nothing: keyset reads on from the latest instant the page
holds, and inside one instant the rest of a short offset page is read from its first unread offset
in smaller pages (asking the same page again could come back just as short, and the next page starts
after the hole). Each window then compares the records it read (distinct keys) with the count
announced by its first request. Records that change during the crawl make the two differ honestly: a
change moves a record to an instant after the source's clock, so it can only leave a window before
the tail (read or not) or arrive in the tail. On a difference the window is counted again (one
request): if what was read lies between the announced count and the recount, the difference is
records that moved (they are read in the tail, or by the next run from the unmoved watermark);
otherwise records were lost on the way and the crawl fails with `IncompleteCrawl` naming the window
and the counts (never a record's value), so the landing fails and its watermark does not move.
Offset paging could not tell a move from a loss (the rest of the window shifts by one); keyset
paging can, which is why windows are read so. The check is exact when nothing moves; when records
move, a loss in a window that a record already read leaves during the same crawl is hidden by the
counts (one read too many against one too few): counts alone cannot tell these apart, and re-reading
every window that moved would double the cost of the crawls that meet changes."""

from __future__ import annotations

import datetime as dt
import json
import logging
import queue
import threading
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol, TypeVar

from pipeline.sources.http import SourceError

T = TypeVar("T")
R = TypeVar("R")
# Pages fetched ahead of the consumer (besides the one each worker holds while it waits).
PREFETCH_PAGES = 4
# The share of a page of records read again that is worth a request of its own to avoid
# (`KeysetCrawler._past_ties`): a request costs both sides a few records' worth of CPU.
TIES_WORTH_A_REQUEST = 0.2
_DONE = object()
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Page:
    """One answer of a paged list: its records, the portal's `last` flag (None when the
    portal sent none) and the count it announced for the whole request (None when none)."""

    records: list
    last: bool | None = None
    total: int | None = None


class FetchPage(Protocol):
    """One page of [lo, hi) (hi None: unbounded): the 0-based `page` of pages of `size`
    records (None: the crawler's `page_size`). The crawler asks another size only to read
    the rest of a short page inside one instant (records from offset `page * size`)."""

    def __call__(
        self, lo: dt.datetime, hi: dt.datetime | None, page: int, size: int | None = None
    ) -> Page: ...


InstantOf = Callable[[object], dt.datetime | None]
KeyOf = Callable[[object], object]


class IncompleteCrawl(SourceError):
    """A window read fewer or more records than the portal announced for it."""


def is_final(page: Page, number: int, page_size: int | None) -> bool:
    """Whether `page` (0-based `number` of one request's pages) ends the request's list.

    An empty page always does. Otherwise the announced count decides (the records up to this
    page reach it) unless the portal says there is more; without a count, only a `last` flag
    that is present and true ends the list. A page shorter than asked decides nothing."""
    if not page.records:
        return True
    if page.total is not None and (page_size is not None or number == 0):
        # A page holding more than asked (repeats of the previous page) ends no further.
        held = len(page.records) if page_size is None else min(len(page.records), page_size)
        return (number * (page_size or 0) + held >= page.total) and page.last is not False
    return page.last is True


def record_key(key_of: KeyOf | None, record: object) -> int:
    """The 64-bit hash of the record's key (of its canonical JSON when it has none), so that
    a window of a province holds a set of integers, not of records."""
    key = key_of(record) if key_of is not None else None
    if not isinstance(key, str | int) or isinstance(key, bool):
        key = json.dumps(record, sort_keys=True, default=str, ensure_ascii=False)
    return hash(key)


def has_key(key_of: KeyOf | None, record: object) -> bool:
    """Whether the record carries a usable key (a spoiled one, e.g. JSON sent as a string,
    may not: it cannot be matched to what the portal announced, and the landing rejects it)."""
    if key_of is None:
        return True
    key = key_of(record)
    return isinstance(key, str | int) and not isinstance(key, bool)


class _Tally:
    """What one window announced and read: the distinct keys, and apart from them the
    distinct records without a key (each may or may not be one of the announced records)."""

    def __init__(self, key_of: KeyOf | None):
        self.key_of = key_of
        self.announced: int | None = None
        self.keys: set[int] = set()
        self.keyless: set[int] = set()

    def add(self, page: Page, first: bool) -> None:
        if first and self.announced is None:
            self.announced = page.total
        for record in page.records:
            kept = self.keys if has_key(self.key_of, record) else self.keyless
            kept.add(record_key(self.key_of, record))

    @property
    def read(self) -> int:
        return len(self.keys)

    def accounts_for(self, low: int, high: int) -> bool:
        """Whether what was read can be between `low` and `high` records of the portal's."""
        return self.read <= high and self.read + len(self.keyless) >= low


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
        *,
        key_of: KeyOf | None = None,
        page_size: int | None = None,
        label: str = "records",
    ):
        self.fetch = fetch
        self.instant_of = instant_of
        self.resolution = resolution
        self.workers = max(1, workers)
        self.observer = CRAWL_OBSERVER.get() or _Unobserved()
        # The record's source key (duplicates and moved records count once per window).
        self.key_of = key_of
        # The page size asked of `fetch` (an offset page's place in its list).
        self.page_size = page_size
        self.label = label

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
                    for page in self.window(*window, settled=True):
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

    def window(
        self, lo: dt.datetime, hi: dt.datetime | None, settled: bool = False
    ) -> Iterator[list]:
        """The pages of [lo, hi). `settled`: a window before the tail, which records can only
        leave while it is read (a change moves a record past the source's clock): there, the
        records of a crowded instant already read are not read again (`_past_ties`)."""
        tally = _Tally(self.key_of)
        cursor = lo
        page: Page | None = None  # a page that goes on from `cursor` without a gap
        while True:
            continued = page is not None
            if page is None:
                page = self.fetch(cursor, hi, 0)
                self.observer.page(len(page.records))
                tally.add(page, first=True)
                if page.records:
                    yield page.records
                if is_final(page, 0, self.page_size):
                    break
            # Only instants inside the window move the cursor: a garbled one must not skip.
            instants = filter(None, map(self.instant_of, page.records))
            latest = max(
                (t for t in instants if t >= cursor and (hi is None or t < hi)), default=None
            )
            if continued and (latest is None or latest <= cursor):
                page = None  # the crowded instant goes on: read on from its first record
                continue
            if latest is None or latest <= cursor:
                # A whole page shares the cursor's instant: read that instant by offset (from
                # its first page again when this one came back short: no offset is skipped).
                step = cursor + self.resolution
                full = self.page_size is None or len(page.records) >= self.page_size
                yield from self._instant(
                    cursor, step if hi is None else min(step, hi), tally, 1 if full else 0
                )
                cursor = step
                page = None
                if hi is not None and cursor >= hi:
                    break
                continue
            cursor = latest
            records, page = page.records, None
            if settled:
                ahead = yield from self._past_ties(latest, hi, records, tally)
                if ahead is not None:
                    final, page = ahead
                    if final:
                        break
        self._check(lo, hi, tally)

    def _past_ties(
        self, latest: dt.datetime, hi: dt.datetime | None, records: list, tally: _Tally
    ) -> Generator[list, None, tuple[bool, Page] | None]:
        """After a page that ends inside a crowded instant `latest`, the rest of the list from
        `latest` without reading that instant's records again, when it pays.

        The portal orders a list by instant, ties broken by key (sources.md A.4): from
        `latest`, the page's last `tied` records open the list, so the list goes on at offset
        `tied`. The page of `tied - 1` records at offset `tied - 1` is asked; when it starts
        with the last record read, nothing before it left the list and it goes on without a
        gap (the window is settled: records only leave it). It is asked when the records it
        saves serving again (`tied`, of a page from `latest`) are worth the request: at least
        `TIES_WORTH_A_REQUEST` of a page. (whether it ends the window, the page) is returned
        when it goes on without a gap, None otherwise (keyset reads on from `latest`)."""
        size = self.page_size
        tied = 0
        for record in reversed(records):
            if self.instant_of(record) != latest:
                break
            tied += 1
        if size is None or tied < max(3, int(size * TIES_WORTH_A_REQUEST)):
            return None
        if any(self.instant_of(record) == latest for record in records[:-tied]):
            return None  # the instant's records are not all at the end of the page
        page = self.fetch(latest, hi, 1, tied - 1)
        yield from self._take(page, tally)
        if not page.records or page.records[0] != records[-1]:
            return None
        return is_final(page, 1, tied - 1), page

    def _instant(
        self, lo: dt.datetime, hi: dt.datetime, tally: _Tally, page_number: int
    ) -> Iterator[list]:
        """The records of one instant [lo, hi), read by offset from `page_number`.

        A page shorter than asked that does not end the list left offsets unread before the
        next page's first one. Asking it again may come back just as short (a portal that
        drops the tail of a page drops it again), so the rest of the page is read in smaller
        pages that start exactly at the first offset not yet read: every answer that holds a
        record moves that offset on, so the gap is closed in a bounded number of requests
        whatever the portal does, and a clean crawl asks nothing more."""
        seen: set[int] = set()  # the keys of the instant's records read so far
        while True:
            page = self.fetch(lo, hi, page_number)
            yield from self._take(page, tally)
            new = self._new(page, seen)
            if is_final(page, page_number, self.page_size):
                return
            if self.page_size is not None and 0 < new < self.page_size:
                offset, end = page_number * self.page_size + new, (page_number + 1) * self.page_size
                if page.total is not None:
                    end = min(end, page.total)
                offset = yield from self._rest_of_page(lo, hi, tally, seen, offset, end)
                if page.total is not None and offset >= page.total and page.last is not False:
                    return  # the announced count is read: no page after this one to ask
            page_number += 1

    def _rest_of_page(
        self,
        lo: dt.datetime,
        hi: dt.datetime,
        tally: _Tally,
        seen: set[int],
        offset: int,
        end: int,
    ) -> Generator[list, None, int]:
        """The records at offsets [offset, end) of the instant [lo, hi), each page of the
        largest size that starts at `offset` (a divisor of it) and ends by `end`; returns the
        offset reached."""
        while offset < end:
            size = aligned_size(offset, end - offset)
            page = self.fetch(lo, hi, offset // size, size)
            yield from self._take(page, tally)
            new = self._new(page, seen)
            if not new:
                break  # the instant ends here (or serves nothing new): the count check tells
            offset += new
        return offset

    def _take(self, page: Page, tally: _Tally) -> Iterator[list]:
        self.observer.page(len(page.records))
        tally.add(page, first=False)
        if page.records:
            yield page.records

    def _new(self, page: Page, seen: set[int]) -> int:
        """How many of the page's records were not read before in this instant (a page may
        repeat the end of the previous one)."""
        keys = {record_key(self.key_of, r) for r in page.records}
        fresh = len(keys - seen)
        seen |= keys
        return fresh

    def _check(self, lo: dt.datetime, hi: dt.datetime | None, tally: _Tally) -> None:
        """The window's count check (see the module's doc): exact when nothing moved; after
        moves, what was read lies between the announced count and a recount."""
        announced, read, keyless = tally.announced, tally.read, len(tally.keyless)
        if announced is None or tally.accounts_for(announced, announced):
            return
        recount = self.fetch(lo, hi, 0).total
        if recount is not None and tally.accounts_for(
            min(announced, recount), max(announced, recount)
        ):
            log.info(
                "%s %s: %d records announced, %d at recount, %d read: records moved during "
                "the crawl",
                self.label,
                window_text(lo, hi),
                announced,
                recount,
                read,
            )
            return
        raise IncompleteCrawl(
            f"{self.label} {window_text(lo, hi)}: the portal announced {announced} records "
            f"({recount} at recount) but the crawl read {read}"
            + (f" and {keyless} without a key" if keyless else "")
            + "; nothing landed and the watermark did not move, the next run reads this "
            "window again"
        )


def aligned_size(offset: int, room: int) -> int:
    """The largest page size of at most `room` records whose pages start at `offset`
    (a divisor of it; any size at offset 0)."""
    if offset == 0:
        return room
    return max(size for size in range(1, room + 1) if offset % size == 0)


def window_text(lo: dt.datetime, hi: dt.datetime | None) -> str:
    return f"window [{lo.isoformat()}, {hi.isoformat() if hi is not None else '∞'})"
