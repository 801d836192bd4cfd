"""Extraction watermarks, persisted atomically in `DATA_DIR/state/` after a successful landing,
and the two constants every incremental crawl uses with them."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from pipeline.atomic import write_text_atomic
from pipeline.workcal import VN_TZ

# Records can change while a crawl pages through them, and a source may commit a change with
# an instant slightly before the crawl's last one; the next run re-reads this much before the
# watermark so nothing is missed. Reruns never duplicate (the latest version wins downstream).
WATERMARK_OVERLAP = dt.timedelta(minutes=30)
# The span before (evaluation instant − this margin) is crawled in parallel windows; records
# that change during the crawl move after the source's clock, into the sequential tail.
TAIL_MARGIN = dt.timedelta(days=1)


# A source's clock may run a little ahead of ours: change instants up to this far past the
# run's start are taken as real; later ones are impossible (bad data or a broken source clock)
# and the record is rejected. Either way the watermark never passes the run's own upper bound.
CLOCK_SKEW_TOLERANCE = dt.timedelta(minutes=10)


def future_after(started_at: dt.datetime, as_of: dt.datetime | None = None) -> dt.datetime:
    """Change instants after this are in the future for a run started at `started_at` that
    evaluates the sources as of `as_of`: the later of the two is the run's present (a run
    evaluated ahead of the wall clock, as a replay or a simulated world, reads changes up to
    its AS_OF), plus the clock-skew tolerance."""
    present = started_at if as_of is None else max(started_at, as_of)
    return present + CLOCK_SKEW_TOLERANCE


def future_reason(field: str, instant: dt.datetime) -> str:
    return f"{field} in the future: {instant.isoformat()} (after the run's start and AS_OF)"


def watermark_bound(as_of: dt.datetime | None, started_at: dt.datetime) -> dt.datetime:
    """The latest instant a run may record as read: its evaluation instant, and never later
    than when it started. A record claiming a later change (clock skew, bad data) is landed
    or rejected, but cannot move the watermark past this: the next run re-reads from here
    (no change before that instant is skipped; re-reads never duplicate downstream)."""
    return started_at if as_of is None else min(as_of, started_at)


def next_watermark(
    latest: dt.datetime | None,
    previous: dt.datetime | None,
    start: dt.datetime,
    bound: dt.datetime,
) -> dt.datetime:
    """Where the next incremental run reads from (minus the overlap)."""
    if latest is None:
        return min(previous or start, bound)
    return min(latest, bound)


def resume_from(
    previous: dt.datetime | None, history_start: dt.datetime, started_at: dt.datetime
) -> tuple[dt.datetime, str | None]:
    """Where an incremental run starts reading, and a note when the stored watermark cannot be
    trusted: one in the future (written before watermarks were bounded) may have skipped
    changes, so the run re-reads from HISTORY_START (idempotent: latest version wins)."""
    if previous is None:
        return history_start, None
    if previous > future_after(started_at):
        return history_start, (
            f"stored watermark {previous.isoformat()} lies in the future; re-read from "
            f"HISTORY_START {history_start.date().isoformat()}"
        )
    return previous - WATERMARK_OVERLAP, None


@dataclass(frozen=True)
class IncrementalRead:
    """Where an incremental landing starts reading, the instant after which a change is in the
    future (rejected), and the bound of the watermark it may record."""

    previous: dt.datetime | None
    start: dt.datetime
    note: str | None
    future: dt.datetime
    bound: dt.datetime

    def watermark_to(self, latest: dt.datetime | None) -> dt.datetime:
        return next_watermark(latest, self.previous, self.start, self.bound)


def plan_read(
    previous: dt.datetime | None,
    history_start: dt.date,
    started_at: dt.datetime,
    as_of: dt.datetime | None,
) -> IncrementalRead:
    """The reading plan of a run started at `started_at`, evaluated as of `as_of`, resuming
    from the stored watermark `previous` (none: from HISTORY_START)."""
    start, note = resume_from(
        previous, dt.datetime.combine(history_start, dt.time(), tzinfo=VN_TZ), started_at
    )
    return IncrementalRead(
        previous, start, note, future_after(started_at, as_of), watermark_bound(as_of, started_at)
    )


def tail_start(as_of: dt.datetime | None) -> dt.datetime:
    """Where the sequential tail of a crawl starts: never after the source's clock."""
    current = dt.datetime.now(dt.UTC)
    return (current if as_of is None else min(as_of, current)) - TAIL_MARGIN


class WatermarkStore:
    def __init__(self, state_dir: Path):
        self.state_dir = state_dir

    def _path(self, name: str) -> Path:
        return self.state_dir / f"{name}.watermark.json"

    def get(self, name: str) -> dt.datetime | None:
        path = self._path(name)
        if not path.exists():
            return None
        return dt.datetime.fromisoformat(json.loads(path.read_text())["watermark"])

    def set(self, name: str, value: dt.datetime) -> None:
        write_text_atomic(self._path(name), json.dumps({"watermark": value.isoformat()}))
