"""Personal data and secrets (issue 9, sources.md D): after a whole run, nothing of the world's
personal values nor any credential is found in the raw zone, the build and published warehouse,
the Parquet marts, the reports, the run's logs, Dagster's event log or dbt's logs and
artefacts; and a run without `PII_HASH_KEY` refuses to start with a clear message.

The connector tests scan the raw zone and the published warehouse of an in-process run for
exact values; this scan adds every other file a scheduled run writes, searched for substrings.
"""

from __future__ import annotations

import re
import sqlite3
import stat
import subprocess
import sys
import zipfile
from collections import defaultdict
from pathlib import Path

import pytest

from pipeline.config import REPO_ROOT, ConfigError, load_settings
from pipeline.pipeline_env import DEMO_KEY_FILE, demo_pii_hash_key, patched_environ
from pipeline.project import DBT_PROJECT_DIR
from tests.connectors.test_personal_data_and_secrets import (
    personal_values,
    raw_zone_strings,
    warehouse_strings,
)
from tests.reliability.conftest import Workspace

SECRET_KEYS = ("MOTCUA_PASSWORD", "DVCQG_PASSWORD", "PII_HASH_KEY")


def text_files(ws: Workspace) -> dict[str, str]:
    """Every text a run leaves outside Parquet and DuckDB: logs, event log, state, reports
    (the workbook's XML too), dbt's logs and artefacts of the run."""
    texts: dict[str, str] = {}
    for folder in (ws.logs_dir, ws.data_dir / "state", ws.data_dir / "ops", ws.dagster_home):
        for path in folder.rglob("*") if folder.exists() else ():
            if path.is_file() and path.suffix not in (".db", ".parquet", ".duckdb"):
                texts[str(path)] = path.read_text(encoding="utf-8", errors="replace")
    for path in ws.dagster_home.rglob("*.db"):
        with sqlite3.connect(path) as con:
            for (table,) in con.execute("select name from sqlite_master where type = 'table'"):
                rows = con.execute(f'select * from "{table}"').fetchall()
                texts[f"{path}:{table}"] = "\n".join(map(repr, rows))
    for path in ws.reports_dir.rglob("*"):
        if path.suffix == ".html":
            texts[str(path)] = path.read_text(encoding="utf-8")
        elif path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                for name in book.namelist():
                    texts[f"{path}:{name}"] = book.read(name).decode("utf-8", "replace")
    # dbt's folders of this run (named in its log): logs, results, compiled SQL; the manifest
    # is the project's description, the same for every run, and is left out
    log = "\n".join(t for where, t in texts.items() if where.endswith(".log"))
    for name in set(re.findall(r"dbt_project/target/([^/\s]+)/", log)):
        for path in (DBT_PROJECT_DIR / "target" / name).rglob("*"):
            wanted = path.suffix in (".log", ".json", ".sql", ".txt")
            if wanted and path.is_file() and "manifest" not in path.name:
                texts[str(path)] = path.read_text(encoding="utf-8", errors="replace")
    return texts


# Up to this many values, each is searched for in every text; beyond, collecting each text's
# substrings once costs less (about as much as 300 searches).
SEARCHED_ONE_BY_ONE = 256


def substrings_found(values: set[str], texts: dict[str, str]) -> set[tuple[str, str]]:
    """(value, where) for every value occurring in a text. Many values: each text's substrings
    of the shortest value's length are collected once, and only the values starting with one of
    them are searched for (every one of the reference run's 13 k personal values searched in
    every text cost 17 CPU-seconds; this, 2)."""
    if len(values) <= SEARCHED_ONE_BY_ONE:
        return {
            (value, where) for where, text in texts.items() for value in values if value in text
        }
    width = min(map(len, values))
    by_start: dict[str, list[str]] = defaultdict(list)
    for value in values:
        by_start[value[:width]].append(value)
    found = set()
    for where, text in texts.items():
        starts = {text[i : i + width] for i in range(len(text) - width + 1)}
        for start in starts & by_start.keys():
            found.update((value, where) for value in by_start[start] if value in text)
    return found


