"""Explicit Arrow schemas of the raw zone and the mapping from typed records to landed rows.

Personal data is hashed or dropped here (sources.md D): applicant identifiers become
`applicant_key`, officers become `officer_key`, free text becomes "has a note" + its length.
Unknown source fields are kept as JSON in `extra_json`.
"""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa

from pipeline.landing.pii import REDACTED, PiiHasher, redact, text_length
from pipeline.sources.motcua_records import Agency, Dossier, Procedure

TS = pa.timestamp("us", tz="UTC")

LANDING_FIELDS = [
    pa.field("_run_id", pa.string(), nullable=False),
    pa.field("_extracted_at", TS, nullable=False),
]

AGENCY_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("code", pa.string(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("level", pa.string()),
        pa.field("parent_id", pa.string()),
        pa.field("gso_code", pa.string()),
        pa.field("valid_from", pa.date32()),
        pa.field("valid_to", pa.date32()),
        pa.field("successor_code", pa.string()),
        pa.field("extra_json", pa.string()),
        *LANDING_FIELDS,
    ]
)

PROCEDURE_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("code", pa.string(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("sector_code", pa.string()),
        pa.field("sector_name", pa.string()),
        pa.field("level", pa.string()),
        pa.field("full_online_eligible", pa.bool_()),
        pa.field("processing_time", pa.float64()),
        pa.field("processing_time_unit", pa.string()),
        pa.field("same_day_cutoff", pa.string()),
        pa.field("fee_amount", pa.int64()),
        pa.field("result_is_document", pa.bool_()),
        pa.field("citizen_facing", pa.bool_()),
        pa.field("e_certified_copy", pa.bool_()),
        pa.field("applied_agency_codes", pa.list_(pa.string())),
        pa.field("valid_from", pa.date32()),
        pa.field("valid_to", pa.date32()),
        pa.field("extra_json", pa.string()),
        *LANDING_FIELDS,
    ]
)

FEE_TYPE = pa.struct(
    [
        ("code", pa.string()),
        ("name", pa.string()),
        ("kind", pa.string()),
        ("amount", pa.int64()),
        ("status", pa.string()),
        ("method", pa.string()),
        ("paid_at", TS),
        ("receipt_no", pa.string()),
    ]
)

FILE_TYPE = pa.struct(
    [
        ("id", pa.string()),
        ("kind", pa.string()),
        ("component_code", pa.string()),
        ("result_code", pa.string()),
        ("has_url", pa.bool_()),
        ("digitized", pa.bool_()),
        ("reuse", pa.int8()),
        ("from_citizen_store", pa.bool_()),
        ("signed", pa.bool_()),
        ("pushed_to_citizen_store", pa.bool_()),
    ]
)

HISTORY_TYPE = pa.struct(
    [
        ("seq", pa.int32()),
        ("at", TS),
        ("action", pa.string()),
        ("status_id", pa.int16()),
        ("from_agency_code", pa.string()),
        ("to_agency_code", pa.string()),
        ("officer_key", pa.string()),
        ("has_note", pa.bool_()),
        ("note_length", pa.int32()),
        ("document_no", pa.string()),
        ("new_appointment_at", TS),
    ]
)

RATING_TYPE = pa.struct([("value", pa.string()), ("rated_at", TS), ("channel", pa.string())])

DOSSIER_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("code", pa.string(), nullable=False),
        pa.field("nation_code", pa.string()),
        pa.field("procedure_id", pa.string()),
        pa.field("procedure_code", pa.string()),
        pa.field("agency_id", pa.string()),
        pa.field("agency_code", pa.string()),
        pa.field("apply_method", pa.int16()),
        pa.field("result_delivery", pa.string()),
        pa.field("applicant_type", pa.int16()),
        pa.field("applicant_key", pa.string()),
        pa.field("submitted_at", TS),
        pa.field("accepted_at", TS),
        pa.field("appointment_at", TS),
        pa.field("completed_at", TS),
        pa.field("returned_at", TS),
        pa.field("updated_at", TS, nullable=False),
        pa.field("status_id", pa.int16(), nullable=False),
        pa.field("vneid_authenticated", pa.bool_()),
        pa.field("connected_databases", pa.list_(pa.string())),
        pa.field("inter_agency_copy", pa.bool_()),
        pa.field("fees", pa.list_(FEE_TYPE)),
        pa.field("files", pa.list_(FILE_TYPE)),
        pa.field("rating", RATING_TYPE),
        pa.field("history", pa.list_(HISTORY_TYPE)),
        pa.field("extra_json", pa.string()),
        *LANDING_FIELDS,
    ]
)

