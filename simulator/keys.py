"""Dossier generation keys and the ids derived from them.

A dossier is identified inside the simulator by a 44-bit key packing (unit index, reception
day, sequence number of the day). Its random generator, its public 24-hex `id` and the id's
sort order all derive from (seed, key) through splitmix64, in plain Python for one dossier and
vectorised in numpy for the index, with identical results.
"""

from __future__ import annotations

import numpy as np

from simulator.profile import KEY_DAY_BITS, KEY_EPOCH, KEY_SEQ_BITS, KEY_UNIT_BITS

MASK64 = (1 << 64) - 1
KEY_EPOCH_UNIX_DAY = KEY_EPOCH.toordinal() - 719163
MAX_SEQ = (1 << KEY_SEQ_BITS) - 1
MAX_DAY = (1 << KEY_DAY_BITS) - 1
MAX_UNIT = (1 << KEY_UNIT_BITS) - 1


def pack(unit_index: int, unix_day: int, seq: int) -> int:
    day = unix_day - KEY_EPOCH_UNIX_DAY
    if not (0 <= day <= MAX_DAY and 0 <= seq <= MAX_SEQ and 0 <= unit_index <= MAX_UNIT):
        raise ValueError(f"key out of range: unit {unit_index}, day {unix_day}, seq {seq}")
    return (unit_index << (KEY_DAY_BITS + KEY_SEQ_BITS)) | (day << KEY_SEQ_BITS) | seq


def unpack(key: int) -> tuple[int, int, int]:
    """(unit index, unix day, seq)."""
    return (
        key >> (KEY_DAY_BITS + KEY_SEQ_BITS),
        ((key >> KEY_SEQ_BITS) & MAX_DAY) + KEY_EPOCH_UNIX_DAY,
        key & MAX_SEQ,
    )


def unit_of_keys(keys: np.ndarray) -> np.ndarray:
    return (keys >> (KEY_DAY_BITS + KEY_SEQ_BITS)).astype(np.int16)


def mix64(x: int) -> int:
    """splitmix64 finaliser."""
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def mix64_np(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def stream_seed(seed: int, key: int, stream: int = 0) -> int:
    """Seed of one random stream of one dossier (stream 0: life, 1: details, 2: national)."""
    return mix64((seed << 34) ^ (stream << 32) ^ key)


def id_prefix(seed: int, key: int) -> int:
    """48 scrambled bits: the first 12 hex digits of the dossier id."""
    return mix64(mix64(seed) ^ key) >> 16


def id_prefix_np(seed: int, keys: np.ndarray) -> np.ndarray:
    return mix64_np(np.uint64(mix64(seed)) ^ keys.astype(np.uint64)) >> np.uint64(16)


def dossier_id(seed: int, key: int) -> str:
    """24 hex digits; ordering ids = ordering (id_prefix, key)."""
    return f"{id_prefix(seed, key):012x}{key:012x}"
