"""The drift corpus (issue 16): what a real portal release sends that the spec did not foresee.

Switched on like a fault (`corpus=<rate>`, `--fault corpus=0.1`, `SIM_FAULTS=corpus=0.1` in
the demo). A record drawn at that rate (seeded by record key, the same in every run) is served
with:
- drift in every field no rule reads: new spellings, numbers as text and text as numbers,
  `NoiNopHoSo` carrying a unit code, a text `LoaiDoiTuong`, objects where text was announced,
  new keys;
- personal values in every shape: JSON numbers, nested objects, unannounced keys (`soCCCD`,
  `dienThoai`, `noiCuTru`), free text under a new key. Every planted value is listed by
  `planted_values()` so a test can search the whole system for them;
and one record in `SPOIL_EVERY` of those is followed on its page by a spoiled copy (same key,
same change instant): a type overflow, a year 9999, a lone surrogate, a list where an object
was announced, double-encoded JSON. The copy must be refused and the real record land, so the
warehouse built from a drifted crawl equals the one built without drift.
Every dataset gets it: agencies, procedures, dossiers, national copies, petitions and the
public evaluation (whose entries carry no instant: no year 9999 there). What was served is
counted per dataset in the simulator's `injected` counts (`GET /_sim/faults`).
Drift changes what is served, never the world, and never a field a rule reads.
"""

from __future__ import annotations

import copy
import json
import random
import zlib

SPOIL_EVERY = 5  # one drifted record in SPOIL_EVERY also gets a spoiled copy
# Personal values planted by the corpus (fictitious, but shaped like the real ones).
CCCD = 33_190_123_456  # a citizen ID number, sent as a JSON number
CCCD_TEXT = "033190123456"
PHONE = "0912 345 678"
PHONE_NUMBER = 912_345_678
ADDRESS = "Số 12 ngõ 5 phố Nguyễn Văn Linh, Mỹ Hào"
FREE_TEXT = "Bà Phạm Thị Hồng Nhung xin gia hạn vì ốm"
FILE_NAME = "CCCD_Pham_Thi_Hong_Nhung.pdf"
URL = "https://files.example.vn/hoso/Pham_Thi_Hong_Nhung/cccd.pdf"


def planted_values() -> list[str]:
    """Every personal value the corpus plants, as text a scan can look for."""
    return [str(CCCD), CCCD_TEXT, PHONE, str(PHONE_NUMBER), ADDRESS, FREE_TEXT, FILE_NAME, URL,
            "Phạm Thị Hồng Nhung", "Pham_Thi_Hong_Nhung"]  # fmt: skip


def _personal_keys(record: dict, rng: random.Random) -> None:
    """Unannounced keys holding personal values, in every shape."""
    record["soCCCD"] = CCCD
    record["dienThoai"] = PHONE
    record["noiCuTru"] = {"diaChi": ADDRESS, "lienHe": [PHONE_NUMBER, {"ghiChu": FREE_TEXT}]}
    record["ghiChuCanBo"] = FREE_TEXT
    record["thongTinBoSung"] = json.dumps({"soCCCD": CCCD_TEXT, "tepDinhKem": FILE_NAME})
    record["phienBanApi"] = rng.choice(("3.2.1", 4, None))


# --- one-stop system -------------------------------------------------------------------------
def drift_dossier(record: dict, rng: random.Random) -> None:
    _personal_keys(record, rng)
    applicant = record.get("applicant")
    if isinstance(applicant, dict):
        applicant["phoneNumber"] = PHONE_NUMBER  # a number where text was announced
        applicant["address"] = {"full": ADDRESS}  # an object where text was announced
        applicant["email"] = ["nhung@example.vn"]
        applicant["soCCCD"] = CCCD
    if isinstance(record.get("dossierStatus"), dict):
        record["dossierStatus"]["name"] = 7  # a number where text was announced
    for fee in record.get("fees") or []:
        fee["receiptNo"] = 4_512_345
        fee["paidDate"] = "31/12/2025"  # a new spelling of an unread date
        fee["kind"] = {"ma": "LP"}
    for file in record.get("files") or []:
        file["name"] = {"ten": FILE_NAME}
        file["signed"] = "1"  # text where a boolean was announced
        file["componentCode"] = 12
        file["duongDanGoc"] = URL
    for step in record.get("history") or []:
        step["fromAgencyCode"] = 2801
        step["officer"] = CCCD  # a personal number where a name was announced
        step["ghiChuNoiBo"] = FREE_TEXT
    if isinstance(record.get("rating"), dict):
        record["rating"]["channel"] = 3


