"""Extraction watermarks, persisted atomically in `DATA_DIR/state/` after a successful landing,
and the two constants every incremental crawl uses with them."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

# Records can change while a crawl pages through them, and a source may commit a change with
# an instant slightly before the crawl's last one; the next run re-reads this much before the
# watermark so nothing is missed. Reruns never duplicate (the latest version wins downstream).
WATERMARK_OVERLAP = dt.timedelta(minutes=30)
# The span before (evaluation instant − this margin) is crawled in parallel windows; records
# that change during the crawl move after the source's clock, into the sequential tail.
TAIL_MARGIN = dt.timedelta(days=1)


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
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"watermark": value.isoformat()}))
        os.replace(tmp, path)
