"""The simulated procedure catalogue (thủ tục hành chính, sources.md A.3).

About 160 commune- and town-level procedures across the usual sectors, with their time
limits, fees, online service levels and the units they apply to. Land procedures get a new
version on 2024-08-01 (Land Law 2024) and several procedures on 2025-07-01 (reorganisation,
Decree 118/2025), so the catalogue holds replaced versions too.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from simulator.profile import REORG_DATE
from simulator.units import NEW_WARDS, TOWN, Unit

LAND_LAW_2024 = dt.date(2024, 8, 1)
CATALOGUE_START = dt.date(2020, 1, 1)

# sector key -> (national sector code, name, town department, ward department group 2)
SECTORS = {
    "HO_TICH": ("G15-TP08", "Hộ tịch", "000.02.28.H31", "01"),
    "CHUNG_THUC": ("G15-TP02", "Chứng thực", "000.02.28.H31", "01"),
    "TU_PHAP": ("G15-TP10", "Hòa giải ở cơ sở", "000.02.28.H31", "01"),
    "DAT_DAI": ("G09-TN01", "Đất đai", "000.08.28.H31", "02"),
    "MOI_TRUONG": ("G09-TN05", "Môi trường", "000.04.28.H31", "02"),
    "NONG_NGHIEP": ("G01-NN06", "Trồng trọt và bảo vệ thực vật", "000.04.28.H31", "02"),
    "KINH_DOANH": ("G06-KH03", "Thành lập và hoạt động của hộ kinh doanh", "000.03.28.H31", "02"),
    "XAY_DUNG": ("G10-XD02", "Hoạt động xây dựng", "000.05.28.H31", "02"),
    "XA_HOI": ("G17-LD04", "Bảo trợ xã hội", "000.06.28.H31", "03"),
    "NOI_VU": ("G13-NV03", "Thi đua, khen thưởng", "000.06.28.H31", "01"),
    "VAN_HOA": ("G18-VH01", "Văn hóa cơ sở", "000.07.28.H31", "03"),
    "GIAO_DUC": ("G03-GD09", "Giáo dục mầm non", "000.07.28.H31", "03"),
}

# National databases each sector consults (connectedDatabases).
SECTOR_DATABASES = {
    "HO_TICH": ("CSDLQG_DAN_CU", "CSDL_HO_TICH"),
    "DAT_DAI": ("CSDLQG_DAN_CU", "CSDLQG_DAT_DAI"),
    "KINH_DOANH": ("CSDLQG_DAN_CU", "CSDLQG_DANG_KY_DOANH_NGHIEP"),
    "XA_HOI": ("CSDLQG_DAN_CU", "CSDLQG_BAO_HIEM"),
}

# Component documents citizens submit, per sector (thành phần hồ sơ).
SECTOR_COMPONENTS = {
    "HO_TICH": (
        "Tờ khai theo mẫu",
        "Giấy chứng sinh",
        "Giấy tờ tùy thân",
        "Giấy tờ chứng minh nơi cư trú",
    ),
    "CHUNG_THUC": ("Bản chính giấy tờ cần chứng thực", "Giấy tờ tùy thân"),
    "TU_PHAP": ("Đơn đề nghị", "Giấy tờ tùy thân"),
    "DAT_DAI": (
        "Đơn đăng ký biến động đất đai",
        "Giấy chứng nhận quyền sử dụng đất (bản gốc)",
        "Hợp đồng chuyển nhượng đã công chứng",
        "Tờ khai lệ phí trước bạ",
        "Tờ khai thuế thu nhập cá nhân",
    ),
    "MOI_TRUONG": ("Văn bản đề nghị", "Kế hoạch bảo vệ môi trường"),
    "NONG_NGHIEP": ("Đơn đăng ký", "Bản đồ khu vực sản xuất"),
    "KINH_DOANH": (
        "Giấy đề nghị đăng ký hộ kinh doanh",
        "Bản sao giấy tờ pháp lý của chủ hộ",
        "Biên bản họp thành viên hộ gia đình",
    ),
    "XAY_DUNG": (
        "Đơn đề nghị cấp giấy phép xây dựng",
        "Giấy tờ về quyền sử dụng đất",
        "Bản vẽ thiết kế xây dựng",
    ),
    "XA_HOI": (
        "Tờ khai đề nghị trợ giúp xã hội",
        "Giấy xác nhận khuyết tật",
        "Sổ hộ khẩu hoặc xác nhận cư trú",
    ),
    "NOI_VU": ("Tờ trình đề nghị khen thưởng", "Báo cáo thành tích"),
    "VAN_HOA": ("Văn bản đăng ký", "Danh sách thành viên"),
    "GIAO_DUC": ("Tờ trình đề nghị", "Đề án thành lập", "Danh sách giáo viên"),
}

# The procedures (procedures.csv beside this module, one row per procedure, in code order):
# sector, scope (C = commune level, D = town level, L = land: town level, land registration
# branch), name, processing time and its unit (time 0 with unit SAME_DAY = same-day procedure,
# cutoff 15:00), fee in VND, online service level, whether the result is a document, whether
# it is citizen-facing, and its weight in the applicants' choice.
_W, _D, _H, _M, _S = "WORKING_DAY", "DAY", "HOUR", "MONTH", "SAME_DAY"
PROCEDURES_CSV = Path(__file__).with_name("procedures.csv")
_COLUMNS = (
    "sector",
    "scope",
    "name",
    "processing_time",
    "time_unit",
    "fee_vnd",
    "online_level",
    "result_is_document",
    "citizen_facing",
    "weight",
)
_FLAGS = {"true": True, "false": False}


def _number(text: str) -> int | float:
    return float(text) if "." in text else int(text)


def load_procedure_rows(path: Path = PROCEDURES_CSV) -> list[tuple]:
    """The catalogue's rows, typed, in file order (the order gives the procedure codes)."""
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != _COLUMNS:
            raise ValueError(f"{path.name}: header must be {','.join(_COLUMNS)}")
        return [
            (
                r["sector"],
                r["scope"],
                r["name"],
                int(r["processing_time"]),
                r["time_unit"],
                int(r["fee_vnd"]),
                r["online_level"],
                _FLAGS[r["result_is_document"]],
                _FLAGS[r["citizen_facing"]],
                _number(r["weight"]),
            )
            for r in reader
        ]


