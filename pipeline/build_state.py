"""Whether the next dbt build may be incremental, and the record that lets it decide.

The private build file (`DATA_DIR/build/warehouse.duckdb`) persists between runs. Beside it,
`build_state.json` records what the last *complete* dbt build was made from: its AS_OF, the
raw runs it had read, a hash of the dbt project's code and seeds, the run's settings, and a
fingerprint of the reference data every dossier depends on (agencies, procedures, working
calendar). The record is removed before a build starts and written again only after dbt
succeeded, so a killed or failed build always leaves no record, and the next build is full.

The raw runs recorded as read are listed under the raw-commit lock (`landing/locks.py`): a
landing whose files are only partly moved into the raw zone is never among them.

A build is full (`--full-refresh`) when there is no record, or the AS_OF moved backwards
(a backfill), or the code, the settings, the raw folder or the reference data differ.
Otherwise it is incremental: the models of macros/incremental.sql recompute only the
dossiers touched by the raw runs landed since (DBT_NEW_RUNS) and those still open at the
previous AS_OF (DBT_PREVIOUS_AS_OF), and the nodes none of whose inputs changed are not run at
all (`Changes`, read by pipeline/build_skip.py). For that the record also holds the files of
every other raw dataset, a hash of the data tests' code and the settings read while a node
runs. Each complete build has an id; an incremental one records the id of the build whose file
it started from and which relations it may have changed (`changes`, from
build_skip.relation_changes; None after a full build): the publication publishes only those
when it published that very base build (pipeline/publish.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline.atomic import write_text_atomic
from pipeline.config import Settings
from pipeline.landing.locks import raw_commit_lock
from pipeline.row_hash import row_hash
from pipeline.workcal import TIMEZONE

STATE_NAME = "build_state.json"
FORMAT = 1
# Raw datasets whose new runs an incremental build reads (macros/incremental.sql).
TRACKED = ("motcua/dossiers", "dvcqg/dossier_copies", "dvcqg/petitions")
# Staging views over the reference data: any change to their rows rebuilds everything.
REFERENCE_VIEWS = ("stg_motcua__agencies", "stg_motcua__procedures", "stg_calendar__days")
# What the tables are made of; the data tests (dbt_project/tests) are not.
CODE_PARTS = ("models", "macros", "seeds", "dbt_project.yml", "profiles.yml")
TEST_PARTS = ("tests",)
# Settings the dbt models read from the environment while a node runs (macros/run_vars.sql).
RUN_SETTINGS = ("WATCH_WORKING_DAYS",)


@dataclass(frozen=True)
class Changes:
    """What may differ between the last complete build and an incremental one."""

    clock: bool  # the AS_OF moved
    datasets: frozenset[str]  # raw datasets (dbt source identifiers) with new files
    tests_code: bool  # dbt_project/tests changed
    run_settings: bool  # a setting of RUN_SETTINGS changed


@dataclass
class BuildPlan:
    full: bool
    reason: str
    env: dict[str, str]
    state: dict = field(repr=False)
    changes: Changes | None = None  # None in a full build

    @property
    def mode(self) -> str:
        return "full" if self.full else "incremental"


def state_path(settings: Settings) -> Path:
    return settings.build_path.parent / STATE_NAME


def code_hash(project_dir: Path, parts: tuple[str, ...] = CODE_PARTS) -> str:
    """A digest of the files of `parts` (folders and files) of the dbt project."""
    digest = hashlib.sha256()
    for part in parts:
        root = project_dir / part
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in files:
            if not path.is_file():  # an optional file (packages.yml) this project does not have
                continue
            digest.update(str(path.relative_to(project_dir)).encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


def raw_runs(raw_dir: Path) -> dict[str, list[str]]:
    """The distinct `_run_id`s landed in each tracked raw dataset (one narrow column read)."""
    runs: dict[str, list[str]] = {}
    with duckdb.connect() as con:
        for dataset in TRACKED:
            folder = raw_dir / dataset
            if not any(folder.rglob("*.parquet")):
                runs[dataset] = []
                continue
            glob = str(folder / "**" / "*.parquet").replace("'", "''")
            rows = con.execute(
                f"SELECT DISTINCT _run_id FROM read_parquet('{glob}', union_by_name = true)"
            ).fetchall()
            runs[dataset] = sorted(r[0] for r in rows)
    return runs


def raw_files(raw_dir: Path) -> dict[str, str]:
    """A digest of the files (name, size, time) of each raw dataset (`<source>/<dataset>`) but
    the tracked ones: the raw zone is append-only, so a new landing is a new file."""
    files: dict[str, str] = {}
    for folder in sorted(p for p in raw_dir.glob("*/*") if p.is_dir()):
        dataset = folder.relative_to(raw_dir).as_posix()
        if dataset in TRACKED:
            continue
        digest = hashlib.sha256()
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            stat = path.stat()
            digest.update(
                f"{path.relative_to(folder)}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode()
            )
        files[dataset] = digest.hexdigest()
    return files


def changes_since(previous: dict, current: dict) -> Changes:
    """What an incremental build may find changed since the last complete one (`previous`);
    what the record does not hold counts as changed."""
    new_runs = {d for d in TRACKED if set(current["runs"][d]) - set(previous["runs"].get(d, []))}
    before, now = previous.get("files"), current["files"]
    datasets = set(now) | set(before or {})
    files = datasets if before is None else {d for d in datasets if before.get(d) != now.get(d)}
    return Changes(
        clock=previous["as_of"] != current["as_of"],
        datasets=frozenset(new_runs | files),
        tests_code=previous.get("tests") != current["tests"],
        run_settings=previous.get("run_settings") != current["run_settings"],
    )


def reference_fingerprint(build_path: Path) -> str | None:
    """Rows of the reference staging views of the build file, evaluated on today's raw zone
    (the views read the raw Parquet in place). None when the build file has none."""
    if not build_path.exists():
        return None
    try:
        with duckdb.connect(str(build_path), read_only=True) as con:
            con.execute(f"SET TimeZone = '{TIMEZONE}'")
            parts = []
            for view in REFERENCE_VIEWS:
                count, total = row_hash(con, f"staging.{view}")
                parts.append(f"{view}:{count}:{total}")
    except duckdb.Error:
        return None
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def settings_key(settings: Settings) -> dict[str, str]:
    return {
        "history_start": settings.history_start.isoformat(),
        "max_reject_rate": repr(settings.max_reject_rate),
        "raw_dir": str(settings.raw_dir.resolve()),
        "target": os.environ.get("DBT_TARGET", "duckdb"),
    }


def read_state(settings: Settings) -> dict | None:
    return _read_state_file(state_path(settings))


def _read_state_file(path: Path) -> dict | None:
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and state.get("format") == FORMAT else None


def build_of(build_path: Path) -> dict | None:
    """The record of the complete build that made the build file at `build_path`, when the
    file is still the one that build left (the publication follows the chain of builds)."""
    state = _read_state_file(build_path.parent / STATE_NAME)
    try:
        return state if state and state.get("file") == file_identity(build_path) else None
    except OSError:
        return None


def full_build_reason(
    previous: dict | None,
    current: dict,
    *,
    build_file_exists: bool,
    reference: Callable[[], str | None],
) -> str:
    """Why the next build must be full, or "" when it may be incremental: the pure decision
    between the record of the last complete build (`previous`) and what this build would be
    made from (`current`: as_of, code, settings, runs). `reference` gives the fingerprint of
    the build file's reference data; it is read only when every cheaper check passed."""
    if previous is None:
        return "no record of a complete previous build"
    if not build_file_exists:
        return "no build file"
    if dt.datetime.fromisoformat(previous["as_of"]) > dt.datetime.fromisoformat(current["as_of"]):
        return f"AS_OF moved backwards (previous build at {previous['as_of']})"
    if previous.get("code") != current["code"]:
        return "the dbt project's code or seeds changed"
    if previous.get("settings") != current["settings"]:
        return "the run's settings changed"
    fingerprint = reference()
    if fingerprint is None:
        return "the reference data of the build file cannot be read"
    if previous.get("reference") != fingerprint:
        return "agencies, procedures or the working calendar changed"
    runs = current["runs"]
    if any(not set(previous.get("runs", {}).get(d, [])) <= set(runs[d]) for d in TRACKED):
        return "raw runs read by the previous build are gone"
    return ""


