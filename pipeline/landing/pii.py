"""Personal data at landing (sources.md D): keyed hashing and redaction by an allow-list.

Clear personal values never reach the raw zone: identifiers become an HMAC-SHA256 with
`PII_HASH_KEY`, so the same person keeps the same key across runs without being readable.
Payloads kept for audit (rejects) and unknown fields kept as JSON (`extra_json`) are redacted
by an ALLOW-LIST: only the keys known to be harmless (codes, dates, statuses, flags, counts;
`HARMLESS_KEYS`) keep their value; every other key, announced or not, file names and URLs
included, keeps only its keyed hash (or `<redacted>` where no key is at hand), whatever the
shape of its value: a number where text was expected, a nested object, a list, a JSON string
holding JSON. A key whose very name is not an identifier is dropped (a portal that keys a map
by a person's ID number would otherwise put that number in the key).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import unicodedata

from pipeline.sources.dvcqg_records import EVALUATION_ANNOUNCED_KEYS

REDACTED = "<redacted>"
_MISSING = object()
# Keys (any source, any depth) whose values are harmless: codes, instants, statuses, flags,
# counts, scores. Names, free text, file names, URLs and identifiers of people are not here:
# a key that is not listed never shows its value. (`name` is not listed: under a file it is a
# file name, which may carry a person's name.)
HARMLESS_KEYS = frozenset(
    {
        # one-stop system (sources.md A)
        "id", "code", "nationCode", "procedure", "agency", "applyMethod", "resultDelivery",
        "submittedDate", "acceptedDate", "appointmentDate", "completedDate", "returnedDate",
        "updatedDate", "dossierStatus", "vneidAuthenticated", "connectedDatabases", "fees",
        "files", "rating", "history", "interAgencyCopy", "type", "amount", "status", "method",
        "paidDate", "kind", "componentCode", "resultCode", "digitized", "reuse",
        "fromCitizenStore", "signed", "pushedToCitizenStore", "value", "ratedAt", "channel",
        "seq", "at", "action", "statusId", "fromAgencyCode", "toAgencyCode",
        "newAppointmentDate", "level", "parentId", "gsoCode", "validFrom", "validTo",
        "successorCode", "sector", "fullOnlineEligible", "processingTime",
        "processingTimeUnit", "sameDayCutoff", "feeAmount", "resultIsDocument",
        "citizenFacing", "eCertifiedCopy", "appliedAgencyCodes",
        # national portal, integration surface (sources.md B.1)
        "MaHoSo", "MaTTHC", "MaLinhVuc", "KenhThucHien", "LoaiDoiTuong", "NgayNopHoSo",
        "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra", "NgayTuChoi",
        "TrangThaiHoSo", "HinhThuc", "MaDonViXuLy", "NoiNopHoSo", "HoSoCoThanhPhanSoHoa",
        "TaiKhoanDuocXacThucVoiVNeID", "DuocThanhToanTrucTuyen", "TaiLieuNop",
        "TepDinhKemId", "DuocSoHoa", "DuocTaiSuDung", "DuocLayTuKhoDMQG", "DanhSachLePhi",
        "MaPhiLePhi", "Gia", "DanhSachHoSoBoSung", "NgayBoSung", "NgayTiepNhanBoSung",
        "DanhSachGiayToKetQua", "MaGiayToKetQua", "QuaTrinhXuLy", "ThoiDiemXuLy", "TrangThai",
        "NgayDongBo", "MaPAKN", "MaDonVi", "HanXuLy", "NgayTraLoi", "LoaiPAKN", "SoLuotThich",
        "SoLuotKhongThich", "KhieuNaiLai", "NgayCapNhat",
        # national portal, evaluation surface (sources.md B.2) and the landing's own context
        "departmentId", "departmentCode", "departmentLevel", "totalScore", "totalMaxScore",
        "score", "maxScore", "ratio", "metrics", "numerator", "denominator",
        "dataQualityStatus", "group", "period", "entry", "departmentName",
    }
    | EVALUATION_ANNOUNCED_KEYS
)  # fmt: skip
# A key name shown as it is; any other (spaces, digits first, a value used as a key) is dropped.
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]{0,63}$")
DROPPED_KEYS = "_dropped_keys"
# How long a harmless text value may be before it is taken for free text (codes are short).
MAX_HARMLESS_TEXT = 64


def is_harmless_key(key: object) -> bool:
    return isinstance(key, str) and key in HARMLESS_KEYS


def redact(payload: object, hasher: PiiHasher | None = None) -> object:
    """The payload with only harmless values in clear, at any depth and in any shape.

    An object keeps the values of its harmless keys (recursively); every other value becomes
    its keyed hash (`#` + hash, when `hasher` is given) or `<redacted>`. A JSON string holding
    an object or list is read and redacted as one. A payload that is not an object (a list,
    text, a number) is redacted element by element; a bare scalar is never shown."""
    if isinstance(payload, dict):
        out: dict = {}
        dropped = 0
        for key, value in payload.items():
            if not isinstance(key, str) or not _IDENTIFIER.match(key):
                dropped += 1
            elif key in HARMLESS_KEYS:
                out[key] = _harmless(value, hasher)
            else:
                out[key] = hidden(value, hasher)
        if dropped:
            out[DROPPED_KEYS] = dropped
        return out
    if isinstance(payload, list):
        return [redact(value, hasher) for value in payload]
    nested = _json_container(payload)
    if nested is not None:
        return redact(nested, hasher)
    return hidden(payload, hasher)


def _harmless(value: object, hasher: PiiHasher | None) -> object:
    """The value of a harmless key: scalars as they are (long text is free text: hidden),
    containers redacted."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        nested = _json_container(value)
        if nested is not None:
            return redact(nested, hasher)
        return value if len(value) <= MAX_HARMLESS_TEXT else hidden(value, hasher)
    if isinstance(value, dict | list):
        return redact(value, hasher)
    return hidden(value, hasher)


