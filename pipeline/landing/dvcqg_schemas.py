"""Explicit Arrow schemas of the national portal's raw datasets and the typed-record → row maps.

Personal data is hashed or dropped here (sources.md D): the applicant (`ChuHoSo`,
`SoGiayToChuHoSo`) becomes `applicant_key` (the same keyed hash as the one-stop record's),
officers (`NguoiXuLy`) become `officer_key`, and free text (`TrichYeuHoSo`, `NoiDungBoSung`,
`NoiDungXuLy`) becomes "has text" + its length. File names and URLs are dropped (a file name
can carry a person's name); whether a URL exists is kept. Unknown fields go to `extra_json`.
"""

from __future__ import annotations

from typing import Protocol

import pyarrow as pa

from pipeline.landing.pii import PiiHasher, text_length
from pipeline.landing.schemas import (
    LANDING_FIELDS,
    TS,
    _array,
    _ListOfStructs,
    extra_json,
    kept_of,
    landed_batch,
)
from pipeline.periods import Period
from pipeline.sources.dvcqg_records import (
    EVALUATION_COUNTER_KEYS,
    DossierCopy,
    EvaluationEntry,
    Petition,
    counter_value,
)

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


class DossierCopyColumns:
    """Landed rows of national copies, built column by column (a page's worth at a time), like
    the one-stop dossiers' `DossierColumns`: applicant and officers hashed, free text reduced
    to its length, file names and URLs dropped. Straight to Arrow: no dict per row, per file,
    per fee, per round or per step."""

    SCALARS = [
        f.name
        for f in DOSSIER_COPY_SCHEMA
        if f.name
        not in ("files", "fees", "supplements", "results", "steps", "_run_id", "_extracted_at")
    ]

    def __init__(self, hasher: PiiHasher):
        self.hasher = hasher
        self.scalars: dict[str, list] = {name: [] for name in self.SCALARS}
        self.files = _ListOfStructs(SUBMITTED_FILE_TYPE)
        self.fees = _ListOfStructs(FEE_LINE_TYPE)
        self.supplements = _ListOfStructs(SUPPLEMENT_TYPE)
        self.results = _ListOfStructs(RESULT_DOCUMENT_TYPE)
        self.steps = _ListOfStructs(PROCESSING_STEP_TYPE)

    def __len__(self) -> int:
        return len(self.scalars["national_code"])

    def append(self, copy: DossierCopy, partition: str) -> None:
        hasher, c = self.hasher, self.scalars
        summary = text_length(copy.summary)
        c["national_code"].append(copy.national_code)
        c["procedure_code"].append(copy.procedure_code)
        c["procedure_name"].append(copy.procedure_name)
        c["sector_code"].append(copy.sector_code)
        c["channel"].append(copy.channel)
        c["applicant_type"].append(copy.applicant_type)
        c["applicant_key"].append(hasher(copy.applicant_id_number or copy.applicant_name))
        c["has_summary"].append(summary > 0)
        c["summary_length"].append(summary)
        c["submitted_at"].append(copy.submitted_at)
        c["received_at"].append(copy.received_at)
        c["due_at"].append(copy.due_at)
        c["finished_at"].append(copy.finished_at)
        c["returned_at"].append(copy.returned_at)
        c["refused_at"].append(copy.refused_at)
        c["status"].append(copy.status)
        c["result_delivery"].append(copy.result_delivery)
        c["unit_name"].append(copy.unit_name)
        c["unit_code"].append(copy.unit_code)
        c["submission_place"].append(copy.submission_place)
        c["has_digitized_component"].append(copy.has_digitized_component)
        c["vneid_authenticated"].append(copy.vneid_authenticated)
        c["online_payment_kind"].append(copy.online_payment_kind)
        c["synced_at"].append(copy.synced_at)
        c["extra_json"].append(extra_json(("", copy), hasher=hasher, kept=kept_of(copy)))
        c["reception_month"].append(partition)
        file_id, has_url, digitized, reused, from_store = self.files.values
        for f in copy.files:
            file_id.append(f.file_id)
            has_url.append(bool(f.url))
            digitized.append(f.digitized)
            reused.append(f.reused)
            from_store.append(f.from_national_store)
        self.files.close_row()
        code, name, amount = self.fees.values
        for f in copy.fees:
            code.append(f.code)
            name.append(f.name)
            amount.append(f.amount)
        self.fees.close_row()
        requested_at, received_at, has_content, content_length = self.supplements.values
        for s in copy.supplements:
            length = text_length(s.content)
            requested_at.append(s.requested_at)
            received_at.append(s.received_at)
            has_content.append(length > 0)
            content_length.append(length)
        self.supplements.close_row()
        code, name, has_url = self.results.values
        for r in copy.results:
            code.append(r.code)
            name.append(r.name)
            has_url.append(bool(r.url))
        self.results.close_row()
        at, status, department, officer_key, has_content, content_length = self.steps.values
        for s in copy.steps:
            length = text_length(s.content)
            at.append(s.at)
            status.append(s.status)
            department.append(s.department)
            officer_key.append(hasher(s.officer))
            has_content.append(length > 0)
            content_length.append(length)
        self.steps.close_row()

    def batch(self, schema: pa.Schema, run_id: str, extracted_at) -> pa.RecordBatch:
        """The rows as one record batch of `schema` (DOSSIER_COPY_SCHEMA)."""
        arrays = {
            name: _array(values, schema.field(name).type) for name, values in self.scalars.items()
        }
        arrays["files"] = self.files.list_array()
        arrays["fees"] = self.fees.list_array()
        arrays["supplements"] = self.supplements.list_array()
        arrays["results"] = self.results.list_array()
        arrays["steps"] = self.steps.list_array()
        return landed_batch(schema, arrays, len(self), run_id, extracted_at)


class RecordColumns(Protocol):
    """Landed rows of one page of typed records, turned into one Arrow batch."""

    def append(self, record, partition: str) -> None: ...

    def batch(self, schema: pa.Schema, run_id: str, extracted_at) -> pa.RecordBatch: ...


class PetitionRows:
    """Landed rows of PAKN (a few thousand a crawl: built as dicts)."""

    def __init__(self):
        self.rows: list[dict] = []

    def append(self, petition: Petition, partition: str) -> None:
        self.rows.append(petition_row(petition) | {"reception_month": partition})

    def batch(self, schema: pa.Schema, run_id: str, extracted_at) -> pa.RecordBatch:
        rows = [row | {"_run_id": run_id, "_extracted_at": extracted_at} for row in self.rows]
        return pa.RecordBatch.from_pylist(rows, schema=schema)


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
        "extra_json": extra_json(("", petition), kept=kept_of(petition)),
    }


def evaluation_row(
    group: str,
    period: Period,
    entry: EvaluationEntry,
    is_root: bool,
    hasher: PiiHasher | None = None,
) -> dict:
    """One unit of one group's evaluation; the announced counters with a number are the tree
    counters (an unannounced key is never a counter, whatever its value: it may be personal)."""
    counters = {
        k: counter_value(v)
        for k, v in entry.extra.items()
        if k in EVALUATION_COUNTER_KEYS and counter_value(v) is not None
    }
    others = {k: v for k, v in entry.extra.items() if k not in counters and k != "stt"}
    tree_score = entry.total_score if entry.total_score is not None else entry.score
    tree_max = entry.total_max_score if entry.total_max_score is not None else entry.max_score
    return {
        "portal_group": group,
        "period_type": period.period_type,
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
        "extra_json": extra_json(("", others), hasher=hasher, kept=kept_of(entry)),
    }
