"""Explicit Arrow schemas of the national portal's raw datasets and the typed-record → row maps.

Personal data is hashed or dropped here (sources.md D): the applicant (`ChuHoSo`,
`SoGiayToChuHoSo`) becomes `applicant_key` (the same keyed hash as the one-stop record's),
officers (`NguoiXuLy`) become `officer_key`, and free text (`TrichYeuHoSo`, `NoiDungBoSung`,
`NoiDungXuLy`) becomes "has text" + its length. File names and URLs are dropped (a file name
can carry a person's name); whether a URL exists is kept. Unknown fields go to `extra_json`.
"""

from __future__ import annotations

import pyarrow as pa

from pipeline.landing.pii import PiiHasher, text_length
from pipeline.landing.schemas import LANDING_FIELDS, TS, extra_json
from pipeline.sources.dvcqg import Period
from pipeline.sources.dvcqg_records import DossierCopy, EvaluationEntry, Petition

SUBMITTED_FILE_TYPE = pa.struct(
    [
        ("file_id", pa.string()),
        ("has_url", pa.bool_()),
        ("digitized", pa.bool_()),
        ("reused", pa.int16()),
        ("from_national_store", pa.bool_()),
    ]
)
FEE_LINE_TYPE = pa.struct([("code", pa.string()), ("name", pa.string()), ("amount", pa.int64())])
SUPPLEMENT_TYPE = pa.struct(
    [
        ("requested_at", TS),
        ("received_at", TS),
        ("has_content", pa.bool_()),
        ("content_length", pa.int32()),
    ]
)
RESULT_DOCUMENT_TYPE = pa.struct(
    [("code", pa.string()), ("name", pa.string()), ("has_url", pa.bool_())]
)
PROCESSING_STEP_TYPE = pa.struct(
    [
        ("at", TS),
        ("status", pa.int16()),
        ("department", pa.string()),
        ("officer_key", pa.string()),
        ("has_content", pa.bool_()),
        ("content_length", pa.int32()),
    ]
)

DOSSIER_COPY_SCHEMA = pa.schema(
    [
        pa.field("national_code", pa.string(), nullable=False),
        pa.field("procedure_code", pa.string(), nullable=False),
        pa.field("procedure_name", pa.string()),
        pa.field("sector_code", pa.string()),
        pa.field("channel", pa.int16()),
        pa.field("applicant_type", pa.int16()),
        pa.field("applicant_key", pa.string()),
        pa.field("has_summary", pa.bool_()),
        pa.field("summary_length", pa.int32()),
        pa.field("submitted_at", TS),
        pa.field("received_at", TS),
        pa.field("due_at", TS),
        pa.field("finished_at", TS),
        pa.field("returned_at", TS),
        pa.field("refused_at", TS),
        pa.field("status", pa.int16(), nullable=False),
        pa.field("result_delivery", pa.int16()),
        pa.field("unit_name", pa.string()),
        pa.field("unit_code", pa.string(), nullable=False),
        pa.field("submission_place", pa.int16()),
        pa.field("has_digitized_component", pa.bool_()),
        pa.field("vneid_authenticated", pa.bool_()),
        pa.field("online_payment_kind", pa.int16()),
        pa.field("files", pa.list_(SUBMITTED_FILE_TYPE)),
        pa.field("fees", pa.list_(FEE_LINE_TYPE)),
        pa.field("supplements", pa.list_(SUPPLEMENT_TYPE)),
        pa.field("results", pa.list_(RESULT_DOCUMENT_TYPE)),
        pa.field("steps", pa.list_(PROCESSING_STEP_TYPE)),
        pa.field("synced_at", TS, nullable=False),
        pa.field("extra_json", pa.string()),
        *LANDING_FIELDS,
        pa.field("reception_month", pa.string()),
    ]
)

PETITION_SCHEMA = pa.schema(
    [
        pa.field("petition_code", pa.string(), nullable=False),
        pa.field("unit_code", pa.string(), nullable=False),
        pa.field("received_at", TS, nullable=False),
        pa.field("due_at", TS),
        pa.field("answered_at", TS),
        pa.field("status", pa.string(), nullable=False),
        pa.field("petition_type", pa.string()),
        pa.field("likes", pa.int32()),
        pa.field("dislikes", pa.int32()),
        pa.field("re_complaint", pa.bool_()),
        pa.field("national_code", pa.string()),
        pa.field("updated_at", TS, nullable=False),
        pa.field("extra_json", pa.string()),
        *LANDING_FIELDS,
        pa.field("reception_month", pa.string()),
    ]
)

METRIC_TYPE = pa.struct(
    [
        ("code", pa.string()),
        ("name", pa.string()),
        ("numerator", pa.int64()),
        ("denominator", pa.int64()),
        ("ratio", pa.float64()),
        ("score", pa.float64()),
        ("max_score", pa.float64()),
        ("data_quality_status", pa.string()),
        ("data_quality_message", pa.string()),
    ]
)
COUNTER_TYPE = pa.struct([("name", pa.string()), ("value", pa.float64())])