def _json_container(value: object) -> object | None:
    """The object or list a JSON string holds (double-encoded JSON), else None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or text[0] not in "[{":
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict | list) else None


def hidden(value: object, hasher: PiiHasher | None) -> object:
    """A value that must not be shown: None stays None, anything else its keyed hash (over its
    canonical JSON, so the same value keeps the same hash) or `<redacted>`."""
    if value is None:
        return None
    if hasher is None:
        return REDACTED
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    digest = hasher(text.encode("utf-8", "backslashreplace").decode("utf-8"))
    return f"#{digest[:16]}" if digest else REDACTED


def text_length(value: str | None) -> int:
    """Length of a free-text value once trimmed: what the rules keep of it (0 when absent)."""
    return len(value.strip()) if value else 0


class PiiHasher:
    # Officers recur on every dossier of their unit: a bounded memo of recent values saves
    # most HMACs of a crawl (the memo lives as long as the landing, in memory only).
    MEMO_SIZE = 4096

    def __init__(self, key: bytes):
        if not key:
            raise ValueError("PII_HASH_KEY must not be empty")
        self._key = key
        self._keyed = hmac.new(key, digestmod=hashlib.sha256)
        self._memo: dict[str, str | None] = {}

    def __call__(self, value: str | None) -> str | None:
        if value is None:
            return None
        value = str(value)
        digest = self._memo.get(value, _MISSING)
        if digest is _MISSING:
            digest = self._hash(value)
            if len(self._memo) >= self.MEMO_SIZE:
                self._memo.clear()
            self._memo[value] = digest
        return digest

    def _hash(self, value: str) -> str | None:
        normalised = unicodedata.normalize("NFC", value).strip().casefold()
        if not normalised:
            return None
        mac = self._keyed.copy()
        mac.update(normalised.encode("utf-8"))
        return mac.hexdigest()[:32]

    def __repr__(self) -> str:
        return "PiiHasher(<key hidden>)"
