"""Fake but realistic Vietnamese applicants and officers: names with diacritics, 12-digit
identity numbers, phone numbers, e-mail addresses and street addresses. Every value is drawn
from the caller's random generator, so it is reproducible per dossier."""

from __future__ import annotations

import bisect
import functools
import random
import unicodedata

SURNAMES = (
    ("Nguyễn", 38),
    ("Trần", 11),
    ("Lê", 9),
    ("Phạm", 7),
    ("Hoàng", 5),
    ("Vũ", 4),
    ("Đặng", 2),
    ("Bùi", 2),
    ("Đỗ", 2),
    ("Hồ", 1),
    ("Ngô", 1),
    ("Dương", 1),
    ("Lý", 0.5),
    ("Đào", 1),
    ("Đinh", 1),
    ("Lương", 0.5),
    ("Trịnh", 0.6),
    ("Phan", 1),
    ("Mai", 0.5),
    ("Tạ", 0.4),
    ("Lưu", 0.3),
    ("Quách", 0.2),
    ("Chu", 0.3),
)
MALE_MIDDLE = ("Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Xuân", "Thành", "Tiến", "Mạnh")
FEMALE_MIDDLE = ("Thị", "Thu", "Ngọc", "Thanh", "Hồng", "Phương", "Thùy", "Minh", "Kim", "Thị")
MALE_GIVEN = (
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Đạt",
    "Đông",
    "Giang",
    "Hải",
    "Hiếu",
    "Hùng",
    "Huy",
    "Khánh",
    "Khoa",
    "Kiên",
    "Lâm",
    "Long",
    "Mạnh",
    "Nam",
    "Nghĩa",
    "Phong",
    "Phúc",
    "Quân",
    "Quyết",
    "Sơn",
    "Tài",
    "Thắng",
    "Thịnh",
    "Toàn",
    "Trung",
    "Tuấn",
    "Tùng",
    "Việt",
    "Vinh",
    "Vượng",
)
FEMALE_GIVEN = (
    "Anh",
    "Chi",
    "Dung",
    "Duyên",
    "Hà",
    "Hạnh",
    "Hằng",
    "Hiền",
    "Hoa",
    "Huệ",
    "Hương",
    "Huyền",
    "Lan",
    "Liên",
    "Linh",
    "Loan",
    "Mai",
    "My",
    "Nga",
    "Ngân",
    "Nhung",
    "Oanh",
    "Phương",
    "Quỳnh",
    "Tâm",
    "Thảo",
    "Thủy",
    "Trang",
    "Uyên",
    "Vân",
    "Yến",
)
BUSINESS_WORDS = (
    "Phú Cường",
    "Hưng Thịnh",
    "Minh Anh",
    "Thành Đạt",
    "Đại Phát",
    "An Khang",
    "Hoàng Long",
    "Việt Hưng",
    "Tân Phát",
    "Bảo Ngọc",
    "Quang Minh",
    "Hải Đăng",
)
BUSINESS_LINES = (
    "Thương mại và Dịch vụ",
    "Xây dựng",
    "Sản xuất nhựa",
    "Vận tải",
    "Cơ khí",
    "May mặc",
    "Thực phẩm",
    "Điện tử",
)
STATE_BODIES = (
    "Trường Tiểu học",
    "Trường Mầm non",
    "Trường Trung học cơ sở",
    "Trạm Y tế",
    "Công an phường",
    "Ban Chỉ huy Quân sự",
)
OTHER_ORGS = (
    "Hội Nông dân",
    "Hội Liên hiệp Phụ nữ",
    "Hội Cựu chiến binh",
    "Chi hội Người cao tuổi",
    "Hợp tác xã Dịch vụ nông nghiệp",
    "Ban Quản lý di tích",
)
HAMLETS = (
    "Thôn Phan Bôi",
    "Thôn Lỗ Xá",
    "Thôn Cẩm Xá",
    "Thôn Hoàng Nha",
    "Khu phố Bình Minh",
    "Khu phố Nguyễn Xá",
    "Thôn Ngọc Lâm",
    "Thôn Thịnh Vạn",
    "Khu phố Dị Sử",
    "Thôn Trại Hưng",
    "Khu phố Bần",
    "Thôn Nhân Hòa",
    "Thôn Phú Hữu",
    "Khu phố Đào Du",
    "Thôn Tần Nhĩ",
    "Thôn Bạch Sam",
    "Khu phố Minh Khai",
    "Thôn Hòa Bình",
)
STREETS = (
    "đường Nguyễn Văn Linh",
    "đường Phạm Ngũ Lão",
    "đường Lê Hữu Trác",
    "đường Nguyễn Bình",
    "đường Lý Thường Kiệt",
    "đường Chùa Bần",
    "đường Trần Phú",
)
PHONE_PREFIXES = (
    "096",
    "097",
    "098",
    "086",
    "032",
    "033",
    "034",
    "035",
    "036",
    "037",
    "038",
    "039",
    "091",
    "094",
    "088",
    "083",
    "084",
    "085",
    "081",
    "082",
    "070",
    "076",
    "077",
    "078",
    "079",
    "089",
    "090",
    "093",
    "056",
    "058",
    "059",
)
MAIL_DOMAINS = ("gmail.com", "gmail.com", "gmail.com", "yahoo.com", "outlook.com")
OFFICER_TITLES = (
    "Công chức Tư pháp - Hộ tịch",
    "Công chức Địa chính - Xây dựng",
    "Công chức Văn hóa - Xã hội",
    "Chuyên viên",
    "Lãnh đạo phòng",
    "Công chức Một cửa",
)

