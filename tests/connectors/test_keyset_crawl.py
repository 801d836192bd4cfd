"""The keyset crawl against an in-memory source whose records move while it is read: whatever
request a record changes in, the crawl still reads its latest version (sources.md D)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from pipeline.sources.crawl import KeysetCrawler, Page

TZ = dt.timezone(dt.timedelta(hours=7))
START = dt.datetime(2026, 10, 1, tzinfo=TZ)
TAIL_FROM = dt.datetime(2026, 11, 19, 8, tzinfo=TZ)
CLOCK = dt.datetime(2026, 11, 20, 8, tzinfo=TZ)  # the source's clock when the crawl starts
PRESENT = dt.datetime(2026, 11, 27, 10, tzinfo=TZ)  # our clock plus the skew tolerance
FAR_FUTURE = dt.datetime(2126, 11, 20, tzinfo=TZ)  # a mistyped century (bad data)
PAGE_SIZE = 3


class MovingSource:
    """Records (key -> instant) served by [lo, hi) windows, ordered by (instant, key), in
    pages; on request number `move_at` the record `mover` changes (before the answer, as the
    simulator's `shift` does): its instant becomes the source's clock, one hour later."""

    def __init__(self, records: dict[str, dt.datetime], move_at: int | None, mover: str):
        self.records = dict(records)
        self.move_at, self.mover = move_at, mover
        self.requests = 0
        self.lock = threading.Lock()

    def fetch(self, lo: dt.datetime, hi: dt.datetime | None, page: int) -> Page:
        with self.lock:
            if self.requests == self.move_at:
                self.records[self.mover] = CLOCK + dt.timedelta(hours=1)
            self.requests += 1
            rows = sorted(
                (t, key) for key, t in self.records.items() if t >= lo and (hi is None or t < hi)
            )
        chunk = rows[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        return Page([{"key": k, "at": t} for t, k in chunk], (page + 1) * PAGE_SIZE >= len(rows))


def records() -> dict[str, dt.datetime]:
    spread = {f"r{i:02d}": START + dt.timedelta(days=2 * i, hours=i) for i in range(25)}
    recent = {f"t{i}": TAIL_FROM + dt.timedelta(hours=3 * i) for i in range(4)}
    return spread | recent | {"future": FAR_FUTURE}


def crawl(source: MovingSource) -> dict[str, dt.datetime]:
    crawler = KeysetCrawler(source.fetch, lambda r: r["at"], dt.timedelta(seconds=1), workers=2)
    latest: dict[str, dt.datetime] = {}
    for page in crawler.crawl(START, TAIL_FROM, PRESENT):
        for record in page:
            latest[record["key"]] = max(record["at"], latest.get(record["key"], record["at"]))
    return latest


def test_an_undisturbed_crawl_reads_every_record():
    source = MovingSource(records(), None, "r00")
    assert crawl(source) == source.records


@pytest.mark.parametrize("mover", ["r03", "r24", "t0", "t3"])
def test_a_record_changed_during_any_request_is_read_at_its_latest_version(mover):
    requests = MovingSource(records(), None, mover)
    crawl(requests)
    for move_at in range(requests.requests):
        source = MovingSource(records(), move_at, mover)
        landed = crawl(source)
        assert landed == source.records, f"{mover} moved during request {move_at}"
