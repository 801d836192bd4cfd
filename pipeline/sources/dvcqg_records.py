"""Typed records of the national portal (sources.md B), validated at the edge.

The integration surface sends strings only: dates `yyyyMMddHHmmss` in Vietnam time, codes and
flags as digit strings, `""` for empty. These models turn them into typed values once; a
record that does not fit is rejected (kept in `audit.rejects`), never guessed. Fields the
models do not know are kept in `extra` (schema drift is visible, not lost).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from pipeline.sources.dvcqg import parse_compact
from pipeline.sources.motcua_records import refuse_invalid_text


def _compact(value: object) -> dt.datetime | None:
    return parse_compact(value)


def _digits(value: object) -> int | None:
    """A digit string (or int) as int; `""` as None. Anything else is invalid."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise ValueError(f"not a number: {value!r}")


def _flag(value: object) -> bool:
    if value in ("1", 1, True):
        return True
    if value in ("0", 0, False, "", None):
        return False
    raise ValueError(f"not a 0/1 flag: {value!r}")


def _text(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"not a string: {value!r}")
    return value


Compact = Annotated[dt.datetime | None, BeforeValidator(_compact)]
Digits = Annotated[int | None, BeforeValidator(_digits)]
Flag = Annotated[bool, BeforeValidator(_flag)]
Text = Annotated[str | None, BeforeValidator(_text)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True)

    @property
    def extra(self) -> dict:
        return dict(self.model_extra or {})


class SubmittedFile(_Record):
    file_id: Text = Field(None, alias="TepDinhKemId")
    name: Text = Field(None, alias="TenTepDinhKem")
    url: Text = Field(None, alias="DuongDanTaiTepTin")
    digitized: Flag = Field(False, alias="DuocSoHoa")
    reused: Digits = Field(None, alias="DuocTaiSuDung")
    from_national_store: Flag = Field(False, alias="DuocLayTuKhoDMQG")


class FeeLine(_Record):
    name: Text = Field(None, alias="TenPhiLePhi")
    code: Text = Field(None, alias="MaPhiLePhi")
    amount: Digits = Field(None, alias="Gia")


class SupplementRound(_Record):
    requested_at: Compact = Field(None, alias="NgayBoSung")
    received_at: Compact = Field(None, alias="NgayTiepNhanBoSung")
    content: Text = Field(None, alias="NoiDungBoSung")


class ResultDocument(_Record):
    name: Text = Field(None, alias="TenGiayTo")
    code: Text = Field(None, alias="MaGiayToKetQua")
    url: Text = Field(None, alias="DuongDanTepTinKetQua")


class ProcessingStep(_Record):
    at: Compact = Field(None, alias="ThoiDiemXuLy")
    status: Digits = Field(None, alias="TrangThai")
    content: Text = Field(None, alias="NoiDungXuLy")
    department: Text = Field(None, alias="PhongBanXuLy")
    officer: Text = Field(None, alias="NguoiXuLy")


