"""Run configuration, read only from environment variables (documented in `.env.example`).

Every time-dependent computation reads `Settings.as_of`, so a run can be reproduced by
setting `AS_OF`. Paths are made absolute here because dbt runs with its project folder as
working directory.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.workcal import VN_TZ

REPO_ROOT = Path(__file__).resolve().parent.parent
# A keyed hash of a national ID is only as strong as its key: 32 bytes (256 bits) at least.
MIN_PII_HASH_KEY_BYTES = 32
# Defaults of the settings (.env.example documents them); the simulator's world and the
# backfill partitions start where the history does by default.
DEFAULT_HISTORY_START = dt.date(2024, 1, 1)


class ConfigError(RuntimeError):
    """A required setting is missing or malformed."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _path(name: str, default: str) -> Path:
    path = Path(_env(name, default))
    return path if path.is_absolute() else (REPO_ROOT / path).resolve()


def parse_instant(value: str) -> dt.datetime:
    """ISO timestamp; a value without offset is Vietnam time."""
    try:
        ts = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(f"not an ISO timestamp: {value!r}") from exc
    return ts if ts.tzinfo else ts.replace(tzinfo=VN_TZ)


@dataclass(frozen=True)
class SourceCredentials:
    base_url: str
    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class MotcuaSettings(SourceCredentials):
    token_url: str = ""
    client_id: str = "motcua-warehouse"
    root_agency_id: str = ""


@dataclass(frozen=True)
class DvcqgSettings(SourceCredentials):
    madonvi: str = ""
    # The portal's own id of the root department (evaluation API); empty: not extracted.
    root_department_id: str = ""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    warehouse_path: Path
    history_start: dt.date
    as_of_override: dt.datetime | None
    pii_hash_key: bytes = field(repr=False)
    # Share of rejected records above which a landing fails (sources.md D).
    max_reject_rate: float = 0.05

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def state_dir(self) -> Path:
        return self.data_dir / "state"

    @property
    def build_path(self) -> Path:
        """The private DuckDB file dbt builds into; analysts never read it."""
        return self.data_dir / "build" / "warehouse.duckdb"

    def resolve_as_of(self) -> dt.datetime:
        """The evaluation instant: `AS_OF` when set, else now (Vietnam time, whole seconds)."""
        if self.as_of_override is not None:
            return self.as_of_override.astimezone(VN_TZ)
        return dt.datetime.now(VN_TZ).replace(microsecond=0)


def load_settings() -> Settings:
    key = _env("PII_HASH_KEY")
    if key is None:
        raise ConfigError(
            "PII_HASH_KEY is not set: personal data is hashed with this key at landing. "
            "Set it in the environment (see .env.example); `make demo` sets a demo key."
        )
    if len(key.encode("utf-8")) < MIN_PII_HASH_KEY_BYTES:
        raise ConfigError(
            f"PII_HASH_KEY is too short ({len(key.encode('utf-8'))} bytes; at least "
            f"{MIN_PII_HASH_KEY_BYTES} are required): a short key lets anyone who reads the "
            "warehouse guess the hashed personal data back. Make one with "
            '`python -c "import secrets; print(secrets.token_hex(32))"` and keep it secret '
            "and stable (changing it changes every applicant_key)."
        )
    as_of = _env("AS_OF")
    history_start = _env("HISTORY_START", DEFAULT_HISTORY_START.isoformat())
    try:
        start = dt.date.fromisoformat(history_start)
    except ValueError as exc:
        raise ConfigError(f"HISTORY_START is not an ISO date: {history_start!r}") from exc
    return Settings(
        data_dir=data_dir_setting(),
        warehouse_path=_path("WAREHOUSE_PATH", "warehouse/warehouse.duckdb"),
        history_start=start,
        as_of_override=parse_instant(as_of) if as_of else None,
        pii_hash_key=key.encode("utf-8"),
        max_reject_rate=_rate("MAX_REJECT_RATE", "0.05"),
    )


def data_dir_setting() -> Path:
    """`DATA_DIR` resolved as the settings resolve it (needed before the settings exist)."""
    return _path("DATA_DIR", "data")


def _rate(name: str, default: str) -> float:
    value = _env(name, default)
    try:
        rate = float(value)
    except ValueError as exc:
        raise ConfigError(f"{name} is not a number: {value!r}") from exc
    if not 0.0 <= rate <= 1.0:
        raise ConfigError(f"{name} must be within [0, 1], got {rate}")
    return rate


def _required(name: str) -> str:
    value = _env(name)
    if value is None:
        raise ConfigError(f"{name} is not set (see .env.example)")
    return value


def load_motcua_settings() -> MotcuaSettings:
    base = _required("MOTCUA_BASE_URL").rstrip("/")
    return MotcuaSettings(
        base_url=base,
        token_url=_env(
            "MOTCUA_TOKEN_URL", f"{base}/auth/realms/digo/protocol/openid-connect/token"
        ),
        client_id=_env("MOTCUA_CLIENT_ID", "motcua-warehouse"),
        username=_required("MOTCUA_USERNAME"),
        password=_required("MOTCUA_PASSWORD"),
        root_agency_id=_required("MOTCUA_ROOT_AGENCY_ID"),
    )


def load_dvcqg_settings() -> DvcqgSettings:
    return DvcqgSettings(
        base_url=_required("DVCQG_BASE_URL").rstrip("/"),
        username=_required("DVCQG_USERNAME"),
        password=_required("DVCQG_PASSWORD"),
        madonvi=_env("DVCQG_MADONVI", "000.00.00.H31"),
        root_department_id=_env("DVCQG_ROOT_DEPARTMENT_ID", ""),
    )
