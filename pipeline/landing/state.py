"""Extraction watermarks, persisted atomically in `DATA_DIR/state/` after a successful landing."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path


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