class DossierCopy(_Record):
    """A synced copy `DongBoHoSoMC` (sources.md B.1, LayDanhSachHoSoDongBo)."""

    national_code: str = Field(alias="MaHoSo", min_length=1, max_length=128)
    procedure_code: str = Field(alias="MaTTHC", min_length=1)
    procedure_name: Text = Field(None, alias="TenTTHC")
    sector_code: Text = Field(None, alias="MaLinhVuc")
    channel: Annotated[Literal[1, 2, 3] | None, BeforeValidator(_digits)] = Field(
        None, alias="KenhThucHien"
    )
    applicant_type: Digits = Field(None, alias="LoaiDoiTuong")
    applicant_name: Text = Field(None, alias="ChuHoSo")
    applicant_id_number: Text = Field(None, alias="SoGiayToChuHoSo")
    summary: Text = Field(None, alias="TrichYeuHoSo")
    submitted_at: Compact = Field(None, alias="NgayNopHoSo")
    received_at: Compact = Field(alias="NgayTiepNhan")
    due_at: Compact = Field(None, alias="NgayHenTra")
    finished_at: Compact = Field(None, alias="NgayKetThucXuLy")
    returned_at: Compact = Field(None, alias="NgayTra")
    refused_at: Compact = Field(None, alias="NgayTuChoi")
    status: Annotated[int, BeforeValidator(_digits), Field(ge=1, le=10)] = Field(
        alias="TrangThaiHoSo"
    )
    result_delivery: Digits = Field(None, alias="HinhThuc")
    unit_name: Text = Field(None, alias="DonViXuLy")
    unit_code: str = Field(alias="MaDonViXuLy", min_length=1)
    submission_place: Digits = Field(None, alias="NoiNopHoSo")
    has_digitized_component: Flag = Field(False, alias="HoSoCoThanhPhanSoHoa")
    vneid_authenticated: Flag = Field(False, alias="TaiKhoanDuocXacThucVoiVNeID")
    online_payment_kind: Annotated[Literal[0, 1, 2] | None, BeforeValidator(_digits)] = Field(
        None, alias="DuocThanhToanTrucTuyen"
    )
    files: list[SubmittedFile] = Field(default_factory=list, alias="TaiLieuNop")
    fees: list[FeeLine] = Field(default_factory=list, alias="DanhSachLePhi")
    supplements: list[SupplementRound] = Field(default_factory=list, alias="DanhSachHoSoBoSung")
    results: list[ResultDocument] = Field(default_factory=list, alias="DanhSachGiayToKetQua")
    steps: list[ProcessingStep] = Field(default_factory=list, alias="QuaTrinhXuLy")
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


class Petition(_Record):
    """Feedback / petition, PAKN (sources.md B.1, LayDanhSachPAKN)."""

    petition_code: str = Field(alias="MaPAKN", min_length=1, max_length=128)
    unit_code: str = Field(alias="MaDonVi", min_length=1)
    received_at: Annotated[dt.datetime, BeforeValidator(_compact)] = Field(alias="NgayTiepNhan")
    due_at: Compact = Field(None, alias="HanXuLy")
    answered_at: Compact = Field(None, alias="NgayTraLoi")
    status: Literal["DANG_XU_LY", "DA_TRA_LOI"] = Field(alias="TrangThai")
    petition_type: Text = Field(None, alias="LoaiPAKN")
    likes: Digits = Field(None, alias="SoLuotThich")
    dislikes: Digits = Field(None, alias="SoLuotKhongThich")
    re_complaint: Flag = Field(False, alias="KhieuNaiLai")
    national_code: Text = Field(None, alias="MaHoSo")
    updated_at: Annotated[dt.datetime, BeforeValidator(_compact)] = Field(alias="NgayCapNhat")


# --- public evaluation surface (B.2) --------------------------------------------------------
class Metric(_Record):
    code: str = Field(min_length=1)
    name: str | None = None
    numerator: int | None = None
    denominator: int | None = None
    ratio: float | None = None
    score: float | None = None
    max_score: float | None = Field(None, alias="maxScore")
    data_quality_status: str | None = Field(None, alias="dataQualityStatus")
    data_quality_message: str | None = Field(None, alias="dataQualityMessage")


class EvaluationEntry(_Record):
    """One unit (or the root) of an evaluation response; counters of tree groups stay extra."""

    department_id: str = Field(alias="departmentId", min_length=1)
    department_code: str | None = Field(None, alias="departmentCode")
    department_name: str | None = Field(None, alias="departmentName")
    department_level: str | None = Field(None, alias="departmentLevel")
    level: str | None = None
    total_score: float | None = Field(None, alias="totalScore")
    total_max_score: float | None = Field(None, alias="totalMaxScore")
    score: float | None = None
    max_score: float | None = Field(None, alias="maxScore")
    ratio: float | None = None
    metrics: list[Metric] = Field(default_factory=list)
