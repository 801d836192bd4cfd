"""What every landing shares: counts, rejects, the load-log line, the reject-rate gate.

A landing validates every record it reads; invalid ones become rejects (source, key, reason,
redacted payload). Above the configured reject rate the landing fails *before* writing any
data, so a bad extraction never half-lands; rejects and the load-log line are written either
way, under `raw/audit/`, and surface as `audit.rejects` and `audit.load_log`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
from pydantic import ValidationError

from pipeline.landing.pii import redact
from pipeline.landing.schemas import LOAD_LOG_SCHEMA, REJECT_SCHEMA
from pipeline.landing.writer import write_atomic


class RejectRateExceeded(RuntimeError):
    """Too many records were rejected for the run to be trusted."""


@dataclass
class LandingResult:
    source: str
    asset: str
    started_at: dt.datetime
    records_read: int = 0
    records_landed: int = 0
    pages: int = 0
    rejects: list[dict] = field(default_factory=list)
    watermark_from: dt.datetime | None = None
    watermark_to: dt.datetime | None = None
    requests: int = 0
    # The client's request counter when the landing started (clients serve several landings).
    requests_before: int = 0
    partition: str | None = None
    note: str | None = None

    @property
    def file_stem(self) -> str:
        return f"{self.asset}-{self.partition}" if self.partition else self.asset

    @property
    def records_rejected(self) -> int:
        return len(self.rejects)

    @property
    def reject_rate(self) -> float:
        return self.records_rejected / self.records_read if self.records_read else 0.0

    @property
    def reject_reasons(self) -> dict[str, int]:
        """Rejects by reason, without the record-specific part after the first colon."""
        return dict(Counter(r["reason"].split(":")[0] for r in self.rejects).most_common(10))

    def counted(self, pages: Iterable[list]) -> Iterator[list]:
        """The pages, counting pages and records read on the way."""
        for page in pages:
            self.pages += 1
            self.records_read += len(page)
            yield page

    def reject(self, payload: object, reason: str, key_fields: tuple[str, ...]) -> None:
        payload_text = json.dumps(redact(payload), ensure_ascii=False, default=str)[:20000]
        self.rejects.append(
            {
                "source": self.source,
                "source_key": valid_text(source_key(payload, key_fields)),
                "reason": valid_text(reason[:500]),
                "payload_redacted": valid_text(payload_text),
            }
        )


def valid_text(text: str) -> str:
    """Text that can be stored: invalid code points (lone surrogates) as `\\udcff` escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def source_key(payload: object, key_fields: tuple[str, ...]) -> str:
    if isinstance(payload, dict):
        for key in key_fields:
            value = payload.get(key)
            if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
                return str(value)[:128]
    return "<no key>"


def first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "record"
    return f"invalid {where}: {first['msg']}"


def with_landing_columns(rows: list[dict], run_id: str, extracted_at: dt.datetime) -> list[dict]:
    for row in rows:
        row["_run_id"] = run_id
        row["_extracted_at"] = extracted_at
    return rows


def conclude(
    result: LandingResult,
    *,
    raw_dir: Path,
    run_id: str,
    max_reject_rate: float,
    land: Callable[[], int],
) -> LandingResult:
    """Gate on the reject rate, land (`land` returns the rows written), then audit."""
    try:
        if result.reject_rate > max_reject_rate:
            raise RejectRateExceeded(
                f"{result.asset}: {result.records_rejected} of {result.records_read} records "
                f"rejected ({result.reject_rate:.1%} > {max_reject_rate:.1%}); nothing landed, "
                f"see audit.rejects (run {run_id})"
            )
        result.records_landed = land()
    finally:
        write_audit(result, raw_dir, run_id)
    return result


def write_audit(result: LandingResult, raw_dir: Path, run_id: str) -> None:
    audit = raw_dir / "audit"
    rejects = with_landing_columns([dict(r) for r in result.rejects], run_id, result.started_at)
    write_atomic(
        pa.Table.from_pylist(rejects, schema=REJECT_SCHEMA),
        audit / "rejects" / f"{result.file_stem}-{run_id}.parquet",
    )
    log_row = {
        "run_id": run_id,
        "source": result.source,
        "asset": result.asset,
        "started_at": result.started_at,
        "finished_at": now(),
        "records_read": result.records_read,
        "records_landed": result.records_landed,
        "records_rejected": result.records_rejected,
        "watermark_from": result.watermark_from,
        "watermark_to": result.watermark_to,
    }
    write_atomic(
        pa.Table.from_pylist([log_row], schema=LOAD_LOG_SCHEMA),
        audit / "load_log" / f"{result.file_stem}-{run_id}.parquet",
    )


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
