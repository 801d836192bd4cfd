"""The edge without HTTP: national records, the evaluation captures of the real portal
(../shared/reference/dvcqg-evaluation), periods, dates and redaction."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from pipeline.landing.audit import first_error
from pipeline.landing.dvcqg import _entries
from pipeline.landing.dvcqg_schemas import (
    DOSSIER_COPY_SCHEMA,
    DossierCopyColumns,
    evaluation_row,
)
from pipeline.landing.pii import PiiHasher, redact
from pipeline.periods import Period
from pipeline.sources.dvcqg import evaluation_body, parse_compact
from pipeline.sources.dvcqg_records import DossierCopy, EvaluationEntry
from pipeline.sources.lenient import DriftCounts, validated
from pipeline.workcal import VN_TZ

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "dvcqg-evaluation"
AUGUST = Period("month", dt.date(2026, 8, 1))

COPY = {
    "MaHoSo": "000.00.28.H31-240109-0001",
    "MaTTHC": "2.001612",
    "TenTTHC": "Đăng ký khai sinh",
    "MaLinhVuc": "HT",
    "KenhThucHien": "2",
    "LoaiDoiTuong": "1",
    "ChuHoSo": "Nguyễn Thị Bích Ngọc",
    "SoGiayToChuHoSo": "033190001234",
    "TrichYeuHoSo": "Đăng ký khai sinh cho con của Nguyễn Thị Bích Ngọc",
    "NgayNopHoSo": "20240109081500",
    "NgayTiepNhan": "20240109083000",
    "NgayHenTra": "20240110170000",
    "NgayKetThucXuLy": "",
    "NgayTra": "",
    "NgayTuChoi": "",
    "TrangThaiHoSo": "4",
    "HinhThuc": "0",
    "DonViXuLy": "UBND phường Bần Yên Nhân",
    "MaDonViXuLy": "000.21.28.H31",
    "NoiNopHoSo": "2",
    "HoSoCoThanhPhanSoHoa": "1",
    "TaiKhoanDuocXacThucVoiVNeID": "0",
    "DuocThanhToanTrucTuyen": "1",
    "TaiLieuNop": [
        {
            "TepDinhKemId": "f1",
            "TenTepDinhKem": "CCCD Nguyễn Thị Bích Ngọc.pdf",
            "DuongDanTaiTepTin": "https://x/f1",
            "DuocSoHoa": "1",
            "DuocTaiSuDung": "0",
            "DuocLayTuKhoDMQG": "0",
        }
    ],
    "DanhSachLePhi": [{"TenPhiLePhi": "Lệ phí", "MaPhiLePhi": "LP1", "Gia": "8000"}],
    "DanhSachHoSoBoSung": [
        {
            "NgayBoSung": "20240109100000",
            "NgayTiepNhanBoSung": "",
            "NoiDungBoSung": "Bổ sung giấy tờ của bà Ngọc",
        }
    ],
    "DanhSachGiayToKetQua": [],
    "QuaTrinhXuLy": [
        {
            "ThoiDiemXuLy": "20240109083000",
            "TrangThai": "2",
            "NoiDungXuLy": "Tiếp nhận",
            "PhongBanXuLy": "Bộ phận một cửa",
            "NguoiXuLy": "Trần Văn Cán Bộ",
        }
    ],
    "NgayDongBo": "20240109090000",
    "TruongMoi": {"x": 1},
}


def test_national_copy_is_typed_and_its_personal_data_hashed_or_dropped():
    copy = DossierCopy.model_validate(COPY)
    columns = DossierCopyColumns(PiiHasher(b"k"))
    columns.append(copy, "2024-01")
    extracted_at = dt.datetime(2024, 1, 10, tzinfo=dt.UTC)
    (row,) = columns.batch(DOSSIER_COPY_SCHEMA, "run", extracted_at).to_pylist()
    assert row["received_at"] == dt.datetime(2024, 1, 9, 8, 30, tzinfo=VN_TZ)
    assert row["finished_at"] is None and row["status"] == 4 and row["channel"] == 2
    assert row["online_payment_kind"] == 1 and row["fees"][0]["amount"] == 8000
    assert row["applicant_key"] == PiiHasher(b"k")("033190001234")
    assert row["supplements"][0]["content_length"] == len("Bổ sung giấy tờ của bà Ngọc")
    # an unannounced key keeps its name and only the keyed hash of its value (allow-list)
    hidden = PiiHasher(b"k")(json.dumps({"x": 1}, sort_keys=True))[:16]
    assert json.loads(row["extra_json"]) == {"TruongMoi": f"#{hidden}"}
    text = json.dumps(row, default=str, ensure_ascii=False)
    for personal in ("Nguyễn Thị Bích Ngọc", "033190001234", "bà Ngọc", "Trần Văn Cán Bộ"):
        assert personal not in text


@pytest.mark.parametrize(
    "change",
    [
        {"NgayTiepNhan": "20251345996100"},
        {"NgayTiepNhan": "2025-07-02"},
        {"TrangThaiHoSo": "99"},
        {"TrangThaiHoSo": "X"},
        {"KenhThucHien": [2]},
        {"DanhSachLePhi": "không có"},
        {"MaDonViXuLy": None},
    ],
)
def test_malformed_national_copies_are_refused(change):
    with pytest.raises(ValidationError):
        DossierCopy.model_validate(COPY | change)


@pytest.mark.parametrize("missing", ["MaDonViXuLy", "NgayTiepNhan", "TrangThaiHoSo", "MaHoSo"])
def test_national_copies_missing_a_key_are_refused(missing):
    with pytest.raises(ValidationError):
        DossierCopy.model_validate({k: v for k, v in COPY.items() if k != missing})


def test_compact_dates_are_vietnam_time():
    assert parse_compact("") is None
    assert parse_compact("20261120080000").isoformat() == "2026-11-20T08:00:00+07:00"
    with pytest.raises(ValueError):
        parse_compact("2026-11-20")


def test_periods_and_request_bodies():
    periods = Period.covering(dt.date(2024, 1, 1), dt.date(2026, 11, 20))
    assert [sum(p.period_type == t for p in periods) for t in ("month", "quarter", "year")] == [
        35,
        12,
        3,
    ]
    quarter = Period("quarter", dt.date(2026, 7, 1))
    assert quarter.typed_key == "quarter-2026-Q3" and quarter.end == dt.date(2026, 9, 30)
    assert evaluation_body("dvc-progress-tree", quarter, "root", 1) == {
        "rootDepartmentId": "root",
        "currentPage": 1,
        "pageSize": 200,
        "timeType": "quarter",
        "year": 2026,
        "quarter": 3,
    }
    body = evaluation_body("handling-satisfaction", AUGUST, "root", 2)
    assert (body["fromDate"], body["toDate"], "timeType" in body) == (
        "2026-08-01",
        "2026-08-31",
        False,
    )
    assert "month" not in evaluation_body(
        "transparency", Period("year", dt.date(2026, 1, 1)), "r", 1
    )


def reference_rows(group: str) -> list[dict]:
    if not REFERENCE.is_dir():  # a missing capture is a failure, never a silent skip
        pytest.fail(f"the portal's reference captures are missing: expected {REFERENCE}")
    data = json.loads((REFERENCE / group / "month-all.json").read_text(encoding="utf-8"))["data"]
    return [
        evaluation_row(group, AUGUST, EvaluationEntry.model_validate(entry), is_root)
        for entry, is_root in _entries([data])
    ]


@pytest.mark.parametrize(
    "group",
    [
        "transparency",
        "handling-satisfaction",
        "dossier-digitized",
        "dvc-progress-tree",
        "provide-online-tree",
        "formality-online-payment-tree",
    ],
)
def test_every_reference_capture_parses_into_one_row_per_unit(group):
    rows = reference_rows(group)
    assert len(rows) == 164 and sum(r["is_root"] for r in rows) == 1
    assert len({r["department_id"] for r in rows}) == 164
    root = next(r for r in rows if r["is_root"])
    assert root["department_id"] == "019d2be3-6a88-732b-8b17-b68020c8553a"
    assert root["total_score"] is not None and root["total_max_score"] is not None


def test_reference_metrics_and_counters_keep_their_values():
    transparency = {r["department_id"]: r for r in reference_rows("transparency")}
    root = transparency["019d2be3-6a88-732b-8b17-b68020c8553a"]
    metrics = {m["code"]: m for m in root["metrics"]}
    assert (
        metrics["PUBLIC_CONTENT_FULL"]["numerator"],
        metrics["PUBLIC_CONTENT_FULL"]["score"],
    ) == (
        87,
        1.96,
    )
    assert metrics["PUBLISH_ON_TIME"]["score"] is None
    assert metrics["DOSSIER_SYNC"]["data_quality_status"] == "TEMP_NATIONAL_REPORT_DENOMINATOR"
    assert root["department_code"] is None  # transparency gives only departmentId
    progress = next(r for r in reference_rows("dvc-progress-tree") if r["is_root"])
    counters = {c["name"]: c["value"] for c in progress["counters"]}
    assert counters["totalReceived"] == 184513 and progress["total_score"] == 15.68
    child = next(r for r in reference_rows("dvc-progress-tree") if not r["is_root"])
    assert child["department_code"] == "H44.01" and child["total_max_score"] == 20


def test_redaction_keeps_only_allow_listed_values_at_every_depth_and_shape():
    payload = {
        "id": "1",
        "applicant": {"fullname": "A"},
        "history": [{"officer": "B", "note": "C", "action": "RECEIVE"}],
        "extendedAttributes": {"nguoiLienHe": "D", "priority": 1},
        "SoGiayToChuHoSo": 33190001234,
        "TrangThaiHoSo": '{"soCCCD": "033190001234", "TrangThai": "4"}',
        "0912345678": "a value used as a key",
    }
    assert redact(payload) == {
        "id": "1",
        "applicant": "<redacted>",
        "history": [{"officer": "<redacted>", "note": "<redacted>", "action": "RECEIVE"}],
        "extendedAttributes": "<redacted>",
        "SoGiayToChuHoSo": "<redacted>",
        "TrangThaiHoSo": {"soCCCD": "<redacted>", "TrangThai": "4"},
        "_dropped_keys": 1,
    }
    assert redact('[{"id": "2", "dienThoai": "0912345678"}]') == [
        {"id": "2", "dienThoai": "<redacted>"}
    ]
    assert redact(33190001234) == "<redacted>"


def test_an_id_number_sent_as_a_json_number_is_hashed_never_echoed():
    """The known bug of issue 16: `SoGiayToChuHoSo` as a JSON number was rejected with the
    number in the reason. It is unread: read as its digits, hashed, counted as drift."""
    counts = DriftCounts()
    copy = validated(
        DossierCopy, COPY | {"SoGiayToChuHoSo": 33190001234, "NoiNopHoSo": "000.00.28.H31"}, counts
    )
    columns = DossierCopyColumns(PiiHasher(b"k"))
    columns.append(copy, "2024-01")
    (row,) = columns.batch(DOSSIER_COPY_SCHEMA, "run", dt.datetime.now(dt.UTC)).to_pylist()
    assert row["applicant_key"] == PiiHasher(b"k")("33190001234")
    assert row["submission_place"] is None  # a unit code where a digit was announced
    assert json.loads(row["extra_json"])["NoiNopHoSo"] == "000.00.28.H31"  # original kept
    assert "33190001234" not in json.dumps(row, default=str)
    assert counts == {
        ("SoGiayToChuHoSo", "shape_changed"): 1,
        ("NoiNopHoSo", "shape_changed"): 1,
        ("TruongMoi", "unknown_key"): 1,
    }
    # a read field outside its domain: rejected with a template naming field and kind
    with pytest.raises(ValidationError) as refused:
        DossierCopy.model_validate(COPY | {"TrangThaiHoSo": "70000"})
    assert first_error(refused.value) == "invalid TrangThaiHoSo: outside the domain"


def test_an_evaluation_entry_validates_read_counters_and_tolerates_the_rest():
    """Read counters (the seed dvcqg_tree_counters) are strict; unread labels and counters in
    another shape are drift; an unannounced number is never a counter (it may be an ID)."""
    base = {"departmentId": "d-1", "departmentCode": "H31.28", "totalReceived": 10}
    counts = DriftCounts()
    entry = validated(
        EvaluationEntry,
        base
        | {
            "totalOnTime": 7,
            "avgProcessingDays": "3,5",
            "departmentName": 2801,
            "stt": "7",
            "soCCCD": 33190123456,
            "metrics": [{"code": "X", "name": 12, "ghiChu": "free text"}],
        },
        counts,
    )
    row = evaluation_row("dvc-progress-tree", AUGUST, entry, False, PiiHasher(b"k" * 32))
    assert {c["name"]: c["value"] for c in row["counters"]} == {
        "totalReceived": 10.0,
        "totalOnTime": 7.0,
    }
    assert row["department_name"] is None and row["metrics"][0]["name"] is None
    assert "33190123456" not in (row["extra_json"] or "")
    assert counts.by_field() == {
        "avgProcessingDays": {"shape_changed": 1},
        "departmentName": {"shape_changed": 1},
        "metrics[].ghiChu": {"unknown_key": 1},
        "metrics[].name": {"shape_changed": 1},
        "soCCCD": {"unknown_key": 1},
        "stt": {"shape_changed": 1},
    }
    for value, kind in (
        ("10", "is not a number"),
        (-1, "is outside the domain"),
        (10**400, "is outside the domain"),
    ):
        with pytest.raises(ValidationError) as refused:
            validated(EvaluationEntry, base | {"totalReceived": value}, DriftCounts())
        assert first_error(refused.value) == f"invalid record: counter totalReceived {kind}"