def spoil_dossier(record: dict, rng: random.Random) -> object:
    """A spoiled copy of a dossier (the original is untouched)."""
    spoiled = copy.deepcopy(record)
    kind = rng.randrange(6)
    if kind == 0 and spoiled.get("history"):
        spoiled["history"][-1]["statusId"] = 70_000  # past the int16 status column
    elif kind == 1:
        spoiled["acceptedDate"] = "9999-12-31T23:59:59.000-05:00"
    elif kind == 2:
        spoiled["agency"] = dict(spoiled["agency"], code="000.00.\udcff.H31")
    elif kind == 3:
        spoiled["rating"] = [{"value": "SATISFIED"}]  # a list where an object was announced
    elif kind == 4:
        spoiled["fees"] = [{"amount": 2**70, "status": "PAID"}]  # past any integer column
    else:
        return json.dumps(spoiled, ensure_ascii=False)  # double-encoded JSON
    return spoiled


def drift_agency(record: dict, rng: random.Random) -> None:
    record["maDinhDanhMoi"] = rng.choice(("H31.28", 2801))
    record["nguoiDungDau"] = {"hoTen": "Phạm Thị Hồng Nhung", "dienThoai": PHONE}


def spoil_agency(record: dict, rng: random.Random) -> object:
    """A spoiled agency under its own id (the tree walk reads each id once)."""
    spoiled = copy.deepcopy(record)
    spoiled["id"] = f"{record['id']}-x"
    spoiled["validFrom"] = "9999-99-99"
    return spoiled


def drift_procedure(record: dict, rng: random.Random) -> None:
    record["canCuPhapLy"] = ["Nghị định 61/2018/NĐ-CP", 45]
    record["thuTucMoi"] = {"ma": 1, "ghiChu": FREE_TEXT}
    record["dienThoai"] = PHONE


def spoil_procedure(record: dict, rng: random.Random) -> object:
    spoiled = copy.deepcopy(record)
    spoiled["level"] = rng.choice(("FULL_ONLINE", 4, None))
    return spoiled


# --- national portal -------------------------------------------------------------------------
def drift_national(record: dict, rng: random.Random) -> None:
    _personal_keys(record, rng)
    record["NoiNopHoSo"] = record.get("MaDonViXuLy") or "000.00.28.H31"  # a unit code
    record["LoaiDoiTuong"] = rng.choice(("Công dân", "Doanh nghiệp"))  # text, no digit
    record["SoGiayToChuHoSo"] = CCCD  # a JSON number (the known bug)
    record["ChuHoSo"] = {"hoTen": "Phạm Thị Hồng Nhung", "namSinh": 1990}
    record["TrichYeuHoSo"] = 12345
    record["HinhThuc"] = "Trả tại bộ phận một cửa"
    record["NgayNopHoSo"] = "2025-07-02T08:00:00+07:00"  # a new spelling of an unread date
    record["TenTTHC"] = 4
    record["DonViXuLy"] = ["UBND", "Mỹ Hào"]
    record["TaiKhoanDuocXacThucVoiVNeID"] = "có"
    for item in record.get("TaiLieuNop") or []:
        item["TenTepDinhKem"] = FILE_NAME
        item["DuongDanTaiTepTin"] = {"url": URL}
        item["DuocSoHoa"] = "true"
        item["DuocTaiSuDung"] = "Có"
    for step in record.get("QuaTrinhXuLy") or []:
        step["NguoiXuLy"] = CCCD
        step["TrangThai"] = "Đang xử lý"
        step["ThoiDiemXuLy"] = 20250702080000  # a number where text was announced
    for fee in record.get("DanhSachLePhi") or []:
        fee["Gia"] = "8.000đ"


def spoil_national(record: dict, rng: random.Random) -> object:
    spoiled = copy.deepcopy(record)
    kind = rng.randrange(5)
    if kind == 0:
        spoiled["TrangThaiHoSo"] = "70000"  # past the status domain and int16
    elif kind == 1:
        spoiled["NgayTiepNhan"] = "99991231235959"
    elif kind == 2:
        spoiled["MaDonViXuLy"] = "000.00.\udcff.H31"
    elif kind == 3:
        spoiled["DanhSachLePhi"] = {"Gia": "8000"}  # an object where a list was announced
    else:
        return json.dumps(spoiled, ensure_ascii=False)
    return spoiled


def drift_petition(record: dict, rng: random.Random) -> None:
    _personal_keys(record, rng)
    record["NoiDungPAKN"] = FREE_TEXT
    record["NguoiGui"] = {"hoTen": "Phạm Thị Hồng Nhung", "soCCCD": CCCD}


def spoil_petition(record: dict, rng: random.Random) -> object:
    spoiled = copy.deepcopy(record)
    kind = rng.randrange(4)
    if kind == 0:
        spoiled["SoLuotThich"] = str(2**40)  # past the int32 column
    elif kind == 1:
        spoiled["NgayTiepNhan"] = "99991231235959"
    elif kind == 2:
        spoiled["TrangThai"] = "DA_TRA_LOI\udcff"
    else:
        return json.dumps(spoiled, ensure_ascii=False)
    return spoiled


