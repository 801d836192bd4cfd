"""Landing of the one-stop system's agencies, procedures and dossiers into the raw zone.

Each record is validated against the typed models; a record that fails goes to
`raw/audit/rejects` with its reason and a redacted payload. A record seen twice in one crawl
lands once (its latest version). Dossiers land under `reception_month=YYYY-MM/<run>-<n>.parquet`
whether they come from the daily incremental crawl (by `updatedDate` from the watermark) or a
backfill of reception months (by `acceptedDate`); staging keeps the latest version of each
dossier, so re-running a day, a month or a whole backfill never duplicates one downstream. The
watermark moves only after the data has landed.

Dossiers stream: each page is validated and turned into rows at once, rows are staged in
chunks outside the raw zone and moved in only after the reject-rate gate (`staged.py`), so a
province-size crawl runs in bounded memory.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable

import pyarrow as pa

from pipeline.config import REPO_ROOT, Settings
from pipeline.landing.audit import (
    LandingResult,
    conclude,
    converted,
    convertible_rows,
    now,
    with_landing_columns,
)
from pipeline.landing.collector import fewer_collections
from pipeline.landing.locks import committed, serialized
from pipeline.landing.pii import PiiHasher
from pipeline.landing.schemas import (
    AGENCY_SCHEMA,
    DOSSIER_SCHEMA,
    PROCEDURE_SCHEMA,
    DossierColumns,
    agency_row,
    procedure_row,
)
from pipeline.landing.staged import StagedDataset, staging_dir
from pipeline.landing.state import (
    WatermarkStore,
    future_after,
    future_reason,
    plan_read,
    tail_start,
)
from pipeline.landing.writer import write_atomic
from pipeline.sources.lenient import validated
from pipeline.sources.motcua import MotcuaClient
from pipeline.sources.motcua_records import Agency, Dossier, Procedure
from pipeline.workcal import VN_TZ

SOURCE = "motcua"
DOSSIER_WATERMARK = "motcua_dossiers"
DOSSIER_KEYS = ("id", "code")
STATUS_SEED = REPO_ROOT / "dbt_project" / "seeds" / "motcua_status_map.csv"
DOSSIER_LANDING_SCHEMA = DOSSIER_SCHEMA.append(pa.field("reception_month", pa.string()))


def known_status_ids() -> frozenset[int]:
    with STATUS_SEED.open(encoding="utf-8") as fh:
        return frozenset(int(row["vendor_status_id"]) for row in csv.DictReader(fh))


def stage_dossiers(
    pages: Iterable[list[object]],
    statuses: frozenset[int],
    result: LandingResult,
    hasher: PiiHasher,
    staged: StagedDataset,
    run_id: str,
    future: dt.datetime | None = None,
) -> dt.datetime | None:
    """Every valid dossier read, staged as a landed row (the latest version of each wins at
    commit); invalid ones recorded as rejects, among them a dossier changed after `future`
    (an impossible instant: bad data or a broken source clock). The latest `updatedDate` of
    a landed dossier."""
    with fewer_collections():
        return _stage_dossiers(pages, statuses, result, hasher, staged, run_id, future)


def _stage_dossiers(pages, statuses, result, hasher, staged, run_id, future):
    latest: dt.datetime | None = None
    for page in result.counted(pages):
        items = []
        for payload in page:
            try:
                dossier = validated(Dossier, payload, result.drift)
                partition = reception_month(dossier)
            except Exception as exc:  # noqa: BLE001 - one record never stops a landing
                result.reject_invalid(payload, exc, DOSSIER_KEYS)
                continue
            if dossier.dossier_status.id not in statuses:
                result.reject(
                    payload,
                    "unknown dossierStatus.id: not in the status map",
                    DOSSIER_KEYS,
                    field="dossierStatus.id",
                )
                continue
            if future is not None and dossier.updated_date > future:
                result.reject(
                    payload, future_reason("updatedDate", dossier.updated_date), DOSSIER_KEYS
                )
                continue
            items.append((payload, dossier, partition))
            # The watermark moves past a record that is rejected below (it would be read
            # again, and rejected again, otherwise).
            if latest is None or dossier.updated_date > latest:
                latest = dossier.updated_date
        batch, kept = converted(
            result, items, lambda: DossierColumns(hasher), staged.row_schema, run_id, DOSSIER_KEYS
        )
        staged.add_batch(
            batch,
            [items[p][1].id for p in kept],
            [items[p][1].updated_date for p in kept],
        )
    return latest


def reception_month(dossier: Dossier) -> str:
    """The Hive partition of a dossier: month of acceptance (else submission, else update)."""
    ts = dossier.accepted_date or dossier.submitted_date or dossier.updated_date
    return ts.astimezone(VN_TZ).strftime("%Y-%m")


class MotcuaLanding:
    def __init__(
        self,
        settings: Settings,
        client: MotcuaClient,
        run_id: str,
        max_reject_rate: float | None = None,
    ):
        self.settings = settings
        self.client = client
        self.run_id = run_id
        self.max_reject_rate = (
            settings.max_reject_rate if max_reject_rate is None else max_reject_rate
        )
        self.hasher = PiiHasher(settings.pii_hash_key)
        self.watermarks = WatermarkStore(settings.state_dir)

    @serialized
    def land_agencies(self) -> LandingResult:
        """A snapshot of the agency tree below the configured root."""
        return self._land_snapshot(
            "agencies", self.client.agencies(), Agency, agency_row, AGENCY_SCHEMA
        )

    @serialized
    def land_procedures(self) -> LandingResult:
        """A snapshot of the procedure catalogue."""
        return self._land_snapshot(
            "procedures", self.client.procedures(), Procedure, procedure_row, PROCEDURE_SCHEMA
        )

    def _land_snapshot(self, name, payloads, model, to_row, schema) -> LandingResult:
        result = LandingResult(
            requests_before=self.client.requests,
            source=SOURCE,
            asset=f"motcua_{name}",
            started_at=now(),
            hasher=self.hasher,
        )
        rows = []
        for payload in payloads:
            result.records_read += 1
            try:
                rows.append((payload, to_row(validated(model, payload, result.drift))))
            except Exception as exc:  # noqa: BLE001 - one record never stops a landing
                result.reject_invalid(payload, exc, ("id", "code"))
        rows = convertible_rows(result, rows, schema, ("id", "code"))

        def land() -> int:
            table = pa.Table.from_pylist(
                with_landing_columns(rows, self.run_id, result.started_at), schema=schema
            )
            write_atomic(table, self.settings.raw_dir / SOURCE / name / f"{self.run_id}.parquet")
            return table.num_rows

        return self._conclude(result, land)

    @serialized
    def land_dossiers_incremental(self, as_of: dt.datetime | None = None) -> LandingResult:
        """Everything updated since the watermark (first run: since HISTORY_START)."""
        started_at = now()
        read = plan_read(
            self.watermarks.get(DOSSIER_WATERMARK), self.settings.history_start, started_at, as_of
        )
        result = LandingResult(
            requests_before=self.client.requests,
            source=SOURCE,
            asset="motcua_dossiers",
            started_at=started_at,
            watermark_from=read.start,
            note=read.note,
            hasher=self.hasher,
        )
        staged = self._staged_dossiers(result)
        try:
            pages = self.client.dossiers_updated(read.start, tail_start(as_of), read.future)
            latest = stage_dossiers(
                pages, known_status_ids(), result, self.hasher, staged, self.run_id, read.future
            )
            result.watermark_to = read.watermark_to(latest)
            self._conclude(result, staged.commit)
        finally:
            staged.discard()
        self.watermarks.set(DOSSIER_WATERMARK, result.watermark_to)
        return result

    @serialized
    def land_dossiers_accepted(self, first: dt.date, last: dt.date) -> LandingResult:
        """Dossiers accepted on [first, last] (backfill and repairs; the watermark is kept)."""
        result = LandingResult(
            requests_before=self.client.requests,
            source=SOURCE,
            asset="motcua_dossiers_backfill",
            started_at=now(),
            partition=f"{first:%Y-%m-%d}_{last:%Y-%m-%d}",
            hasher=self.hasher,
        )
        staged = self._staged_dossiers(result)
        try:
            pages = self.client.dossiers_accepted(first, last)
            stage_dossiers(
                pages,
                known_status_ids(),
                result,
                self.hasher,
                staged,
                self.run_id,
                future_after(result.started_at),
            )
            return self._conclude(result, staged.commit)
        finally:
            staged.discard()

    def _staged_dossiers(self, result: LandingResult) -> StagedDataset:
        return StagedDataset(
            staging_dir=staging_dir(self.settings, self.run_id, result.file_stem),
            dataset_dir=self.settings.raw_dir / SOURCE / "dossiers",
            partition_column="reception_month",
            schema=DOSSIER_LANDING_SCHEMA,
            run_id=self.run_id,
        )

    def _conclude(self, result: LandingResult, land) -> LandingResult:
        result.requests = self.client.requests - result.requests_before
        conclude(
            result,
            raw_dir=self.settings.raw_dir,
            run_id=self.run_id,
            max_reject_rate=self.max_reject_rate,
            land=committed(self.settings.data_dir, land),
        )
        return result
