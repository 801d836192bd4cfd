"""Keyed hashing of personal data at landing (sources.md D).

Clear personal values never reach the raw zone: identifiers become an HMAC-SHA256 with
`PII_HASH_KEY`, so the same person keeps the same key across runs without being readable.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata


class PiiHasher:
    def __init__(self, key: bytes):
        if not key:
            raise ValueError("PII_HASH_KEY must not be empty")
        self._key = key

    def __call__(self, value: str | None) -> str | None:
        if value is None:
            return None
        normalised = unicodedata.normalize("NFC", str(value)).strip().casefold()
        if not normalised:
            return None
        return hmac.new(self._key, normalised.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def __repr__(self) -> str:
        return "PiiHasher(<key hidden>)"