@pytest.fixture(scope="module")
def scanned(reference, rel_sim, tmp_path_factory):
    ws = reference.workspace
    personal = personal_values(rel_sim, tmp_path_factory.mktemp("probe"))
    secrets = {ws.env()[k] for k in SECRET_KEYS}
    exact = (
        raw_zone_strings(ws.data_dir / "raw")
        | raw_zone_strings(ws.warehouse_path.parent / "marts")
        | warehouse_strings(ws.warehouse_path)
        | warehouse_strings(ws.build_path)
    )
    texts = text_files(ws)
    return personal, secrets, exact, texts


def test_the_scan_covers_every_place_a_run_writes(scanned):
    personal, _, exact, texts = scanned
    assert len(personal) > 1000 and len(exact) > 10_000
    places = " ".join(texts)
    for expected in ("logs/reference.log", "history/runs", ".html", ".xlsx:xl/", "dbt.log"):
        assert expected in places, f"nothing scanned under {expected}"


def test_no_personal_value_anywhere(scanned, figures):
    personal, _, exact, texts = scanned
    found = (personal & exact) | {v for v, _ in substrings_found(personal, texts)}
    figures.leaks += len(found)
    figures.checks["personal_values_scanned"] = len(personal)
    figures.checks["places_scanned"] = len(texts) + 4
    assert not found, sorted(found)[:10]


def test_no_secret_anywhere(scanned, figures):
    _, secrets, exact, texts = scanned
    found = {s for s in secrets for text in exact if s in text} | substrings_found(secrets, texts)
    figures.leaks += len(found)
    assert not found


def test_the_hash_key_is_required():
    with patched_environ({"PII_HASH_KEY": ""}), pytest.raises(ConfigError, match="PII_HASH_KEY"):
        load_settings()


def test_a_short_hash_key_is_refused_with_how_to_make_one():
    short = "x" * 31
    with patched_environ({"PII_HASH_KEY": short}), pytest.raises(ConfigError) as refused:
        load_settings()
    message = str(refused.value)
    assert "PII_HASH_KEY is too short (31 bytes; at least 32 are required)" in message
    assert 'python -c "import secrets; print(secrets.token_hex(32))"' in message
    assert short not in message
    with patched_environ({"PII_HASH_KEY": "é" * 16}):  # 32 bytes in UTF-8
        assert len(load_settings().pii_hash_key) == 32


def test_the_demo_key_is_random_per_data_folder_private_and_reused(tmp_path):
    first = demo_pii_hash_key(tmp_path / "a" / "data")
    assert len(bytes.fromhex(first)) == 32
    key_file = tmp_path / "a" / "data" / DEMO_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert demo_pii_hash_key(tmp_path / "a" / "data") == first  # a later run, same folder
    assert demo_pii_hash_key(tmp_path / "b" / "data") != first  # another folder
    with patched_environ({"PII_HASH_KEY": first}):
        assert load_settings().pii_hash_key == first.encode()


def test_a_scheduled_run_without_the_hash_key_fails_clearly_and_lands_nothing(
    rel_sim, tmp_path, figures
):
    """`make refresh` (dagster job execute) with every setting but PII_HASH_KEY."""
    ws = Workspace(tmp_path, rel_sim)
    env = {k: v for k, v in ws.env().items() if k != "PII_HASH_KEY"}
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("dagster")),
            "job",
            "execute",
            "-m",
            "pipeline.definitions",
            "-j",
            "daily_refresh",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "PII_HASH_KEY is not set: personal data is hashed with this key at landing" in output
    landed = list(ws.data_dir.rglob("*.parquet")) if ws.data_dir.exists() else []
    assert not landed, landed
    figures.run("no hash key", survived=True, outcome="failed cleanly")