_SURNAME_CUM: list[float] = []
_total = 0.0
for _, _weight in SURNAMES:
    _total += _weight
    _SURNAME_CUM.append(_total)


def person_name(rng: random.Random, female: bool | None = None) -> tuple[str, bool]:
    """A full name (surname, middle, given) and whether the person is female."""
    if female is None:
        female = rng.random() < 0.5
    u = rng.random() * _total
    # the first surname whose cumulative weight reaches u (u < _total: always one)
    surname = SURNAMES[bisect.bisect_left(_SURNAME_CUM, u)][0]
    middle = rng.choice(FEMALE_MIDDLE if female else MALE_MIDDLE)
    given = rng.choice(FEMALE_GIVEN if female else MALE_GIVEN)
    return f"{surname} {middle} {given}", female


def identity_number(rng: random.Random, female: bool, birth_year: int) -> str:
    """A 12-digit citizen identity number: Hưng Yên province (033), sex/century digit, year."""
    century_digit = (0 if birth_year < 2000 else 2) + (1 if female else 0)
    return f"033{century_digit}{birth_year % 100:02d}{rng.randrange(10**6):06d}"


@functools.lru_cache(maxsize=1 << 16)
def _folded_words(person: str) -> tuple[str, ...]:
    """The lower-case ASCII words of a name (names repeat: a few thousand in a world)."""
    return tuple(ascii_fold(person).lower().split())


def ascii_fold(text: str) -> str:
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def applicant(rng: random.Random, applicant_type: int, place: str) -> dict:
    """The applicant block of a dossier (sources.md A.4) for the applicant type 1-4."""
    person, female = person_name(rng)
    birth_year = rng.randint(1950, 2005)
    if applicant_type == 1:
        fullname = person
    elif applicant_type == 2:
        fullname = (
            f"{rng.choice(('Công ty TNHH', 'Công ty cổ phần', 'Hộ kinh doanh'))} "
            f"{rng.choice(BUSINESS_LINES)} {rng.choice(BUSINESS_WORDS)}"
        )
    elif applicant_type == 3:
        fullname = f"{rng.choice(STATE_BODIES)} {place.split(',')[0]}"
    else:
        fullname = f"{rng.choice(OTHER_ORGS)} {place.split(',')[0]}"
    folded = _folded_words(person)
    email = f"{folded[-1]}{folded[0]}{rng.randrange(100, 9999)}@{rng.choice(MAIL_DOMAINS)}"
    if rng.random() < 0.5:
        street = f"Số {rng.randint(1, 250)}, {rng.choice(STREETS)}"
    else:
        street = rng.choice(HAMLETS)
    return {
        "type": applicant_type,
        "fullname": fullname,
        "identityNumber": identity_number(rng, female, birth_year),
        "phoneNumber": f"{rng.choice(PHONE_PREFIXES)}{rng.randrange(10**7):07d}",
        "email": email if rng.random() < 0.7 else None,
        "address": f"{street}, {place}, tỉnh Hưng Yên",
    }


def officers(rng: random.Random, count: int) -> list[str]:
    """The officer pool of a unit: 'Nguyễn Thị Hoa' style names, stable per unit."""
    return [person_name(rng)[0] for _ in range(count)]