REJECT_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("source_key", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("payload_redacted", pa.string()),
        *LANDING_FIELDS,
    ]
)

# Drift of one landing (issue 16): records per field and kind (sources/lenient.py).
DRIFT_SCHEMA = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("asset", pa.string(), nullable=False),
        pa.field("field", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("records", pa.int64(), nullable=False),
        pa.field("records_read", pa.int64(), nullable=False),
        pa.field("landed_at", TS, nullable=False),
    ]
)

LOAD_LOG_SCHEMA = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("asset", pa.string(), nullable=False),
        pa.field("started_at", TS, nullable=False),
        pa.field("finished_at", TS, nullable=False),
        pa.field("records_read", pa.int64(), nullable=False),
        pa.field("records_landed", pa.int64(), nullable=False),
        pa.field("records_rejected", pa.int64(), nullable=False),
        pa.field("watermark_from", TS),
        pa.field("watermark_to", TS),
    ]
)

WORKING_CALENDAR_SCHEMA = pa.schema(
    [
        pa.field("date", pa.date32(), nullable=False),
        pa.field("is_working_day", pa.bool_(), nullable=False),
        pa.field("holiday_name", pa.string()),
    ]
)


def extra_json(*records, redacted=(), hasher: PiiHasher | None = None, kept=None) -> str | None:
    """Unknown fields (of records, or plain dicts) as JSON, redacted by the allow-list (only
    harmless values in clear, every other value its keyed hash); under `redacted` prefixes
    (objects that are personal data as a whole) only their names. `kept`: the original values
    of unread fields that did not have their announced shape (field path -> value)."""
    extra = {}
    for prefix, record in records:
        fields = record if isinstance(record, dict) else getattr(record, "extra", None)
        if fields:
            for key, value in redact(fields, hasher).items():
                extra[f"{prefix}{key}"] = REDACTED if prefix in redacted else value
    if kept:
        for path, value in kept.items():
            leaf = path.rsplit(".", 1)[-1].removesuffix("[]")
            extra[path] = redact({leaf: value}, hasher).get(leaf, REDACTED)
    return json.dumps(extra, ensure_ascii=False, sort_keys=True, default=str) if extra else None


def agency_row(agency: Agency) -> dict:
    return {
        "id": agency.id,
        "code": agency.code,
        "name": agency.name,
        "level": agency.level,
        "parent_id": agency.parent_id,
        "gso_code": agency.gso_code,
        "valid_from": agency.valid_from,
        "valid_to": agency.valid_to,
        "successor_code": agency.successor_code,
        "extra_json": extra_json(("", agency)),
    }


def procedure_row(procedure: Procedure) -> dict:
    return {
        "id": procedure.id,
        "code": procedure.code,
        "name": procedure.name,
        "sector_code": procedure.sector.code if procedure.sector else None,
        "sector_name": procedure.sector.name if procedure.sector else None,
        "level": procedure.level,
        "full_online_eligible": procedure.full_online_eligible,
        "processing_time": procedure.processing_time,
        "processing_time_unit": procedure.processing_time_unit,
        "same_day_cutoff": procedure.same_day_cutoff,
        "fee_amount": procedure.fee_amount,
        "result_is_document": procedure.result_is_document,
        "citizen_facing": procedure.citizen_facing,
        "e_certified_copy": procedure.e_certified_copy,
        "applied_agency_codes": procedure.applied_agency_codes,
        "valid_from": procedure.valid_from,
        "valid_to": procedure.valid_to,
        "extra_json": extra_json(("", procedure)),
    }