EVALUATION_SCHEMA = pa.schema(
    [
        pa.field("portal_group", pa.string(), nullable=False),
        pa.field("period_type", pa.string(), nullable=False),
        pa.field("period_start", pa.date32(), nullable=False),
        pa.field("period_end", pa.date32(), nullable=False),
        pa.field("is_root", pa.bool_(), nullable=False),
        pa.field("department_id", pa.string(), nullable=False),
        pa.field("department_code", pa.string()),
        pa.field("department_name", pa.string()),
        pa.field("department_level", pa.string()),
        pa.field("total_score", pa.float64()),
        pa.field("total_max_score", pa.float64()),
        pa.field("ratio", pa.float64()),
        pa.field("metrics", pa.list_(METRIC_TYPE)),
        pa.field("counters", pa.list_(COUNTER_TYPE)),
        pa.field("extra_json", pa.string()),
        *LANDING_FIELDS,
        pa.field("period", pa.string()),
    ]
)

FORMALITY_SCHEMA = pa.schema(
    [
        pa.field("code", pa.string()),
        pa.field("name", pa.string()),
        pa.field("payload_json", pa.string()),
        *LANDING_FIELDS,
    ]
)


def dossier_copy_row(copy: DossierCopy, hasher: PiiHasher) -> dict:
    return {
        "national_code": copy.national_code,
        "procedure_code": copy.procedure_code,
        "procedure_name": copy.procedure_name,
        "sector_code": copy.sector_code,
        "channel": copy.channel,
        "applicant_type": copy.applicant_type,
        "applicant_key": hasher(copy.applicant_id_number or copy.applicant_name),
        "has_summary": text_length(copy.summary) > 0,
        "summary_length": text_length(copy.summary),
        "submitted_at": copy.submitted_at,
        "received_at": copy.received_at,
        "due_at": copy.due_at,
        "finished_at": copy.finished_at,
        "returned_at": copy.returned_at,
        "refused_at": copy.refused_at,
        "status": copy.status,
        "result_delivery": copy.result_delivery,
        "unit_name": copy.unit_name,
        "unit_code": copy.unit_code,
        "submission_place": copy.submission_place,
        "has_digitized_component": copy.has_digitized_component,
        "vneid_authenticated": copy.vneid_authenticated,
        "online_payment_kind": copy.online_payment_kind,
        "files": [
            {
                "file_id": f.file_id,
                "has_url": bool(f.url),
                "digitized": f.digitized,
                "reused": f.reused,
                "from_national_store": f.from_national_store,
            }
            for f in copy.files
        ],
        "fees": [{"code": f.code, "name": f.name, "amount": f.amount} for f in copy.fees],
        "supplements": [
            {
                "requested_at": s.requested_at,
                "received_at": s.received_at,
                "has_content": text_length(s.content) > 0,
                "content_length": text_length(s.content),
            }
            for s in copy.supplements
        ],
        "results": [{"code": r.code, "name": r.name, "has_url": bool(r.url)} for r in copy.results],
        "steps": [
            {
                "at": s.at,
                "status": s.status,
                "department": s.department,
                "officer_key": hasher(s.officer),
                "has_content": text_length(s.content) > 0,
                "content_length": text_length(s.content),
            }
            for s in copy.steps
        ],
        "synced_at": copy.synced_at,
        "extra_json": extra_json(("", copy)),
    }


def petition_row(petition: Petition) -> dict:
    return {
        "petition_code": petition.petition_code,
        "unit_code": petition.unit_code,
        "received_at": petition.received_at,
        "due_at": petition.due_at,
        "answered_at": petition.answered_at,
        "status": petition.status,
        "petition_type": petition.petition_type,
        "likes": petition.likes,
        "dislikes": petition.dislikes,
        "re_complaint": petition.re_complaint,
        "national_code": petition.national_code,
        "updated_at": petition.updated_at,
        "extra_json": extra_json(("", petition)),
    }


# Numeric fields of an entry that are not counters (`stt` is the row number on the page).
NOT_COUNTERS = frozenset({"stt"})


def evaluation_row(group: str, period: Period, entry: EvaluationEntry, is_root: bool) -> dict:
    """One unit of one group's evaluation; numeric unknown fields are the tree counters."""
    counters = {
        k: float(v)
        for k, v in entry.extra.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and k not in NOT_COUNTERS
    }
    others = {k: v for k, v in entry.extra.items() if k not in counters and k not in NOT_COUNTERS}
    tree_score = entry.total_score if entry.total_score is not None else entry.score
    tree_max = entry.total_max_score if entry.total_max_score is not None else entry.max_score
    return {
        "portal_group": group,
        "period_type": period.type,
        "period_start": period.start,
        "period_end": period.end,
        "is_root": is_root,
        "department_id": entry.department_id,
        "department_code": entry.department_code,
        "department_name": entry.department_name,
        "department_level": entry.department_level or entry.level,
        "total_score": tree_score,
        "total_max_score": tree_max,
        "ratio": entry.ratio,
        "metrics": [
            {
                "code": m.code,
                "name": m.name,
                "numerator": m.numerator,
                "denominator": m.denominator,
                "ratio": m.ratio,
                "score": m.score,
                "max_score": m.max_score,
                "data_quality_status": m.data_quality_status,
                "data_quality_message": m.data_quality_message,
            }
            for m in entry.metrics
        ],
        "counters": [{"name": k, "value": v} for k, v in sorted(counters.items())],
        "extra_json": extra_json(("", others)),
    }
