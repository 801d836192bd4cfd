"""The simulated agency tree of domain.md §2: Hưng Yên province, the old town of Mỹ Hào with
its departments and 13 communes (until 2025-06-30), and the three new wards with their
departments (from 2025-07-01)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from simulator.profile import PROVINCE_CODE, REORG_DATE

OPEN_FROM = dt.date(2020, 1, 1)
LAST_OLD_DAY = REORG_DATE - dt.timedelta(days=1)


def agency_id(code: str) -> str:
    """The agency's source id: the first 24 hex digits of sha1("agency:" + code)."""
    return hashlib.sha1(f"agency:{code}".encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    level: str
    parent_code: str | None
    gso_code: str | None
    valid_from: dt.date
    valid_to: dt.date | None
    successor_code: str | None = None

    @property
    def id(self) -> str:
        return agency_id(self.code)

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "code": self.code,
            "name": self.name,
            "level": self.level,
            "parentId": agency_id(self.parent_code) if self.parent_code else None,
            "gsoCode": self.gso_code,
            "validFrom": self.valid_from.isoformat(),
            "validTo": self.valid_to.isoformat() if self.valid_to else None,
            "successorCode": self.successor_code,
        }


TOWN = "000.00.28.H31"
NEW_WARDS = {
    "000.00.71.H31": "Mỹ Hào",
    "000.00.72.H31": "Đường Hào",
    "000.00.73.H31": "Thượng Hồng",
}
_WARD_OF = {"Mỹ Hào": "000.00.71.H31", "Đường Hào": "000.00.72.H31", "Thượng Hồng": "000.00.73.H31"}

_TOWN_DEPTS = [
    ("000.01.28.H31", "Văn phòng HĐND và UBND thị xã"),
    ("000.02.28.H31", "Phòng Tư pháp"),
    ("000.03.28.H31", "Phòng Tài chính - Kế hoạch"),
    ("000.04.28.H31", "Phòng Nông nghiệp và Môi trường"),
    ("000.05.28.H31", "Phòng Kinh tế, Hạ tầng và Đô thị"),
    ("000.06.28.H31", "Phòng Nội vụ"),
    ("000.07.28.H31", "Phòng Văn hóa, Khoa học và Thông tin"),
    ("000.08.28.H31", "Chi nhánh Văn phòng Đăng ký đất đai Mỹ Hào"),
]
_COMMUNES = [
    ("000.21.28.H31", "Phường Bần Yên Nhân", "WARD", "12103", "Mỹ Hào"),
    ("000.22.28.H31", "Phường Phan Đình Phùng", "WARD", "12106", "Mỹ Hào"),
    ("000.23.28.H31", "Xã Cẩm Xá", "COMMUNE", "12109", "Mỹ Hào"),
    ("000.24.28.H31", "Phường Nhân Hòa", "WARD", "12118", "Mỹ Hào"),
    ("000.25.28.H31", "Phường Dị Sử", "WARD", "12121", "Đường Hào"),
    ("000.26.28.H31", "Phường Phùng Chí Kiên", "WARD", "12130", "Đường Hào"),
    ("000.27.28.H31", "Xã Xuân Dục", "COMMUNE", "12133", "Đường Hào"),
    ("000.28.28.H31", "Xã Ngọc Lâm", "COMMUNE", "12136", "Đường Hào"),
    ("000.29.28.H31", "Xã Hưng Long", "COMMUNE", "12139", "Đường Hào"),
    ("000.30.28.H31", "Xã Dương Quang", "COMMUNE", "12112", "Thượng Hồng"),
    ("000.31.28.H31", "Xã Hòa Phong", "COMMUNE", "12115", "Thượng Hồng"),
    ("000.32.28.H31", "Phường Bạch Sam", "WARD", "12124", "Thượng Hồng"),
    ("000.33.28.H31", "Phường Minh Đức", "WARD", "12127", "Thượng Hồng"),
]
_NEW_WARD_GSO = {"000.00.71.H31": "12103", "000.00.72.H31": "12133", "000.00.73.H31": "12127"}
_WARD_DEPTS = [
    ("01", "Văn phòng HĐND và UBND phường"),
    ("02", "Phòng Kinh tế, Hạ tầng và Đô thị"),
    ("03", "Phòng Văn hóa - Xã hội"),
]


def build_units() -> list[Unit]:
    """All units, parents before children, in a fixed order (the order defines unit indexes)."""
    units = [Unit(PROVINCE_CODE, "UBND tỉnh Hưng Yên", "PROVINCE", None, "33", OPEN_FROM, None)]
    units.append(
        Unit(TOWN, "UBND thị xã Mỹ Hào", "TOWN", PROVINCE_CODE, "328", OPEN_FROM, LAST_OLD_DAY)
    )
    units += [
        Unit(code, name, "TOWN_DEPT", TOWN, None, OPEN_FROM, LAST_OLD_DAY)
        for code, name in _TOWN_DEPTS
    ]
    units += [
        Unit(code, name, level, TOWN, gso, OPEN_FROM, LAST_OLD_DAY, _WARD_OF[ward])
        for code, name, level, gso, ward in _COMMUNES
    ]
    for code, ward in NEW_WARDS.items():
        units.append(
            Unit(
                code,
                f"UBND phường {ward}",
                "WARD",
                PROVINCE_CODE,
                _NEW_WARD_GSO[code],
                REORG_DATE,
                None,
            )
        )
        g3 = code.split(".")[2]
        units += [
            Unit(f"000.{g2}.{g3}.H31", name, "WARD_DEPT", code, None, REORG_DATE, None)
            for g2, name in _WARD_DEPTS
        ]
    return units


def place_name(unit: Unit, units_by_code: dict[str, Unit]) -> str:
    """The administrative place a unit serves, for addresses: 'Phường Dị Sử, thị xã Mỹ Hào'."""
    if unit.level in ("WARD", "COMMUNE") and unit.parent_code == TOWN:
        return f"{unit.name}, thị xã Mỹ Hào"
    if unit.code in NEW_WARDS:
        return f"Phường {NEW_WARDS[unit.code]}"
    parent = units_by_code.get(unit.parent_code or "")
    if unit.level == "WARD_DEPT" and parent is not None:
        return place_name(parent, units_by_code)
    return "thị xã Mỹ Hào"
