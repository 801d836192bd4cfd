"""Typed records of the national portal (sources.md B), validated at the edge.

The integration surface sends strings only: dates `yyyyMMddHHmmss` in Vietnam time, codes and
flags as digit strings, `""` for empty. These models turn them into typed values once; a
record that does not fit is rejected (kept in `audit.rejects`), never guessed. Fields the
models do not know are kept in `extra` (schema drift is visible, not lost).
"""

from __future__ import annotations

import datetime as dt
import math
from functools import cache
from typing import Annotated, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    model_validator,
)

from pipeline.seeds import seed_rows
from pipeline.sources.dvcqg import parse_compact
from pipeline.sources.lenient import (
    INT16,
    INT64,
    FastNonEmptyText,
    LandedRecord,
    Lenient,
    Record,
    as_flag,
    as_text,
    as_text_or_number,
    bounded_digits,
    lenient,
    lenient_list,
    note_shape_changed,
)
from pipeline.sources.motcua_records import EARLIEST_YEAR, LATEST_YEAR, refuse_invalid_text


def _compact(value: object) -> dt.datetime | None:
    try:
        ts = parse_compact(value)
    except ValueError:
        raise ValueError("not a yyyyMMddHHmmss timestamp") from None
    if ts is not None and not EARLIEST_YEAR <= ts.year <= LATEST_YEAR:
        raise ValueError(f"instant outside the years {EARLIEST_YEAR}-{LATEST_YEAR}")
    return ts


