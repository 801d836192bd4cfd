"""Environment for a pipeline run against a running portal simulator (demo and tests)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from simulator.evaluation import department_id

# A fixed key for the simulator's synthetic people; a real deployment sets its own secret.
DEMO_PII_HASH_KEY = "demo-only-key-not-for-production"


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
