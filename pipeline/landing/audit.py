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

from pipeline.landing.pii import PiiHasher, redact
from pipeline.landing.schemas import DRIFT_SCHEMA, LOAD_LOG_SCHEMA, REJECT_SCHEMA
from pipeline.landing.writer import write_atomic
from pipeline.sources.lenient import OUTSIDE_DOMAIN, DriftCounts, key_name


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
    # Keyed hashing of the values a redacted payload hides (None: `<redacted>`).
    hasher: PiiHasher | None = None
    # Drift of this landing: (field, kind) -> records (see sources/lenient.py).
    drift: DriftCounts = field(default_factory=DriftCounts)

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

    def reject(
        self, payload: object, reason: str, key_fields: tuple[str, ...], field: str | None = None
    ) -> None:
        """Keep a refused record: its key, the reason (a template naming the field and the kind
        of problem, never a value) and its payload redacted by the allow-list. `field`, when the
        reason is a read field's value outside its domain, is counted as drift."""
        redacted = redact(payload, self.hasher)
        payload_text = json.dumps(redacted, ensure_ascii=False, default=str, sort_keys=True)
        if field is not None:
            self.drift.add(field, OUTSIDE_DOMAIN)
        self.rejects.append(
            {
                "source": self.source,
                "source_key": valid_text(source_key(payload, key_fields)),
                "reason": valid_text(reason[:500]),
                "payload_redacted": valid_text(payload_text[:20000]),
            }
        )

    def reject_invalid(self, payload: object, exc: Exception, key_fields: tuple[str, ...]) -> None:
        """Reject a record that did not validate (or whose validation raised anything)."""
        if isinstance(exc, ValidationError):
            where, kind = first_error_parts(exc)
            self.reject(payload, f"invalid {where}: {kind}", key_fields, field=where)
        else:
            self.reject(payload, f"invalid record: {type(exc).__name__}", key_fields)

    def reject_unconvertible(
        self, payload: object, exc: Exception, key_fields: tuple[str, ...]
    ) -> None:
        """Reject a valid record that does not convert to its landed columns."""
        self.reject(
            payload,
            f"record does not convert to the raw schema: {type(exc).__name__}",
            key_fields,
            field="<conversion>",
        )


def valid_text(text: str) -> str:
    """Text that can be stored: invalid code points (lone surrogates) as `\\udcff` escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def source_key(payload: object, key_fields: tuple[str, ...]) -> str:
    """The record's key (an identifier of the source, never personal), else `<no key>`."""
    if isinstance(payload, dict):
        for key in key_fields:
            value = payload.get(key)
            if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
                return str(value)[:128]
    return "<no key>"


# The kind of problem, by pydantic error type (a template: pydantic's own message may quote
# the input, so it is never used; our validators' messages are templates and are kept).
_KINDS = {
    "missing": "missing",
    "literal_error": "outside the domain",
    "enum": "outside the domain",
    "greater_than": "outside the domain",
    "greater_than_equal": "outside the domain",
    "less_than": "outside the domain",
    "less_than_equal": "outside the domain",
    "string_too_short": "outside the domain",
    "string_too_long": "outside the domain",
    "string_pattern_mismatch": "outside the domain",
    "timezone_aware": "instant without an offset",
}


def first_error_parts(exc: ValidationError) -> tuple[str, str]:
    """(field path, kind of problem) of the first error, both from templates."""
    first = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(p) if isinstance(p, int) else key_name(p) for p in first["loc"])
    kind = first["type"]
    if kind == "value_error":
        message = str(first.get("ctx", {}).get("error", "invalid value"))
    elif kind in _KINDS:
        message = _KINDS[kind]
    elif kind.endswith(("_type", "_parsing")) or kind.startswith(("model_", "dict_", "list_")):
        message = "wrong type"
    else:
        message = kind.replace("_", " ")
    return where or "record", message


def first_error(exc: ValidationError) -> str:
    where, kind = first_error_parts(exc)
    return f"invalid {where}: {kind}"


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
    drift = [
        {
            "run_id": run_id,
            "source": result.source,
            "asset": result.asset,
            "field": field,
            "kind": kind,
            "records": count,
            "records_read": result.records_read,
            "landed_at": result.started_at,
        }
        for (field, kind), count in sorted(result.drift.items())
    ]
    write_atomic(
        pa.Table.from_pylist(drift, schema=DRIFT_SCHEMA),
        audit / "drift" / f"{result.file_stem}-{run_id}.parquet",
    )


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def converted(
    result: LandingResult,
    items: list[tuple[object, object, str]],
    make_columns: Callable[[], object],
    schema: pa.Schema,
    run_id: str,
    key_fields: tuple[str, ...],
) -> tuple[pa.RecordBatch, list[int]]:
    """One Arrow batch of a page's valid records (`(payload, record, partition)` each) and the
    positions of the records in it. One record never stops a landing: when the page does not
    convert (a value outside its column type, any exception), each record is converted alone,
    those that fail are rejected with the kind of failure, and the batch holds the rest."""

    def build(chosen):
        columns = make_columns()
        for _, record, partition in chosen:
            columns.append(record, partition)
        return columns.batch(schema, run_id, result.started_at)

    try:
        return build(items), list(range(len(items)))
    except Exception:  # noqa: BLE001 - narrowed down record by record below
        pass
    kept = []
    for position, item in enumerate(items):
        try:
            build([item])
        except Exception as exc:  # noqa: BLE001 - any failure rejects this record only
            result.reject_unconvertible(item[0], exc, key_fields)
        else:
            kept.append(position)
    return build([items[p] for p in kept]), kept


def convertible_rows(
    result: LandingResult,
    rows: list[tuple[object, dict]],
    schema: pa.Schema,
    key_fields: tuple[str, ...],
) -> list[dict]:
    """The rows (`(payload, row)` each) of a snapshot that convert to `schema`; the others
    rejected (one record never stops a landing)."""
    plain = [row for _, row in rows]
    try:
        pa.Table.from_pylist(plain, schema=_data_schema(schema))
        return plain
    except Exception:  # noqa: BLE001 - narrowed down row by row below
        pass
    kept = []
    for payload, row in rows:
        try:
            pa.Table.from_pylist([row], schema=_data_schema(schema))
        except Exception as exc:  # noqa: BLE001 - any failure rejects this record only
            result.reject_unconvertible(payload, exc, key_fields)
        else:
            kept.append(row)
    return kept


def _data_schema(schema: pa.Schema) -> pa.Schema:
    """`schema` without the landing columns (added when the table is written)."""
    return pa.schema([f for f in schema if not f.name.startswith("_")])