# Sector code prefix of the synthetic national procedure codes.
_CODE_BASE = {"C": (1, 1000), "D": (2, 1500), "L": (2, 9000)}
# New versions: (change date, which rows, what changes from that date).
_REVISIONS = [
    (LAND_LAW_2024, lambda r: r[0] == "DAT_DAI" and r[1] == "L", {"time_factor": 0.8}),
    (
        REORG_DATE,
        lambda r: r[0] == "HO_TICH" and r[2].startswith("Đăng ký lại"),
        {"online": "FULL"},
    ),
    (REORG_DATE, lambda r: r[0] == "XAY_DUNG" and "giấy phép xây dựng" in r[2], {"online": "FULL"}),
    (REORG_DATE, lambda r: r[0] == "KINH_DOANH" and "rượu" in r[2], {"time_factor": 0.7}),
]
# Abolished on the reorganisation date: town procedures about district-only matters.
_ABOLISHED_AT_REORG = ("Thủ tục thi tuyển công chức", "Thủ tục thông báo tổ chức lễ hội cấp huyện")
# Introduced on the reorganisation date (commune level): (sector, name, time, unit, fee, level).
_INTRODUCED_AT_REORG = [
    ("HO_TICH", "Đăng ký kết hôn trên môi trường điện tử liên thông", 5, _W, 0, "FULL", 4),
    ("XA_HOI", "Cấp thẻ bảo hiểm y tế cho người thuộc hộ nghèo, cận nghèo", 5, _W, 0, "FULL", 1.5),
]


@dataclass(frozen=True)
class Procedure:
    id: str
    code: str
    name: str
    sector: str
    scope: str
    processing_time: float
    time_unit: str
    same_day_cutoff: str | None
    fee: int
    online_level: str
    result_is_document: bool
    citizen_facing: bool
    e_certified_copy: bool
    weight: float
    valid_from: dt.date
    valid_to: dt.date | None
    applied_codes: tuple[str, ...] = field(default=())

    @property
    def sector_code(self) -> str:
        return SECTORS[self.sector][0]

    @property
    def sector_name(self) -> str:
        return SECTORS[self.sector][1]

    @property
    def result_code(self) -> str:
        return f"KQ.{self.code}"

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "code": self.code,
            "name": self.name,
            "sector": {"code": self.sector_code, "name": self.sector_name},
            "level": self.online_level,
            "fullOnlineEligible": self.online_level == "FULL",
            "processingTime": self.processing_time,
            "processingTimeUnit": self.time_unit,
            "sameDayCutoff": self.same_day_cutoff,
            "feeAmount": self.fee or None,
            "resultIsDocument": self.result_is_document,
            "citizenFacing": self.citizen_facing,
            "eCertifiedCopy": self.e_certified_copy,
            "appliedAgencyCodes": list(self.applied_codes),
            "validFrom": self.valid_from.isoformat(),
            "validTo": self.valid_to.isoformat() if self.valid_to else None,
        }


