"""Done-when 3: no personal value of the world reaches the raw zone or the warehouse, and no
secret (password, token, session) reaches logs, run metadata or files."""

from __future__ import annotations

import json
import logging
import stat
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from pipeline.landing.dvcqg import DvcqgLanding
from pipeline.landing.motcua import MotcuaLanding
from pipeline.pipeline_env import DEMO_KEY_FILE
from simulator.server import run_simulator
from tests.connectors.conftest import AS_OF, SCALE, dvcqg_sessions, make_env

JSON_COLUMNS = {"extra_json", "payload_redacted", "payload_json"}


def leaves(value: object) -> Iterator[str]:
    """Every string inside a value (numbers as their text: an ID number may land as one);
    JSON text is opened and walked too."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        yield repr(value)
    elif isinstance(value, str):
        yield value
        if value[:1] in "{[":
            yield from leaves(_json_or_none(value))
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from leaves(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from leaves(v)


def _json_or_none(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return None


def raw_zone_strings(root: Path, skip: tuple[Path, ...] = ()) -> set[str]:
    found: set[str] = set()
    for path in root.rglob("*"):
        if path in skip:
            continue
        if path.suffix == ".parquet":
            found.update(leaves(pq.read_table(path).to_pylist()))
        elif path.is_file():
            found.add(path.read_text(encoding="utf-8", errors="replace"))
    return found


def warehouse_strings(path: Path) -> set[str]:
    found: set[str] = set()
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
        for schema, table in tables:
            found.update(leaves(con.execute(f'select * from "{schema}"."{table}"').fetchall()))
    return found


def personal_values(simulator, tmp_path) -> set[str]:
    """The world's personal data, read straight from both portals."""
    env = make_env(simulator, tmp_path / "probe")
    values: set[str] = set()
    with env.motcua_client() as client:
        for page in client.dossiers_updated(AS_OF.replace(year=2023), AS_OF):
            for dossier in page:
                applicant = dossier.get("applicant") or {}
                values.update(
                    applicant.get(k)
                    for k in ("fullname", "identityNumber", "phoneNumber", "email", "address")
                )
                for step in dossier.get("history") or []:
                    values.update((step.get("officer"), step.get("note")))
    with env.dvcqg_client() as client:
        for page in client.dossier_copies(AS_OF.replace(year=2023), AS_OF):
            for copy in page:
                values.update((copy.get("ChuHoSo"), copy.get("SoGiayToChuHoSo")))
                values.update(s.get("NoiDungBoSung") for s in copy.get("DanhSachHoSoBoSung", []))
    # Short notes ("Thiếu tờ khai") are not personal by themselves and may equal a label.
    return {v for v in values if isinstance(v, str) and len(v.strip()) >= 6}


def test_no_personal_value_reaches_the_raw_zone_or_the_warehouse(pipeline_run, simulator, tmp_path):
    personal = personal_values(simulator, tmp_path)
    assert len(personal) > 1000
    raw = raw_zone_strings(pipeline_run.data_dir / "raw")
    assert len(raw) > 10000
    assert not personal & raw
    stored = warehouse_strings(pipeline_run.warehouse_path)
    assert not personal & stored


def test_no_secret_in_run_metadata_or_files(pipeline_run):
    secrets = {pipeline_run.env[k] for k in ("MOTCUA_PASSWORD", "DVCQG_PASSWORD", "PII_HASH_KEY")}
    events = " ".join(str(e) for e in pipeline_run.result.all_events)
    assert not any(secret in events for secret in secrets)
    # The demo key's own file (owner-only, like an operator's .env) is where the key lives;
    # nothing else in the data folder may hold it.
    key_file = pipeline_run.data_dir / DEMO_KEY_FILE
    assert key_file.read_text().strip() == pipeline_run.env["PII_HASH_KEY"]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    stored = raw_zone_strings(pipeline_run.data_dir, skip=(key_file,))
    assert not any(secret in text for text in stored for secret in secrets)


@pytest.fixture(scope="module")
def faulty_auth_sim():
    with run_simulator(
        scale=SCALE, as_of=AS_OF, faults={"token_expiry": 0.2, "server_error": 0.1}, fault_seed=9
    ) as sim:
        yield sim


def test_logs_of_a_run_hold_no_token_session_or_password(faulty_auth_sim, data_dir, caplog):
    env = make_env(faulty_auth_sim, data_dir)
    caplog.set_level(logging.DEBUG)
    with env.motcua_client() as motcua, env.dvcqg_client() as dvcqg:
        MotcuaLanding(env.settings, motcua, "logs").land_agencies()
        DvcqgLanding(env.settings, dvcqg, "logs").land_petitions(AS_OF)
        token = motcua._token
    # The portal's own list: a session per worker thread of the client, renewed on expiry.
    sessions = dvcqg_sessions(faulty_auth_sim)
    secrets = {token, *sessions, env.motcua.password, env.dvcqg.password}
    assert None not in secrets and len(sessions) > 1 and caplog.records
    assert any("retrying" in r.getMessage() for r in caplog.records)  # faults were logged
    assert not any(secret in caplog.text for secret in secrets)
    stored = raw_zone_strings(data_dir)
    assert not any(secret in text for text in stored for secret in secrets)
    assert "password" not in repr(env.motcua) and env.motcua.password not in repr(env.motcua)