def _applicant_key(dossier: Dossier, hasher: PiiHasher) -> str | None:
    applicant = dossier.applicant
    if applicant is None:
        return None
    return hasher(applicant.identity_number or applicant.fullname)


def kept_of(record) -> dict | None:
    """The original values of a record's unread fields that did not parse (set by the landing
    from the validation context, see sources/lenient.py)."""
    return getattr(record, "_kept", None)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def _array(values: list, type_: pa.DataType) -> pa.Array:
    """An Arrow array of `type_`; instants go through epoch microseconds (exact), which spares
    pyarrow's per-value time-zone handling and the pandas import it brings."""
    if pa.types.is_timestamp(type_):
        micros = [None if v is None else (v - _EPOCH) // _MICROSECOND for v in values]
        return pa.array(micros, pa.int64()).cast(type_)
    return pa.array(values, type=type_)


def landed_batch(
    schema: pa.Schema, arrays: dict[str, pa.Array], rows: int, run_id: str, extracted_at
) -> pa.RecordBatch:
    """One record batch of `schema` from its data columns and the run's landing columns."""
    arrays["_run_id"] = pa.array([run_id] * rows, pa.string())
    arrays["_extracted_at"] = _array([extracted_at] * rows, TS)
    return pa.RecordBatch.from_arrays([arrays[f.name] for f in schema], schema=schema)


class _Columns:
    """Values of a struct type gathered field by field (a Python list per field)."""

    def __init__(self, struct: pa.StructType):
        self.struct = struct
        self.values: list[list] = [[] for _ in range(struct.num_fields)]

    def arrays(self) -> list[pa.Array]:
        return [
            pa.array(values, type=self.struct.field(i).type) for i, values in enumerate(self.values)
        ]

    def struct_array(self, mask: list[bool] | None = None) -> pa.StructArray:
        return pa.StructArray.from_arrays(
            self.arrays(),
            fields=list(self.struct),
            mask=None if mask is None else pa.array(mask, type=pa.bool_()),
        )


class _ListOfStructs(_Columns):
    def __init__(self, struct: pa.StructType):
        super().__init__(struct)
        self.offsets = [0]

    def close_row(self) -> None:
        self.offsets.append(len(self.values[0]))

    def list_array(self) -> pa.ListArray:
        return pa.ListArray.from_arrays(pa.array(self.offsets, pa.int32()), self.struct_array())


class DossierColumns:
    """Landed rows of dossiers, built column by column (a page's worth at a time): personal data
    hashed or dropped, free text reduced to its length (sources.md D). Straight to Arrow: no
    dict per row, per fee, per file or per step."""

    SCALARS = [
        f.name
        for f in DOSSIER_SCHEMA
        if f.name not in ("fees", "files", "rating", "history", "_run_id", "_extracted_at")
    ]

    def __init__(self, hasher: PiiHasher):
        self.hasher = hasher
        self.scalars: dict[str, list] = {name: [] for name in self.SCALARS}
        self.fees = _ListOfStructs(FEE_TYPE)
        self.files = _ListOfStructs(FILE_TYPE)
        self.history = _ListOfStructs(HISTORY_TYPE)
        self.rating = _Columns(RATING_TYPE)
        self.rating_missing: list[bool] = []
        self.partitions: list[str] = []

    def __len__(self) -> int:
        return len(self.partitions)

    def append(self, dossier: Dossier, partition: str) -> None:
        hasher, c = self.hasher, self.scalars
        c["id"].append(dossier.id)
        c["code"].append(dossier.code)
        c["nation_code"].append(dossier.nation_code)
        c["procedure_id"].append(dossier.procedure.id)
        c["procedure_code"].append(dossier.procedure.code)
        c["agency_id"].append(dossier.agency.id)
        c["agency_code"].append(dossier.agency.code)
        c["apply_method"].append(dossier.apply_method.id if dossier.apply_method else None)
        c["result_delivery"].append(dossier.result_delivery)
        c["applicant_type"].append(dossier.applicant.type if dossier.applicant else None)
        c["applicant_key"].append(_applicant_key(dossier, hasher))
        c["submitted_at"].append(dossier.submitted_date)
        c["accepted_at"].append(dossier.accepted_date)
        c["appointment_at"].append(dossier.appointment_date)
        c["completed_at"].append(dossier.completed_date)
        c["returned_at"].append(dossier.returned_date)
        c["updated_at"].append(dossier.updated_date)
        c["status_id"].append(dossier.dossier_status.id)
        c["vneid_authenticated"].append(dossier.vneid_authenticated)
        c["connected_databases"].append(dossier.connected_databases)
        c["inter_agency_copy"].append(dossier.inter_agency_copy)
        c["extra_json"].append(
            extra_json(
                ("", dossier),
                ("applicant.", dossier.applicant),
                ("dossierStatus.", dossier.dossier_status),
                redacted=("applicant.",),
                hasher=hasher,
                kept=kept_of(dossier),
            )
        )
        (code, name, kind, amount, status, method, paid_at, receipt_no) = self.fees.values
        for f in dossier.fees:
            code.append(f.code)
            name.append(f.name)
            kind.append(f.kind)
            amount.append(f.amount)
            status.append(f.status)
            method.append(f.method)
            paid_at.append(f.paid_date)
            receipt_no.append(f.receipt_no)
        self.fees.close_row()
        (fid, kind, component, result, has_url, digitized, reuse, from_store, signed, pushed) = (
            self.files.values
        )
        for f in dossier.files:
            fid.append(f.id)
            kind.append(f.kind)
            component.append(f.component_code)
            result.append(f.result_code)
            has_url.append(bool(f.url))
            digitized.append(f.digitized)
            reuse.append(f.reuse)
            from_store.append(f.from_citizen_store)
            signed.append(f.signed)
            pushed.append(f.pushed_to_citizen_store)
        self.files.close_row()
        (
            seq,
            at,
            action,
            status_id,
            from_code,
            to_code,
            officer,
            has_note,
            note_length,
            doc,
            new_at,
        ) = self.history.values
        for h in dossier.history:
            seq.append(h.seq)
            at.append(h.at)
            action.append(h.action)
            status_id.append(h.status_id)
            from_code.append(h.from_agency_code)
            to_code.append(h.to_agency_code)
            officer.append(hasher(h.officer))
            length = text_length(h.note)
            has_note.append(length > 0)
            note_length.append(length)
            doc.append(h.document_no)
            new_at.append(h.new_appointment_date)
        self.history.close_row()
        rating = dossier.rating
        value, rated_at, channel = self.rating.values
        value.append(rating.value if rating else None)
        rated_at.append(rating.rated_at if rating else None)
        channel.append(rating.channel if rating else None)
        self.rating_missing.append(rating is None)
        self.partitions.append(partition)

    def batch(self, schema: pa.Schema, run_id: str, extracted_at) -> pa.RecordBatch:
        """The rows as one record batch of `schema` (DOSSIER_SCHEMA plus, optionally, the
        partition column last)."""
        arrays = {
            name: _array(values, DOSSIER_SCHEMA.field(name).type)
            for name, values in self.scalars.items()
        }
        arrays["fees"] = self.fees.list_array()
        arrays["files"] = self.files.list_array()
        arrays["history"] = self.history.list_array()
        arrays["rating"] = self.rating.struct_array(self.rating_missing)
        landing = {"_run_id", "_extracted_at"}
        extra = [f.name for f in schema if f.name not in arrays and f.name not in landing]
        for name in extra:  # the partition column
            arrays[name] = pa.array(self.partitions, schema.field(name).type)
        return landed_batch(schema, arrays, len(self), run_id, extracted_at)
