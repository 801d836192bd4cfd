"""A temporary process environment (settings are read from it, e.g. by dbt's subprocess), and
the demo's per-folder PII_HASH_KEY."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

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


def use_demo_pii_hash_key_unless_set() -> None:
    """Without a configured PII_HASH_KEY (the demo, the service on the simulator), the data
    folder's own demo key."""
    if not os.environ.get("PII_HASH_KEY"):
        from pipeline.config import data_dir_setting

        os.environ["PII_HASH_KEY"] = demo_pii_hash_key(data_dir_setting())


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
