"""Landing of the one-stop system's agencies and dossiers into the raw zone.

Each record is validated against the typed models; a record that fails goes to
`raw/audit/rejects` with its reason and a redacted payload. A record seen twice in one crawl
lands once (its latest version). The watermark moves only after the data has landed.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyarrow as pa
from pydantic import ValidationError

from pipeline.config import REPO_ROOT, Settings
from pipeline.landing.pii import PiiHasher
from pipeline.landing.schemas import (
    AGENCY_SCHEMA,
    DOSSIER_SCHEMA,
    LOAD_LOG_SCHEMA,
    PROCEDURE_SCHEMA,
    REJECT_SCHEMA,
    agency_row,
    dossier_row,
    procedure_row,
)
from pipeline.landing.state import WatermarkStore
from pipeline.landing.writer import write_atomic, write_partitioned
from pipeline.sources.motcua import MotcuaClient
from pipeline.sources.motcua_records import Agency, Dossier, Procedure

SOURCE = "motcua"
DOSSIER_WATERMARK = "motcua_dossiers"
# Records can move while a crawl pages through them; the next run re-reads this much before
# the watermark so nothing that moved is missed. Reruns never duplicate (keyed downstream).
WATERMARK_OVERLAP = dt.timedelta(minutes=30)
PERSONAL_KEYS = {
    "applicant",
    "officer",
    "note",
    "fullname",
    "identityNumber",
    "phoneNumber",
    "email",
    "address",
}
STATUS_SEED = REPO_ROOT / "dbt_project" / "seeds" / "motcua_status_map.csv"


class RejectRateExceeded(RuntimeError):
    """Too many records were rejected for the run to be trusted."""


@dataclass
class LandingResult:
    asset: str
    started_at: dt.datetime
    records_read: int = 0
    records_landed: int = 0
    rejects: list[dict] = field(default_factory=list)
    watermark_from: dt.datetime | None = None
    watermark_to: dt.datetime | None = None
    requests: int = 0

    @property
    def records_rejected(self) -> int:
        return len(self.rejects)

    @property
    def reject_rate(self) -> float:
        return self.records_rejected / self.records_read if self.records_read else 0.0


def known_status_ids() -> frozenset[int]:
    with STATUS_SEED.open(encoding="utf-8") as fh:
        return frozenset(int(row["vendor_status_id"]) for row in csv.DictReader(fh))


def redact(payload: object) -> object:
    """The payload with personal data and free text removed, for `audit.rejects`."""
    if isinstance(payload, dict):
        return {k: ("<redacted>" if k in PERSONAL_KEYS else redact(v)) for k, v in payload.items()}
    if isinstance(payload, list):
        return [redact(v) for v in payload]
    return payload


def _source_key(payload: object) -> str:
    if isinstance(payload, dict):
        for key in ("id", "code"):
            if isinstance(payload.get(key), str) and payload[key]:
                return payload[key][:64]
    return "<no key>"


def _reject(payload: object, reason: str) -> dict:
    return {
        "source": SOURCE,
        "source_key": _source_key(payload),
        "reason": reason[:500],
        "payload_redacted": json.dumps(redact(payload), ensure_ascii=False, default=str)[:20000],
    }


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "record"
    return f"invalid {where}: {first['msg']}"


def _landing_columns(rows: list[dict], run_id: str, extracted_at: dt.datetime) -> list[dict]:
    for row in rows:
        row["_run_id"] = run_id
        row["_extracted_at"] = extracted_at
    return rows


def validate_dossiers(
    pages: Iterable[list[object]], statuses: frozenset[int], result: LandingResult
) -> dict[str, Dossier]:
    """Latest valid version of every dossier seen; invalid ones recorded as rejects."""
    latest: dict[str, Dossier] = {}
    for page in pages:
        for payload in page:
            result.records_read += 1
            try:
                dossier = Dossier.model_validate(payload)
            except ValidationError as exc:
                result.rejects.append(_reject(payload, _first_error(exc)))
                continue
            if dossier.dossier_status.id not in statuses:
                result.rejects.append(
                    _reject(payload, f"unknown dossierStatus.id {dossier.dossier_status.id}")
                )
                continue
            current = latest.get(dossier.id)
            if current is None or dossier.updated_date >= current.updated_date:
                latest[dossier.id] = dossier
    return latest


def reception_month(dossier: Dossier) -> str:
    ts = dossier.accepted_date or dossier.submitted_date or dossier.updated_date
    return ts.astimezone(dt.timezone(dt.timedelta(hours=7))).strftime("%Y-%m")


class MotcuaLanding:
    def __init__(
        self, settings: Settings, client: MotcuaClient, run_id: str, max_reject_rate: float
    ):
        self.settings = settings
        self.client = client
        self.run_id = run_id
        self.max_reject_rate = max_reject_rate
        self.hasher = PiiHasher(settings.pii_hash_key)
        self.watermarks = WatermarkStore(settings.state_dir)

    def land_agencies(self) -> LandingResult:
        """A snapshot of the agency tree below the configured root."""
        return self._land_snapshot(
            "agencies", self.client.agencies(), Agency, agency_row, AGENCY_SCHEMA
        )

    def land_procedures(self) -> LandingResult:
        """A snapshot of the procedure catalogue."""
        return self._land_snapshot(
            "procedures", self.client.procedures(), Procedure, procedure_row, PROCEDURE_SCHEMA
        )

    def _land_snapshot(self, name, payloads, model, to_row, schema) -> LandingResult:
        result = LandingResult(f"motcua_{name}", _now())
        rows = []
        for payload in payloads:
            result.records_read += 1
            try:
                rows.append(to_row(model.model_validate(payload)))
            except ValidationError as exc:
                result.rejects.append(_reject(payload, _first_error(exc)))
        rows = _landing_columns(rows, self.run_id, result.started_at)
        table = pa.Table.from_pylist(rows, schema=schema)
        write_atomic(table, self.settings.raw_dir / SOURCE / name / f"{self.run_id}.parquet")
        result.records_landed = table.num_rows
        return self._finish(result)

    def land_dossiers_incremental(self) -> LandingResult:
        """Everything updated since the watermark (first run: since HISTORY_START)."""
        previous = self.watermarks.get(DOSSIER_WATERMARK)
        start = (
            previous - WATERMARK_OVERLAP
            if previous
            else dt.datetime.combine(self.settings.history_start, dt.time(), tzinfo=dt.UTC)
        )
        result = LandingResult("motcua_dossiers", _now(), watermark_from=start)
        latest = validate_dossiers(self.client.dossiers_updated(start), known_status_ids(), result)
        self._write_dossiers(latest.values(), result)
        result.watermark_to = max(
            (d.updated_date for d in latest.values()), default=previous or start
        )
        finished = self._finish(result)
        self.watermarks.set(DOSSIER_WATERMARK, result.watermark_to)
        return finished

    def _write_dossiers(self, dossiers: Iterable[Dossier], result: LandingResult) -> None:
        rows = []
        for dossier in dossiers:
            row = dossier_row(dossier, self.hasher)
            row["reception_month"] = reception_month(dossier)
            rows.append(row)
        rows = _landing_columns(rows, self.run_id, result.started_at)
        schema = DOSSIER_SCHEMA.append(pa.field("reception_month", pa.string()))
        table = pa.Table.from_pylist(rows, schema=schema)
        write_partitioned(
            table, self.settings.raw_dir / SOURCE / "dossiers", "reception_month", self.run_id
        )
        result.records_landed = table.num_rows

    def _finish(self, result: LandingResult) -> LandingResult:
        """Write rejects and the load-log line; fail when the reject rate is too high."""
        result.requests = self.client.requests
        audit = self.settings.raw_dir / "audit"
        rejects = _landing_columns(result.rejects, self.run_id, result.started_at)
        write_atomic(
            pa.Table.from_pylist(rejects, schema=REJECT_SCHEMA),
            audit / "rejects" / f"{result.asset}-{self.run_id}.parquet",
        )
        log_row = {
            "run_id": self.run_id,
            "source": SOURCE,
            "asset": result.asset,
            "started_at": result.started_at,
            "finished_at": _now(),
            "records_read": result.records_read,
            "records_landed": result.records_landed,
            "records_rejected": result.records_rejected,
            "watermark_from": result.watermark_from,
            "watermark_to": result.watermark_to,
        }
        write_atomic(
            pa.Table.from_pylist([log_row], schema=LOAD_LOG_SCHEMA),
            audit / "load_log" / f"{result.asset}-{self.run_id}.parquet",
        )
        if result.reject_rate > self.max_reject_rate:
            raise RejectRateExceeded(
                f"{result.asset}: {result.records_rejected} of {result.records_read} records "
                f"rejected ({result.reject_rate:.1%} > {self.max_reject_rate:.1%}); "
                "see audit.rejects"
            )
        return result


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