def _digits(value: object) -> int | None:
    """A digit string (or int) as int; `""` as None. Anything else is invalid (the messages
    are templates: a rejected value is never echoed)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("not a number (a boolean)")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise ValueError("not a number")


def _text(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError("not a string")
    return value


def _bounded(low: int, high: int):
    def check(value: object) -> int | None:
        number = _digits(value)
        if number is not None and not low <= number <= high:
            raise ValueError("number outside the range of its column")
        return number

    return check


Compact = Annotated[dt.datetime | None, BeforeValidator(_compact)]
Digits = Annotated[int | None, BeforeValidator(_digits)]
Count = Annotated[int | None, BeforeValidator(_bounded(0, 2**31 - 1))]
Flag = Annotated[bool, BeforeValidator(as_flag)]
Text = Annotated[str | None, BeforeValidator(_text)]


# Unread fields (docs/source_fields.md): typed when announced-shaped, else empty and noted.
def LText(field: str):  # noqa: N802
    return Lenient(str, field, as_text, FastNonEmptyText)


def LDigits(field: str, bounds=INT16):  # noqa: N802
    return Lenient(int, field, bounded_digits(bounds))


def LCompact(field: str):  # noqa: N802
    return Lenient(dt.datetime, field, _compact)


def LFlag(field: str):  # noqa: N802
    return Annotated[bool | None, lenient(field, as_flag), AfterValidator(bool)]


class SubmittedFile(Record):
    file_id: LText("TaiLieuNop[].TepDinhKemId") = Field(None, alias="TepDinhKemId")
    name: LText("TaiLieuNop[].TenTepDinhKem") = Field(None, alias="TenTepDinhKem")
    url: LText("TaiLieuNop[].DuongDanTaiTepTin") = Field(None, alias="DuongDanTaiTepTin")
    digitized: LFlag("TaiLieuNop[].DuocSoHoa") = Field(False, alias="DuocSoHoa")
    reused: LDigits("TaiLieuNop[].DuocTaiSuDung") = Field(None, alias="DuocTaiSuDung")
    from_national_store: LFlag("TaiLieuNop[].DuocLayTuKhoDMQG") = Field(
        False, alias="DuocLayTuKhoDMQG"
    )


class FeeLine(Record):
    name: LText("DanhSachLePhi[].TenPhiLePhi") = Field(None, alias="TenPhiLePhi")
    code: LText("DanhSachLePhi[].MaPhiLePhi") = Field(None, alias="MaPhiLePhi")
    amount: LDigits("DanhSachLePhi[].Gia", INT64) = Field(None, alias="Gia")


class SupplementRound(Record):
    requested_at: LCompact("DanhSachHoSoBoSung[].NgayBoSung") = Field(None, alias="NgayBoSung")
    received_at: LCompact("DanhSachHoSoBoSung[].NgayTiepNhanBoSung") = Field(
        None, alias="NgayTiepNhanBoSung"
    )
    content: LText("DanhSachHoSoBoSung[].NoiDungBoSung") = Field(None, alias="NoiDungBoSung")


class ResultDocument(Record):
    name: LText("DanhSachGiayToKetQua[].TenGiayTo") = Field(None, alias="TenGiayTo")
    code: LText("DanhSachGiayToKetQua[].MaGiayToKetQua") = Field(None, alias="MaGiayToKetQua")
    url: LText("DanhSachGiayToKetQua[].DuongDanTepTinKetQua") = Field(
        None, alias="DuongDanTepTinKetQua"
    )


class ProcessingStep(Record):
    at: LCompact("QuaTrinhXuLy[].ThoiDiemXuLy") = Field(None, alias="ThoiDiemXuLy")
    status: LDigits("QuaTrinhXuLy[].TrangThai") = Field(None, alias="TrangThai")
    content: LText("QuaTrinhXuLy[].NoiDungXuLy") = Field(None, alias="NoiDungXuLy")
    department: LText("QuaTrinhXuLy[].PhongBanXuLy") = Field(None, alias="PhongBanXuLy")
    officer: LText("QuaTrinhXuLy[].NguoiXuLy") = Field(None, alias="NguoiXuLy")


class DossierCopy(LandedRecord):
    """A synced copy `DongBoHoSoMC` (sources.md B.1, LayDanhSachHoSoDongBo)."""

    national_code: str = Field(alias="MaHoSo", min_length=1, max_length=128)
    procedure_code: str = Field(alias="MaTTHC", min_length=1)
    procedure_name: LText("TenTTHC") = Field(None, alias="TenTTHC")
    sector_code: LText("MaLinhVuc") = Field(None, alias="MaLinhVuc")
    channel: Annotated[Literal[1, 2, 3] | None, BeforeValidator(_digits)] = Field(
        None, alias="KenhThucHien"
    )
    applicant_type: LDigits("LoaiDoiTuong") = Field(None, alias="LoaiDoiTuong")
    applicant_name: Lenient(str, "ChuHoSo", as_text_or_number, FastNonEmptyText) = Field(
        None, alias="ChuHoSo"
    )
    applicant_id_number: Lenient(str, "SoGiayToChuHoSo", as_text_or_number, FastNonEmptyText) = (
        Field(None, alias="SoGiayToChuHoSo")
    )
    summary: LText("TrichYeuHoSo") = Field(None, alias="TrichYeuHoSo")
    submitted_at: LCompact("NgayNopHoSo") = Field(None, alias="NgayNopHoSo")
    received_at: Compact = Field(alias="NgayTiepNhan")
    due_at: Compact = Field(None, alias="NgayHenTra")
    finished_at: Compact = Field(None, alias="NgayKetThucXuLy")
    returned_at: Compact = Field(None, alias="NgayTra")
    refused_at: LCompact("NgayTuChoi") = Field(None, alias="NgayTuChoi")
    status: Annotated[int, BeforeValidator(_digits), Field(ge=1, le=10)] = Field(
        alias="TrangThaiHoSo"
    )
    result_delivery: LDigits("HinhThuc") = Field(None, alias="HinhThuc")
    unit_name: LText("DonViXuLy") = Field(None, alias="DonViXuLy")
    unit_code: str = Field(alias="MaDonViXuLy", min_length=1)
    submission_place: LDigits("NoiNopHoSo") = Field(None, alias="NoiNopHoSo")
    has_digitized_component: Flag = Field(False, alias="HoSoCoThanhPhanSoHoa")
    vneid_authenticated: LFlag("TaiKhoanDuocXacThucVoiVNeID") = Field(
        False, alias="TaiKhoanDuocXacThucVoiVNeID"
    )
    online_payment_kind: Annotated[Literal[0, 1, 2] | None, BeforeValidator(_digits)] = Field(
        None, alias="DuocThanhToanTrucTuyen"
    )
    files: Annotated[list[SubmittedFile], lenient_list("TaiLieuNop")] = Field(
        default_factory=list, alias="TaiLieuNop"
    )
    fees: list[FeeLine] = Field(default_factory=list, alias="DanhSachLePhi")
    supplements: Annotated[list[SupplementRound], lenient_list("DanhSachHoSoBoSung")] = Field(
        default_factory=list, alias="DanhSachHoSoBoSung"
    )
    results: Annotated[list[ResultDocument], lenient_list("DanhSachGiayToKetQua")] = Field(
        default_factory=list, alias="DanhSachGiayToKetQua"
    )
    steps: Annotated[list[ProcessingStep], lenient_list("QuaTrinhXuLy")] = Field(
        default_factory=list, alias="QuaTrinhXuLy"
    )
    synced_at: Annotated[dt.datetime, BeforeValidator(_compact)] = Field(alias="NgayDongBo")

    @model_validator(mode="before")
    @classmethod
    def valid_text(cls, data: object) -> object:
        return refuse_invalid_text(data)

    @model_validator(mode="after")
    def possible_dates(self) -> DossierCopy:
        """Impossible chronologies are refused, never repaired (issue 9)."""
        if self.submitted_at and self.received_at and self.received_at < self.submitted_at:
            raise ValueError("impossible dates: NgayTiepNhan before NgayNopHoSo")
        for name, value in (("NgayKetThucXuLy", self.finished_at), ("NgayTra", self.returned_at)):
            if self.received_at and value and value < self.received_at:
                raise ValueError(f"impossible dates: {name} before NgayTiepNhan")
        return self


class Petition(LandedRecord):
    """Feedback / petition, PAKN (sources.md B.1, LayDanhSachPAKN)."""

    petition_code: str = Field(alias="MaPAKN", min_length=1, max_length=128)
    unit_code: str = Field(alias="MaDonVi", min_length=1)
    received_at: Annotated[dt.datetime, BeforeValidator(_compact)] = Field(alias="NgayTiepNhan")
    due_at: Compact = Field(None, alias="HanXuLy")
    answered_at: Compact = Field(None, alias="NgayTraLoi")
    status: Literal["DANG_XU_LY", "DA_TRA_LOI"] = Field(alias="TrangThai")
    petition_type: Text = Field(None, alias="LoaiPAKN")
    likes: Count = Field(None, alias="SoLuotThich")
    dislikes: Count = Field(None, alias="SoLuotKhongThich")
    re_complaint: Flag = Field(False, alias="KhieuNaiLai")
    national_code: Text = Field(None, alias="MaHoSo")
    updated_at: Annotated[dt.datetime, BeforeValidator(_compact)] = Field(alias="NgayCapNhat")


# --- public evaluation surface (B.2) --------------------------------------------------------
class Metric(Record):
    code: str = Field(min_length=1)
    name: LText("metrics[].name") = None
    numerator: int | None = None
    denominator: int | None = None
    ratio: float | None = None
    score: float | None = None
    max_score: float | None = Field(None, alias="maxScore")
    data_quality_status: LText("metrics[].dataQualityStatus") = Field(
        None, alias="dataQualityStatus"
    )
    data_quality_message: LText("metrics[].dataQualityMessage") = Field(
        None, alias="dataQualityMessage"
    )


# Keys an evaluation entry carries besides the modelled ones (the tree groups' counters and
# labels, as in the reference captures ../shared/reference/dvcqg-evaluation): announced, so
# not drift; codes and counts, so harmless in a redacted payload.
EVALUATION_ANNOUNCED_KEYS = frozenset(
    {
        "agencyLevel", "authorityCount", "averageScore", "avgProcessingDays",
        "channelDirectSum", "channelOnlineSum", "channelPostalSum", "channelTotalSum",
        "classifiedPetitions", "departmentType", "fullCount", "onlineDossierCount",
        "onlineOnTimeSum", "onlineOverdueSum", "onlineServiceTotal", "partialCount",
        "scoreDelta", "stt", "totalCompleted", "totalDossierFinancialObligation",
        "totalDossierOnlineFormalityPaymentSuccess", "totalDossierOnlinePaymentSuccess",
        "totalDossiers", "totalFeeDossierFormality", "totalFeeDossierFormalityDistinct",
        "totalFeeFormality", "totalOnTime", "totalOverdue", "totalPetitions", "totalReceived",
    }
)  # fmt: skip


# The announced keys that are labels or the row number, not counters.
EVALUATION_LABEL_KEYS = frozenset({"agencyLevel", "departmentType", "stt"})
EVALUATION_COUNTER_KEYS = EVALUATION_ANNOUNCED_KEYS - EVALUATION_LABEL_KEYS


@cache
def read_tree_counters() -> frozenset[str]:
    """The counters a rule reads (the seed `dvcqg_tree_counters`: numerator or denominator of
    an indicator); the other announced counters are unread."""
    return frozenset(row["counter_name"] for row in seed_rows("dvcqg_tree_counters"))


def counter_value(value: object) -> float | None:
    """A counter as the float it lands as; None when it is not a finite number (or is null)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


