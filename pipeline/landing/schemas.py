"""Explicit Arrow schemas of the raw zone and the mapping from typed records to landed rows.

Personal data is hashed or dropped here (sources.md D): applicant identifiers become
`applicant_key`, officers become `officer_key`, free text becomes "has a note" + its length.
Unknown source fields are kept as JSON in `extra_json`.
"""

from __future__ import annotations

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


def extra_json(*records, redacted=()) -> str | None:
    """Unknown fields (of records, or plain dicts) as JSON, personal-looking ones redacted;
    under `redacted` prefixes (objects that are personal data as a whole) only their names."""
    extra = {}
    for prefix, record in records:
        fields = record if isinstance(record, dict) else getattr(record, "extra", None)
        if fields:
            for key, value in redact(fields).items():
                extra[f"{prefix}{key}"] = REDACTED if prefix in redacted else value
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


def dossier_row(dossier: Dossier, hasher: PiiHasher) -> dict:
    """The landed row of a dossier: personal data hashed or dropped, free text reduced."""
    return {
        "id": dossier.id,
        "code": dossier.code,
        "nation_code": dossier.nation_code,
        "procedure_id": dossier.procedure.id,
        "procedure_code": dossier.procedure.code,
        "agency_id": dossier.agency.id,
        "agency_code": dossier.agency.code,
        "apply_method": dossier.apply_method.id if dossier.apply_method else None,
        "result_delivery": dossier.result_delivery,
        "applicant_type": dossier.applicant.type if dossier.applicant else None,
        "applicant_key": _applicant_key(dossier, hasher),
        "submitted_at": dossier.submitted_date,
        "accepted_at": dossier.accepted_date,
        "appointment_at": dossier.appointment_date,
        "completed_at": dossier.completed_date,
        "returned_at": dossier.returned_date,
        "updated_at": dossier.updated_date,
        "status_id": dossier.dossier_status.id,
        "vneid_authenticated": dossier.vneid_authenticated,
        "connected_databases": dossier.connected_databases,
        "inter_agency_copy": dossier.inter_agency_copy,
        "fees": [
            {
                "code": f.code,
                "name": f.name,
                "kind": f.kind,
                "amount": f.amount,
                "status": f.status,
                "method": f.method,
                "paid_at": f.paid_date,
                "receipt_no": f.receipt_no,
            }
            for f in dossier.fees
        ],
        "files": [
            {
                "id": f.id,
                "kind": f.kind,
                "component_code": f.component_code,
                "result_code": f.result_code,
                "has_url": bool(f.url),
                "digitized": f.digitized,
                "reuse": f.reuse,
                "from_citizen_store": f.from_citizen_store,
                "signed": f.signed,
                "pushed_to_citizen_store": f.pushed_to_citizen_store,
            }
            for f in dossier.files
        ],
        "rating": (
            {
                "value": dossier.rating.value,
                "rated_at": dossier.rating.rated_at,
                "channel": dossier.rating.channel,
            }
            if dossier.rating
            else None
        ),
        "history": [
            {
                "seq": h.seq,
                "at": h.at,
                "action": h.action,
                "status_id": h.status_id,
                "from_agency_code": h.from_agency_code,
                "to_agency_code": h.to_agency_code,
                "officer_key": hasher(h.officer),
                "has_note": text_length(h.note) > 0,
                "note_length": text_length(h.note),
                "document_no": h.document_no,
                "new_appointment_at": h.new_appointment_date,
            }
            for h in dossier.history
        ],
        "extra_json": extra_json(
            ("", dossier),
            ("applicant.", dossier.applicant),
            ("dossierStatus.", dossier.dossier_status),
            redacted=("applicant.",),
        ),
    }
