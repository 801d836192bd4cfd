"""Crowded instants (many records changed in the same second, as a batch job does) against the
keyset crawl: a page that ends inside one goes on past the records already read instead of
reading them again, and still loses nothing when records move or pages come back short or
repeated (sources.md A.4: a list is ordered by instant, ties broken by key)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from pipeline.sources.crawl import KeysetCrawler, Page
from tests.connectors.test_keyset_crawl import START, TZ
from tests.connectors.test_keyset_crawl import crawl as keyset_crawl

CLOCK = dt.datetime(2026, 11, 20, 8, tzinfo=TZ)
PAGE_SIZE = 10
CROWD = 13  # records of one crowded instant: pages end inside them at every offset


def crowded_records() -> dict[str, dt.datetime]:
    """Instants of 1 to CROWD records (a crowd every few instants) over seven weeks."""
    out = {}
    for i in range(40):
        at = START + dt.timedelta(days=i, seconds=i)
        for j in range(CROWD if i % 3 else 1 + i % 5):
            out[f"k{i:02d}-{j:02d}"] = at
    return out


class CrowdedSource:
    """(instant, key)-ordered pages of [lo, hi) whose filter compares whole seconds; on request
    `move_at` the record `mover` changes (its instant becomes after the source's clock); every
    `short`-th answer drops its last record; every `repeat`-th answer of a page after the first
    starts with the last record of the page before (a portal's duplicate)."""

    def __init__(self, records, move_at=None, mover=None, short=0, repeat=0):
        self.records = dict(records)
        self.move_at, self.mover, self.short, self.repeat = move_at, mover, short, repeat
        self.requests = 0
        self.served = 0
        self.lock = threading.Lock()

    def fetch(self, lo, hi, page, size=None) -> Page:
        size = size or PAGE_SIZE
        with self.lock:
            if self.requests == self.move_at:
                self.records[self.mover] = CLOCK + dt.timedelta(hours=1)
            self.requests += 1
            rows = sorted(
                (t, k) for k, t in self.records.items() if t >= lo and (hi is None or t < hi)
            )
            start = page * size
            if self.repeat and page and self.requests % self.repeat == 0:
                start -= 1
            chunk = rows[start : (page + 1) * size]
            if self.short and self.requests % self.short == 0 and len(chunk) > 1:
                chunk = chunk[:-1]
            self.served += len(chunk)
        return Page([{"key": k, "at": t} for t, k in chunk], None, len(rows))


def crawl(source: CrowdedSource) -> dict[str, dt.datetime]:
    return keyset_crawl(source, PAGE_SIZE)


def served_reading_ties_again(records) -> int:
    """Records served when every page from a crowded instant reads its records again (the
    keyset from the page's latest instant alone, i.e. windows read as the tail is)."""
    source = CrowdedSource(records)
    crawler = KeysetCrawler(
        source.fetch, lambda r: r["at"], dt.timedelta(seconds=1), key_of=lambda r: r["key"],
        page_size=PAGE_SIZE,
    )  # fmt: skip
    for _ in crawler.window(START, None):
        pass
    return source.served


def test_a_crowded_instant_already_read_is_not_read_again():
    records = crowded_records()
    source = CrowdedSource(records)
    assert crawl(source) == records
    again = served_reading_ties_again(records)
    # The crawl reads fewer records than reading the ties again would, and not many more
    # than there are (pages that end early in a crowd still read its first records again).
    assert source.served < again
    assert source.served - len(records) < (again - len(records)) * 0.7


@pytest.mark.parametrize("move_at", range(0, 90))
def test_a_crowded_record_that_moves_during_the_crawl_is_still_read(move_at):
    records = crowded_records()
    mover = "k01-06"
    source = CrowdedSource(records, move_at=move_at, mover=mover)
    assert crawl(source) == source.records


@pytest.mark.parametrize(("short", "repeat"), [(2, 0), (3, 0), (5, 0), (0, 2), (0, 3)])
def test_short_and_repeated_pages_in_crowded_instants_skip_nothing(short, repeat):
    records = crowded_records()
    source = CrowdedSource(records, short=short, repeat=repeat)
    assert crawl(source) == records
