"""Connectors against the portal simulator over real HTTP: settings, fast clients, truth.

Tests use short client timeouts and a recording `sleep` (no real waiting) through the
constructors' parameters; production defaults stay as they are.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import httpx
import pytest

from pipeline.config import (
    DEFAULT_HISTORY_START,
    DvcqgSettings,
    MotcuaSettings,
    Settings,
    parse_instant,
)
from pipeline.project import DBT_PROJECT_DIR
from pipeline.sources.dvcqg import DvcqgClient
from pipeline.sources.http import RetryPolicy
from pipeline.sources.motcua import MotcuaClient

AS_OF = parse_instant("2026-11-20T08:00:00+07:00")
HISTORY_START = DEFAULT_HISTORY_START
SCALE = 0.02
PII_KEY = b"connector-tests-key"
# Every fault of sources.md C at once; `slow` answers after 20 s, our test clients give up at 1 s.
ALL_FAULTS = {
    "server_error": 0.05,
    "rate_limit": 0.05,
    "slow": 0.05,
    "reset": 0.05,
    "truncate": 0.05,
    "token_expiry": 0.05,
    "duplicates": 0.3,
    "shift": 0.05,
    "malformed": 0.01,
    "drift": 0.05,
    "short_pages": 0.1,
    "no_last": 0.1,
}
CLIENT_TIMEOUT = 1.0


class RecordingSleep:
    """Stands in for `time.sleep` in the retry policy: records how long it was asked to wait."""

    def __init__(self):
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def fast_retry(attempts: int = 10) -> RetryPolicy:
    return RetryPolicy(attempts=attempts, initial=0.01, maximum=0.1, sleep=RecordingSleep())


@dataclass
class Env:
    sim: object
    settings: Settings
    motcua: MotcuaSettings
    dvcqg: DvcqgSettings

    def motcua_client(self, retry: RetryPolicy | None = None, **kwargs) -> MotcuaClient:
        kwargs.setdefault("timeout", CLIENT_TIMEOUT)
        return MotcuaClient(self.motcua, retry=retry or fast_retry(), **kwargs)

    def dvcqg_client(self, retry: RetryPolicy | None = None, **kwargs) -> DvcqgClient:
        kwargs.setdefault("timeout", CLIENT_TIMEOUT)
        return DvcqgClient(self.dvcqg, retry=retry or fast_retry(), **kwargs)


def make_env(sim, data_dir: Path, max_reject_rate: float = 0.05) -> Env:
    settings = Settings(
        data_dir=data_dir,
        warehouse_path=data_dir / "warehouse.duckdb",
        history_start=HISTORY_START,
        as_of_override=AS_OF,
        pii_hash_key=PII_KEY,
        max_reject_rate=max_reject_rate,
    )
    motcua = MotcuaSettings(
        base_url=sim.motcua_base_url,
        username=sim.username,
        password=sim.password,
        token_url=sim.token_url,
        client_id=sim.client_id,
        root_agency_id=sim.root_agency_id,
    )
    dvcqg = DvcqgSettings(
        base_url=sim.dvcqg_base_url,
        username=sim.dvcqg_username,
        password=sim.dvcqg_password,
        madonvi=sim.root_agency_code,
        root_department_id=sim.root_department_id,
    )
    return Env(sim, settings, motcua, dvcqg)


def set_faults(sim, rates: dict[str, float]) -> None:
    response = httpx.post(sim.admin("faults"), json={"rates": rates}, timeout=30)
    response.raise_for_status()


def sim_stats(sim) -> dict:
    return httpx.get(sim.admin("stats"), timeout=30).json()


def dvcqg_sessions(sim) -> set[str]:
    """Every session the simulator's national portal handed out (expired ones too)."""
    response = httpx.get(sim.admin("dvcqg-sessions"), timeout=30)
    response.raise_for_status()
    return set(response.json()["issued"])


def truth(sim) -> dict:
    return httpx.get(sim.admin("truth"), timeout=300).json()


def instant(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def raw_rows(raw_dir: Path, dataset: str, columns: str = "*") -> list[tuple]:
    pattern = raw_dir / dataset / "**" / "*.parquet"
    with duckdb.connect() as con:
        return con.execute(
            f"select {columns} from read_parquet('{pattern}', hive_partitioning = true, "
            "union_by_name = true)"
        ).fetchall()


def build_staging(raw_dir: Path, database: Path, models: list[str]) -> None:
    """`dbt build` of the given staging models (and their seeds) over a raw zone."""
    target = database.parent / "dbt_target"
    env = {**os.environ, "RAW_DIR": str(raw_dir), "DBT_DUCKDB_PATH": str(database)}
    command = [
        str(Path(sys.executable).with_name("dbt")),
        "build",
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target),
        "--log-path",
        str(target),
        "--indirect-selection",
        "cautious",
        "--select",
        *models,
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:]


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "data"