def _version_id(code: str, valid_from: dt.date) -> str:
    return hashlib.sha1(f"procedure:{code}:{valid_from.isoformat()}".encode()).hexdigest()[:24]


def _applied_codes(
    sector: str, scope: str, valid_from: dt.date, valid_to: dt.date | None, units: list[Unit]
) -> tuple[str, ...]:
    _, _, town_dept, ward_dept = SECTORS[sector]
    codes = []
    for unit in units:
        if unit.valid_from > (valid_to or dt.date.max) or (
            unit.valid_to is not None and unit.valid_to < valid_from
        ):
            continue
        old_commune = unit.level in ("WARD", "COMMUNE") and unit.parent_code == TOWN
        if unit.code in NEW_WARDS:
            applies = True  # the new wards took over commune and town procedures
        elif unit.level == "WARD_DEPT":
            applies = unit.code.split(".")[1] == ward_dept
        elif scope == "C":
            applies = old_commune
        elif scope == "D":
            applies = unit.code in (TOWN, town_dept)
        else:  # land: the land registration branch and the land department
            applies = unit.code in (town_dept, "000.04.28.H31")
        if applies:
            codes.append(unit.code)
    return tuple(codes)


def build_catalogue(units: list[Unit]) -> list[Procedure]:
    """Every procedure version, ordered by code then validFrom."""
    rows = load_procedure_rows()
    counters = {scope: 0 for scope in _CODE_BASE}
    procedures: list[Procedure] = []

    def add(row, code, valid_from, valid_to, overrides):
        sector, scope, name, time, unit, fee, online, doc, citizen, weight = row
        time = round(time * overrides.get("time_factor", 1)) if time else time
        same_day = unit == _S
        procedures.append(
            Procedure(
                id=_version_id(code, valid_from),
                code=code,
                name=name,
                sector=sector,
                scope=scope,
                processing_time=0 if same_day else time,
                time_unit=_W if same_day else unit,
                same_day_cutoff="15:00" if same_day else None,
                fee=fee,
                online_level=overrides.get("online", online),
                result_is_document=doc,
                citizen_facing=citizen,
                e_certified_copy="bản sao điện tử" in name,
                weight=weight,
                valid_from=valid_from,
                valid_to=valid_to,
                applied_codes=_applied_codes(sector, scope, valid_from, valid_to, units),
            )
        )

    for row in rows:
        scope = row[1]
        prefix, base = _CODE_BASE[scope]
        code = f"{prefix}.{base + counters[scope] * 7:06d}"
        counters[scope] += 1
        start, overrides = CATALOGUE_START, {}
        for change, applies, new in _REVISIONS:
            if applies(row):
                add(row, code, start, change - dt.timedelta(days=1), overrides)
                start, overrides = change, {**overrides, **new}
        end = REORG_DATE - dt.timedelta(days=1) if row[2] in _ABOLISHED_AT_REORG else None
        add(row, code, start, end, overrides)
    for i, (sector, name, time, unit, fee, online, weight) in enumerate(_INTRODUCED_AT_REORG):
        row = (sector, "C", name, time, unit, fee, online, True, True, weight)
        add(row, f"1.{5000 + i * 7:06d}", REORG_DATE, None, {})
    return sorted(procedures, key=lambda p: (p.code, p.valid_from))


class ProcedureChooser:
    """Weighted choice of the procedure a unit's applicant asks for on a given day."""

    def __init__(self, procedures: list[Procedure]):
        self._procedures = procedures
        self._cache: dict[tuple[str, dt.date], tuple[list[float], list[Procedure]]] = {}
        self._changes = sorted(
            {p.valid_from for p in procedures}
            | {p.valid_to + dt.timedelta(days=1) for p in procedures if p.valid_to}
        )

    def _table(self, unit_code: str, day: dt.date) -> tuple[list[float], list[Procedure]]:
        i = bisect.bisect_right(self._changes, day)
        epoch = self._changes[i - 1] if i else dt.date.min
        key = (unit_code, epoch)
        if key not in self._cache:
            eligible = [
                p
                for p in self._procedures
                if p.valid_on(day) and unit_code in p.applied_codes and p.weight > 0
            ]
            cumulative, total = [], 0.0
            for p in eligible:
                total += p.weight
                cumulative.append(total)
            self._cache[key] = (cumulative, eligible)
        return self._cache[key]

    def choose(self, unit_code: str, day: dt.date, u: float) -> Procedure:
        cumulative, eligible = self._table(unit_code, day)
        return eligible[min(bisect.bisect_right(cumulative, u * cumulative[-1]), len(eligible) - 1)]