def plan_build(settings: Settings, as_of: dt.datetime, project_dir: Path) -> BuildPlan:
    """Decide full or incremental, and what the build must be told (environment)."""
    with raw_commit_lock(settings.data_dir, shared=True):  # no landing half moved in
        runs = raw_runs(settings.raw_dir)
        files = raw_files(settings.raw_dir)
    state = {
        "format": FORMAT,
        # Which build made the build file, and from which one's file an incremental build
        # started (`base_build`): the publication follows this chain (pipeline/publish.py).
        "build_id": uuid.uuid4().hex,
        "base_build": None,
        "as_of": as_of.isoformat(),
        "code": code_hash(project_dir),
        "settings": settings_key(settings),
        "runs": runs,
        "files": files,
        "tests": code_hash(project_dir, TEST_PARTS),
        "run_settings": {name: os.environ.get(name, "") for name in RUN_SETTINGS},
    }
    env = {"DBT_AS_OF": as_of.isoformat(), "DBT_PREVIOUS_AS_OF": "", "DBT_NEW_RUNS": "{}"}
    previous = read_state(settings)
    reason = full_build_reason(
        previous,
        state,
        build_file_exists=settings.build_path.exists(),
        reference=lambda: reference_fingerprint(settings.build_path),
    )
    if reason:
        return BuildPlan(True, reason, env, state)
    new = {d: sorted(set(runs[d]) - set(previous["runs"].get(d, []))) for d in TRACKED}
    # The build file is the one that build left (not changed by hand or a failed build since).
    if previous.get("file") == file_identity(settings.build_path):
        state["base_build"] = previous.get("build_id")
    env["DBT_PREVIOUS_AS_OF"] = previous["as_of"]
    env["DBT_NEW_RUNS"] = json.dumps(new)
    changed = ", ".join(f"{d}: {len(r)}" for d, r in new.items())
    reason = f"new raw runs since {previous['as_of']} ({changed})"
    return BuildPlan(False, reason, env, state, changes_since(previous, state))


def begin_build(settings: Settings) -> None:
    """Before dbt touches the build file: no record survives a build that does not finish."""
    state_path(settings).unlink(missing_ok=True)


def file_identity(path: Path) -> list[int]:
    """A file as it is now (inode, size, modification time): any write changes it."""
    stat = path.stat()
    return [stat.st_ino, stat.st_size, stat.st_mtime_ns]


def complete_build(settings: Settings, plan: BuildPlan) -> None:
    """After a successful dbt build: record what it was made from (atomically), and the build
    file it left."""
    reference = reference_fingerprint(settings.build_path)
    state = {
        **plan.state,
        "file": file_identity(settings.build_path),
        "reference": reference,
        "mode": plan.mode,
        "reason": plan.reason,
        "completed_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    write_text_atomic(state_path(settings), json.dumps(state, indent=1))
