"""Typed records of the provincial one-stop system (sources.md A), validated at the edge.

A record that does not fit these models is rejected (kept in `audit.rejects`), never guessed.
Fields the models do not know are kept verbatim in `extra` (schema drift is visible, not lost).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import orjson
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    StrictBool,
    model_validator,
)

from pipeline.sources.lenient import (
    FastText,
    LandedRecord,
    Lenient,
    Record,
    as_strict_bool,
    as_text,
    as_text_or_number,
    key_name,
    lenient,
)

# Instants a rule reads must fall in these years (a year 9999 is outside the domain).
EARLIEST_YEAR, LATEST_YEAR = 1990, 2199


def _iso_instant(value: object) -> object:
    """ISO-8601 text with an offset only: pydantic alone would read a digit string such as
    `20251302083000` as a Unix timestamp and invent a date. (Messages are templates: a
    rejected value is never echoed.)"""
    if value is None or isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        raise ValueError("not an ISO timestamp")
    try:
        ts = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("not an ISO timestamp") from None
    if not EARLIEST_YEAR <= ts.year <= LATEST_YEAR:
        raise ValueError(f"instant outside the years {EARLIEST_YEAR}-{LATEST_YEAR}")
    return ts


Instant = Annotated[AwareDatetime, BeforeValidator(_iso_instant)]


def _lenient_instant(value: object) -> dt.datetime | None:
    ts = _iso_instant(value)
    if ts is not None and ts.tzinfo is None:
        raise ValueError("no offset")
    return ts


# Unread fields (docs/source_fields.md): typed when announced-shaped, else empty and noted.
def LText(field: str):  # noqa: N802
    return Lenient(str, field, as_text, FastText)


def LInstant(field: str):  # noqa: N802
    return Lenient(dt.datetime, field, _lenient_instant)


def LBool(field: str):  # noqa: N802
    return Annotated[bool | None, lenient(field, as_strict_bool), AfterValidator(bool)]


def invalid_text_path(value: object, path: str = "record") -> str | None:
    """Where a payload holds text that is not valid Unicode (a lone surrogate, which is what a
    JSON `\\udcff` escape decodes to): such text cannot be hashed, stored or printed. (ASCII
    text is skipped and the rest checked by the codec: a few % of a record's validation.)"""
    if isinstance(value, str):
        if value.isascii():
            return None
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            found = invalid_text_path(key, path) or invalid_text_path(
                item, f"{path}.{key_name(key)}"
            )
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = invalid_text_path(item, f"{path}.{index}")
            if found:
                return found
    return None


def refuse_invalid_text(payload: object) -> object:
    """A `mode="before"` model check: records carrying invalid text are rejected.

    orjson serialises only valid Unicode, in C: when it can, the record holds no lone
    surrogate and the walk in Python (a third of a record's validation) is skipped; when it
    cannot (a surrogate, or anything else it refuses), the walk decides and says where."""
    try:
        orjson.dumps(payload)
    except TypeError:
        pass
    else:
        return payload
    where = invalid_text_path(payload)
    if where:
        raise ValueError(f"invalid UTF-8 text (lone surrogate) in {where}")
    return payload


class Ref(Record):
    id: str
    code: str | None = None
    name: LText("name") = None


class ApplyMethod(Record):
    id: Annotated[int, Field(ge=-(2**15), le=2**15 - 1)]


class Applicant(Record):
    type: Literal[1, 2, 3, 4]
    fullname: Lenient(str, "applicant.fullname", as_text_or_number, FastText) = None
    identity_number: Lenient(str, "applicant.identityNumber", as_text_or_number, FastText) = Field(
        None, alias="identityNumber"
    )
    phone_number: LText("applicant.phoneNumber") = Field(None, alias="phoneNumber")
    email: LText("applicant.email") = None
    address: LText("applicant.address") = None


class DossierStatus(Record):
    id: Annotated[int, Field(ge=-(2**15), le=2**15 - 1)]
    name: LText("dossierStatus.name") = None


class Fee(Record):
    code: LText("fees[].code") = None
    name: LText("fees[].name") = None
    kind: LText("fees[].kind") = None
    amount: Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
    status: Literal["UNPAID", "PAID", "REFUNDED", "EXEMPT"]
    method: Literal["ONLINE_NATIONAL", "ONLINE_PROVINCIAL", "CASH", "TRANSFER"] | None = None
    paid_date: LInstant("fees[].paidDate") = Field(None, alias="paidDate")
    receipt_no: LText("fees[].receiptNo") = Field(None, alias="receiptNo")


class File(Record):
    id: LText("files[].id") = None
    kind: Literal["COMPONENT", "RESULT"]
    name: LText("files[].name") = None
    component_code: LText("files[].componentCode") = Field(None, alias="componentCode")
    result_code: str | None = Field(None, alias="resultCode")
    url: str | None = None
    digitized: StrictBool = False
    reuse: Literal[0, 1, 2] = 0
    from_citizen_store: StrictBool = Field(False, alias="fromCitizenStore")
    signed: LBool("files[].signed") = False
    pushed_to_citizen_store: StrictBool = Field(False, alias="pushedToCitizenStore")


class Rating(Record):
    value: Literal["VERY_SATISFIED", "SATISFIED", "DISSATISFIED"]
    rated_at: Instant | None = Field(None, alias="ratedAt")
    channel: LText("rating.channel") = None


class HistoryStep(Record):
    seq: Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
    at: Instant
    action: str
    status_id: Annotated[int | None, Field(ge=-(2**15), le=2**15 - 1)] = Field(
        None, alias="statusId"
    )
    from_agency_code: LText("history[].fromAgencyCode") = Field(None, alias="fromAgencyCode")
    to_agency_code: LText("history[].toAgencyCode") = Field(None, alias="toAgencyCode")
    officer: Lenient(str, "history[].officer", as_text_or_number, FastText) = None
    note: Lenient(str, "history[].note", as_text_or_number, FastText) = None
    document_no: str | None = Field(None, alias="documentNo")
    new_appointment_date: Instant | None = Field(None, alias="newAppointmentDate")


class Dossier(LandedRecord):
    id: str = Field(min_length=1, max_length=64)
    code: str = Field(min_length=1, max_length=128)
    nation_code: str | None = Field(None, alias="nationCode", max_length=128)
    procedure: Ref
    agency: Ref
    apply_method: ApplyMethod | None = Field(None, alias="applyMethod")
    result_delivery: Literal["COUNTER", "POST"] | None = Field(None, alias="resultDelivery")
    applicant: Applicant | None = None
    # The timestamps are part of every dossier object (null when not reached): a missing key
    # is a malformed record, not an absent date.
    submitted_date: Instant | None = Field(alias="submittedDate")
    accepted_date: Instant | None = Field(alias="acceptedDate")
    appointment_date: Instant | None = Field(alias="appointmentDate")
    completed_date: Instant | None = Field(alias="completedDate")
    returned_date: Instant | None = Field(alias="returnedDate")
    updated_date: Instant = Field(alias="updatedDate")
    dossier_status: DossierStatus = Field(alias="dossierStatus")
    vneid_authenticated: StrictBool = Field(False, alias="vneidAuthenticated")
    connected_databases: list[str] = Field(default_factory=list, alias="connectedDatabases")
    fees: list[Fee] = Field(default_factory=list)
    files: list[File] = Field(default_factory=list)
    rating: Rating | None = None
    history: list[HistoryStep] = Field(default_factory=list)
    inter_agency_copy: StrictBool = Field(False, alias="interAgencyCopy")

    @model_validator(mode="before")
    @classmethod
    def valid_text(cls, data: object) -> object:
        return refuse_invalid_text(data)

    @model_validator(mode="after")
    def possible_dates(self) -> Dossier:
        """Impossible chronologies are refused, never repaired (issue 9): accepted before
        submitted, completed or returned before accepted, a step before the submission."""
        submitted, accepted = self.submitted_date, self.accepted_date
        if submitted and accepted and accepted < submitted:
            raise ValueError("impossible dates: acceptedDate before submittedDate")
        for name, value in (
            ("completedDate", self.completed_date),
            ("returnedDate", self.returned_date),
        ):
            if accepted and value and value < accepted:
                raise ValueError(f"impossible dates: {name} before acceptedDate")
        first = submitted or accepted
        for step in self.history:
            if first and step.at < first:
                raise ValueError(
                    f"impossible dates: history step {step.seq} before the dossier was submitted"
                )
            if accepted and step.action in FINISHING_ACTIONS and step.at < accepted:
                raise ValueError(
                    f"impossible dates: history step {step.seq} (a finishing action) before "
                    "acceptedDate"
                )
        return self


# History actions that finish a dossier (sources.md A.6): none can precede its acceptance.
FINISHING_ACTIONS = frozenset({"COMPLETE", "RESULT_TO_COUNTER", "RETURN"})


class Agency(LandedRecord):
    id: str
    code: str
    name: str
    level: Literal["PROVINCE", "TOWN", "TOWN_DEPT", "WARD", "COMMUNE", "WARD_DEPT"]
    parent_id: str | None = Field(None, alias="parentId")
    gso_code: str | None = Field(None, alias="gsoCode")
    valid_from: dt.date | None = Field(None, alias="validFrom")
    valid_to: dt.date | None = Field(None, alias="validTo")
    successor_code: str | None = Field(None, alias="successorCode")


class Sector(Record):
    code: str
    name: str | None = None


class Procedure(LandedRecord):
    id: str
    code: str
    name: str
    sector: Sector | None = None
    level: Literal["FULL", "PARTIAL", "NONE"]
    full_online_eligible: StrictBool = Field(False, alias="fullOnlineEligible")
    processing_time: float = Field(alias="processingTime", ge=0)
    processing_time_unit: Literal["WORKING_DAY", "DAY", "HOUR", "MONTH"] = Field(
        alias="processingTimeUnit"
    )
    same_day_cutoff: str | None = Field(None, alias="sameDayCutoff", pattern=r"^\d{2}:\d{2}$")
    fee_amount: int | None = Field(None, alias="feeAmount", ge=0)
    result_is_document: StrictBool = Field(False, alias="resultIsDocument")
    citizen_facing: StrictBool = Field(True, alias="citizenFacing")
    e_certified_copy: StrictBool = Field(False, alias="eCertifiedCopy")
    applied_agency_codes: list[str] = Field(default_factory=list, alias="appliedAgencyCodes")
    valid_from: dt.date | None = Field(None, alias="validFrom")
    valid_to: dt.date | None = Field(None, alias="validTo")
