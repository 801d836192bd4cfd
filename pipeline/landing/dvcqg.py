"""Landing of the national portal (sources.md B) into the raw zone.

- Synced dossier copies and PAKN: incremental from a watermark on their change instant
  (`NgayDongBo`, `NgayCapNhat`) with the same overlap as the one-stop dossiers; each record
  seen twice in a crawl lands once (latest version), staging keeps the latest across runs.
  Both stream in bounded memory, staged and moved in after the reject gate (`staged.py`).
- Official evaluation: every month, quarter and year since HISTORY_START on the first run,
  then the periods still open or closed less than `EVALUATION_SETTLE` before the previous
  extraction (the portal revises recent periods). The six groups × periods are fetched in
  parallel. Without `DVCQG_ROOT_DEPARTMENT_ID` there is nothing to ask the portal for: the
  landing says so in its note and lands nothing (indicators then flag `no_source`); with it, a
  portal that stays down fails the run.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable

import pyarrow as pa
from pydantic import BaseModel

from pipeline.config import Settings
from pipeline.landing.audit import (
    LandingResult,
    conclude,
    converted,
    convertible_rows,
    now,
    with_landing_columns,
)
from pipeline.landing.collector import fewer_collections
from pipeline.landing.dvcqg_schemas import (
    DOSSIER_COPY_SCHEMA,
    EVALUATION_SCHEMA,
    FORMALITY_SCHEMA,
    PETITION_SCHEMA,
    DossierCopyColumns,
    PetitionRows,
    RecordColumns,
    evaluation_row,
)
from pipeline.landing.locks import committed, serialized
from pipeline.landing.pii import PiiHasher, redact
from pipeline.landing.staged import StagedDataset, staging_dir
from pipeline.landing.state import WatermarkStore, future_reason, plan_read, tail_start
from pipeline.landing.writer import write_atomic, write_partitioned
from pipeline.periods import Period
from pipeline.sources.crawl import parallel_map
from pipeline.sources.dvcqg import EVALUATION_GROUPS, DvcqgClient
from pipeline.sources.dvcqg_records import DossierCopy, EvaluationEntry, Petition
from pipeline.sources.lenient import validated
from pipeline.workcal import VN_TZ

SOURCE = "dvcqg"
EVALUATION_SETTLE = dt.timedelta(days=14)
NOT_CONFIGURED = (
    "DVCQG_ROOT_DEPARTMENT_ID is not set: the official evaluation is not extracted "
    "(official indicators will be flagged no_source)"
)


def _month(ts: dt.datetime) -> str:
    return ts.astimezone(VN_TZ).strftime("%Y-%m")


class DvcqgLanding:
    def __init__(
        self,
        settings: Settings,
        client: DvcqgClient,
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
        self.dataset = settings.raw_dir / SOURCE

    # --- integration surface -----------------------------------------------------------------
    @serialized
    def land_dossier_copies(self, as_of: dt.datetime | None = None) -> LandingResult:
        """Synced copies (DongBoHoSoMC) whose `NgayDongBo` moved since the watermark."""
        return self._land_incremental(
            asset="dvcqg_dossier_copies",
            crawl=self.client.dossier_copies,
            model=DossierCopy,
            key_fields=("MaHoSo",),
            key=lambda c: c.national_code,
            instant=lambda c: c.synced_at,
            instant_field="NgayDongBo",
            columns=lambda: DossierCopyColumns(self.hasher),
            partition=lambda c: _month(c.received_at or c.submitted_at or c.synced_at),
            schema=DOSSIER_COPY_SCHEMA,
            as_of=as_of,
        )

    @serialized
    def land_petitions(self, as_of: dt.datetime | None = None) -> LandingResult:
        """PAKN whose `NgayCapNhat` moved since the watermark."""
        return self._land_incremental(
            asset="dvcqg_petitions",
            crawl=self.client.petitions,
            model=Petition,
            key_fields=("MaPAKN",),
            key=lambda p: p.petition_code,
            instant=lambda p: p.updated_at,
            instant_field="NgayCapNhat",
            columns=lambda: PetitionRows(),
            partition=lambda p: _month(p.received_at),
            schema=PETITION_SCHEMA,
            as_of=as_of,
        )

    def _land_incremental(
        self,
        *,
        asset: str,
        crawl: Callable[[dt.datetime, dt.datetime], Iterable[list]],
        model: type[BaseModel],
        key_fields: tuple[str, ...],
        key: Callable,
        instant: Callable,
        instant_field: str,
        columns: Callable[[], RecordColumns],
        partition: Callable[[BaseModel], str],
        schema: pa.Schema,
        as_of: dt.datetime | None,
    ) -> LandingResult:
        started_at = now()
        read = plan_read(self.watermarks.get(asset), self.settings.history_start, started_at, as_of)
        result = LandingResult(
            requests_before=self.client.requests,
            source=SOURCE,
            asset=asset,
            started_at=started_at,
            watermark_from=read.start,
            note=read.note,
            hasher=self.hasher,
        )
        future = read.future
        # Streamed: rows staged as read, moved in after the gate (see landing/staged.py).
        staged = StagedDataset(
            staging_dir=staging_dir(self.settings, self.run_id, asset),
            dataset_dir=self.dataset / asset.removeprefix("dvcqg_"),
            partition_column="reception_month",
            schema=schema,
            run_id=self.run_id,
        )
        latest = None
        try:
            with fewer_collections():
                for page in result.counted(crawl(read.start, tail_start(as_of), future)):
                    items = []
                    for payload in page:
                        try:
                            record = validated(model, payload, result.drift)
                            place = partition(record)
                        except Exception as exc:  # noqa: BLE001 - one record never stops it
                            result.reject_invalid(payload, exc, key_fields)
                            continue
                        changed = instant(record)
                        if changed is not None and changed > future:
                            result.reject(
                                payload, future_reason(instant_field, changed), key_fields
                            )
                            continue
                        items.append((payload, record, place))
                        # The watermark moves past a record rejected below (see motcua.py).
                        if latest is None or changed > latest:
                            latest = changed
                    batch, kept = converted(
                        result, items, columns, staged.row_schema, self.run_id, key_fields
                    )
                    staged.add_batch(
                        batch,
                        [key(items[p][1]) for p in kept],
                        [instant(items[p][1]) for p in kept],
                    )
            result.watermark_to = read.watermark_to(latest)
            self._conclude(result, staged.commit)
        finally:
            staged.discard()
        self.watermarks.set(asset, result.watermark_to)
        return result

    # --- public evaluation surface -----------------------------------------------------------
    @serialized
    def land_evaluation(self, as_of: dt.datetime) -> LandingResult:
        """The official scores of every group for the periods due (see module docstring)."""
        asset = "dvcqg_evaluation"
        result = LandingResult(
            requests_before=self.client.requests,
            source=SOURCE,
            asset=asset,
            started_at=now(),
            hasher=self.hasher,
        )
        folder = self.dataset / "evaluation"
        if not self.client.settings.root_department_id:
            result.note = NOT_CONFIGURED
            empty = not any(folder.rglob("*.parquet"))
            return self._conclude(
                result,
                lambda: self._write_evaluation([], folder, result.started_at) if empty else 0,
            )
        previous = self.watermarks.get(asset)
        as_of_day = as_of.astimezone(VN_TZ).date()
        periods = Period.covering(self.settings.history_start, as_of_day)
        if previous is not None:
            settled = previous.astimezone(VN_TZ).date() - EVALUATION_SETTLE
            periods = [p for p in periods if p.next_start > settled]
        result.watermark_from = previous
        tasks = [(group, period) for period in periods for group in EVALUATION_GROUPS]
        rows = []
        answers = parallel_map(lambda t: self.client.evaluation(*t), tasks, self.client.workers)
        for (group, period), pages in zip(tasks, answers, strict=True):
            result.pages += len(pages)
            for payload, is_root in _entries(pages):
                result.records_read += 1
                # the reject payload names the group and period (an entry that is not an
                # object, double-encoded JSON, is kept under `entry`)
                where = {"group": group, "period": period.typed_key}
                where |= payload if isinstance(payload, dict) else {"entry": payload}
                try:
                    entry = validated(EvaluationEntry, payload, result.drift)
                    row = evaluation_row(group, period, entry, is_root, self.hasher)
                except Exception as exc:  # noqa: BLE001 - one record never stops a landing
                    result.reject_invalid(where, exc, ("departmentId",))
                    continue
                rows.append((where, row | {"period": period.typed_key}))
        rows = convertible_rows(result, rows, EVALUATION_SCHEMA, ("departmentId",))
        result.watermark_to = as_of
        result.note = f"{len(periods)} periods × {len(EVALUATION_GROUPS)} groups"
        self._conclude(result, lambda: self._write_evaluation(rows, folder, result.started_at))
        self.watermarks.set(asset, as_of)
        return result

    def _write_evaluation(self, rows: list[dict], folder, extracted_at: dt.datetime) -> int:
        table = pa.Table.from_pylist(
            with_landing_columns(rows, self.run_id, extracted_at), schema=EVALUATION_SCHEMA
        )
        write_partitioned(table, folder, "period", self.run_id)
        return table.num_rows

    @serialized
    def land_formalities(self) -> LandingResult:
        """A snapshot of the national procedure list (shape assumed: code, name, the rest
        kept redacted as JSON)."""
        result = LandingResult(
            requests_before=self.client.requests,
            source=SOURCE,
            asset="dvcqg_formalities",
            started_at=now(),
            hasher=self.hasher,
        )
        if not self.client.settings.root_department_id:
            result.note = NOT_CONFIGURED
            return self._conclude(result, lambda: 0)
        rows = []
        for payload in self.client.formalities():
            result.records_read += 1
            code = payload.get("code") if isinstance(payload, dict) else None
            if not isinstance(code, str) or not code:
                result.reject(payload, "invalid code: missing or not a string", ("id", "code"))
                continue
            rows.append(
                {
                    "code": code,
                    "name": payload.get("name"),
                    "payload_json": json.dumps(
                        redact(payload, self.hasher), ensure_ascii=False, default=str
                    ),
                }
            )

        def land() -> int:
            table = pa.Table.from_pylist(
                with_landing_columns(rows, self.run_id, result.started_at),
                schema=FORMALITY_SCHEMA,
            )
            write_atomic(table, self.dataset / "formalities" / f"{self.run_id}.parquet")
            return table.num_rows

        return self._conclude(result, land)

    def _conclude(self, result: LandingResult, land) -> LandingResult:
        result.requests = self.client.requests - result.requests_before
        return conclude(
            result,
            raw_dir=self.settings.raw_dir,
            run_id=self.run_id,
            max_reject_rate=self.max_reject_rate,
            land=committed(self.settings.data_dir, land),
        )


def _entries(pages: list[dict]) -> Iterable[tuple[object, bool]]:
    """(entry, is_root) of every page: the root once (`overview` / `parent`), then the units
    (`evaluation[]` / `children[]`)."""
    root = pages[0].get("overview", pages[0].get("parent")) if pages else None
    if root is not None:
        yield root, True
    for data in pages:
        units = data.get("evaluation", data.get("children")) or []
        if not isinstance(units, list):
            yield units, False
            continue
        yield from ((unit, False) for unit in units)