class EvaluationEntry(LandedRecord):
    """One unit (or the root) of an evaluation response; counters of tree groups stay extra.

    Counters a rule reads must be numbers (or null) of at least 0: anything else rejects the
    entry. The other announced keys (unread counters and labels) in another shape are counted
    as `shape_changed` and kept, redacted, in `extra_json`; unannounced keys never count as
    counters, whatever their value."""

    ANNOUNCED_EXTRA: ClassVar[frozenset[str]] = EVALUATION_ANNOUNCED_KEYS

    department_id: str = Field(alias="departmentId", min_length=1)
    department_code: str | None = Field(None, alias="departmentCode")
    department_name: LText("departmentName") = Field(None, alias="departmentName")
    department_level: LText("departmentLevel") = Field(None, alias="departmentLevel")
    level: LText("level") = None
    total_score: float | None = Field(None, alias="totalScore")
    total_max_score: float | None = Field(None, alias="totalMaxScore")
    score: float | None = None
    max_score: float | None = Field(None, alias="maxScore")
    ratio: float | None = None
    metrics: list[Metric] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def valid_text(cls, data: object) -> object:
        return refuse_invalid_text(data)

    @model_validator(mode="after")
    def announced_shapes(self) -> EvaluationEntry:
        read = read_tree_counters()
        for key, value in (self.model_extra or {}).items():
            if value is None:
                continue
            if key in read:
                if not isinstance(value, int | float) or isinstance(value, bool):
                    raise ValueError(f"counter {key} is not a number")
                number = counter_value(value)
                if number is None or number < 0:
                    raise ValueError(f"counter {key} is outside the domain")
            elif key in EVALUATION_LABEL_KEYS:
                if not isinstance(value, int if key == "stt" else str):
                    note_shape_changed(key)
            elif key in EVALUATION_COUNTER_KEYS and counter_value(value) is None:
                note_shape_changed(key)
        return self