# --- national portal, public evaluation ----------------------------------------------------
def drift_evaluation(record: dict, rng: random.Random) -> None:
    """One unit (or the root) of an evaluation answer: unread labels in new shapes, numbers as
    text in unread counters, personal values under unannounced keys (a JSON number among
    them, which a landing that took every unknown number for a counter would keep in clear)."""
    _personal_keys(record, rng)
    record["nguoiDungDau"] = {"hoTen": "Phạm Thị Hồng Nhung", "dienThoai": PHONE}
    record["departmentName"] = 2801  # a number where text was announced
    record["departmentType"] = rng.choice((3, {"ma": "XA"}))
    record["agencyLevel"] = 2
    record["stt"] = "7"  # text where a number was announced
    record["scoreDelta"] = "+0,25"
    if "level" in record:
        record["level"] = 3
    if "departmentLevel" in record:
        record["departmentLevel"] = ["PROVINCE"]
    if "avgProcessingDays" in record:
        record["avgProcessingDays"] = "3,5"  # an unread counter, as text
    for item in record.get("metrics") or []:
        item["name"] = 12
        item["dataQualityStatus"] = 1
        item["ghiChu"] = FREE_TEXT


def spoil_evaluation(record: dict, rng: random.Random) -> object:
    """A spoiled copy of a unit's entry (same departmentId, beside the real one). An entry
    carries no instant, so a year 9999 has no field to go in."""
    spoiled = copy.deepcopy(record)
    kind = rng.randrange(4)
    if kind == 0 and spoiled.get("metrics"):
        spoiled["metrics"][0]["numerator"] = 2**70  # past the int64 numerator column
    elif kind == 0:
        spoiled["ratio"] = 10**400  # past any float
    elif kind == 1:
        spoiled["departmentCode"] = "000.00.\udcff.H31"
    elif kind == 2:
        spoiled["metrics"] = {"code": "PUBLISH_ON_TIME"}  # an object where a list was announced
    else:
        return json.dumps(spoiled, ensure_ascii=False)
    return spoiled


def served_evaluation(data: dict, key_prefix: str, faults) -> dict:
    """An evaluation answer (`data` of one page) with the corpus applied: the root drawn and
    drifted like any unit (no spoiled copy: there is one root), the units through `served`."""
    data = copy.deepcopy(data)  # the evaluator caches its answers
    for name in ("overview", "parent"):
        root = data.get(name)
        if isinstance(root, dict):
            key = text_key(f"{key_prefix}|{root.get('departmentId')}")
            if faults.record_hit("corpus", key):
                drift_evaluation(root, faults.record_rng("corpus", key))
                count_served(faults, "evaluation", 1)
    for name in ("evaluation", "children"):
        units = data.get(name)
        if isinstance(units, list):
            keys = [text_key(f"{key_prefix}|{u.get('departmentId')}") for u in units]
            data[name] = served(
                units, keys, faults, drift_evaluation, spoil_evaluation, dataset="evaluation"
            )
    return data


def text_key(text: str) -> int:
    """A record key (for the seeded draws) of a record keyed by text."""
    return zlib.crc32(str(text).encode("utf-8"))


def served(
    records: list[dict],
    keys: list[int],
    faults,
    drift,
    spoil,
    *,
    dataset: str,
    spoil_limit: int | None = None,
    spoil_first: bool = False,
) -> list:
    """The page's records with the corpus applied: drawn records drifted in place, and after
    each spoiled one its spoiled copy (at most `spoil_limit` copies on the page; with
    `spoil_first`, the first record is drawn and spoiled whatever the draw: a small snapshot
    still gets one). What was served is counted in `faults.injected` under
    `corpus_drifted/<dataset>` and `corpus_spoiled/<dataset>`."""
    out: list = []
    spoiled = drifted = 0
    for position, (record, key) in enumerate(zip(records, keys, strict=True)):
        forced = spoil_first and position == 0
        if not (forced or faults.record_hit("corpus", key)):
            out.append(record)
            continue
        rng = faults.record_rng("corpus", key)
        spoil_it = rng.randrange(SPOIL_EVERY) == 0 or forced
        original = copy.deepcopy(record) if spoil_it else None
        drift(record, rng)
        out.append(record)
        drifted += 1
        if spoil_it and (spoil_limit is None or spoiled < spoil_limit):
            out.append(spoil(original, rng))
            spoiled += 1
    count_served(faults, dataset, drifted, spoiled)
    return out


def count_served(faults, dataset: str, drifted: int, spoiled: int = 0) -> None:
    if drifted:
        faults.count(f"corpus_drifted/{dataset}", drifted)
    if spoiled:
        faults.count(f"corpus_spoiled/{dataset}", spoiled)
