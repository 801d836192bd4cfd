"""Environment for a pipeline run against a running portal simulator (demo and tests)."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from pipeline.simulator.evaluation import department_id

# The demo's PII_HASH_KEY, one per data folder: made at random the first time, kept in this
# file of DATA_DIR (owner-only), reused by every later run on the same folder so applicant
# keys stay stable. A real deployment sets its own secret instead.
DEMO_KEY_FILE = "demo-pii-hash-key"


def demo_pii_hash_key(data_dir: Path) -> str:
    """The data folder's demo key: read from `DEMO_KEY_FILE`, or made (32 random bytes, hex)
    and written with 0600 permissions on first use. Two processes starting on a new folder
    at once agree: the file is created exclusively, the loser reads the winner's key."""
    path = Path(data_dir) / DEMO_KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # the winner may not have written it yet
            key = path.read_text(encoding="ascii").strip()
            if key:
                return key
            time.sleep(0.02)
        raise RuntimeError(f"{path} is empty: delete it and run again") from None
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key + "\n")
    return key


def simulator_environment(handle) -> dict[str, str]:
    """The connector settings that point the pipeline at a running simulator."""
    return {
        "MOTCUA_BASE_URL": handle.motcua_base_url,
        "MOTCUA_TOKEN_URL": "",
        "MOTCUA_CLIENT_ID": handle.client_id,
        "MOTCUA_USERNAME": handle.username,
        "MOTCUA_PASSWORD": handle.password,
        "MOTCUA_ROOT_AGENCY_ID": handle.root_agency_id,
        "DVCQG_BASE_URL": handle.dvcqg_base_url,
        "DVCQG_USERNAME": handle.dvcqg_username,
        "DVCQG_PASSWORD": handle.dvcqg_password,
        "DVCQG_MADONVI": handle.root_agency_code,
        "DVCQG_ROOT_DEPARTMENT_ID": department_id(handle.root_agency_code),
    }


@contextmanager
def patched_environ(values: Mapping[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
