"""Personal data at landing (sources.md D): keyed hashing and redaction.

Clear personal values never reach the raw zone: identifiers become an HMAC-SHA256 with
`PII_HASH_KEY`, so the same person keeps the same key across runs without being readable.
Payloads kept for audit (rejects) and unknown fields kept as JSON are redacted by key name:
every key naming a person, a contact or free text loses its value, at any depth.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

REDACTED = "<redacted>"
_MISSING = object()
# Keys (any source, any depth) whose values are personal data or free text that may hold it.
PERSONAL_KEYS = frozenset(
    {
        # one-stop system (sources.md A)
        "applicant",
        "officer",
        "note",
        "fullname",
        "identityNumber",
        "phoneNumber",
        "email",
        "address",
        # national portal (sources.md B)
        "ChuHoSo",
        "SoGiayToChuHoSo",
        "TrichYeuHoSo",
        "NoiDungBoSung",
        "NoiDungXuLy",
        "NguoiXuLy",
        "NoiDungPAKN",
        "NoiDungTraLoi",
        "TieuDe",
    }
)
# Unknown (drifted) keys that look personal are redacted too: names, ids, contacts, content.
PERSONAL_KEY_PATTERN = re.compile(
    r"(name|hoten|phone|dienthoai|email|address|diachi|identity|cccd|cmnd|sogiayto|"
    r"chuhoso|nguoi|officer|note|noidung|ghichu|trichyeu|content|comment|birth|ngaysinh)",
    re.IGNORECASE,
)


def is_personal_key(key: str) -> bool:
    return key in PERSONAL_KEYS or bool(PERSONAL_KEY_PATTERN.search(key))


def redact(payload: object) -> object:
    """The payload with every personal value replaced by `<redacted>`, at any depth: the
    documented personal keys and any unknown key that looks personal (over-redacting a code
    costs an analyst a lookup; under-redacting leaks a person)."""
    if isinstance(payload, dict):
        return {
            key: REDACTED if is_personal_key(str(key)) else redact(value)
            for key, value in payload.items()
        }
    if isinstance(payload, list):
        return [redact(value) for value in payload]
    return payload


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
