"""Run the simulator in its own process (own GIL) for tests and demos.

with run_simulator(scale=0.02, as_of="2026-11-20T08:00:00+07:00") as sim:
    httpx.get(f"{sim.motcua_base_url}/pa/dossier/search", ...)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from pipeline.config import DEFAULT_HISTORY_START
from pipeline.service import free_port
from simulator.app import Settings
from simulator.evaluation import department_id
from simulator.profile import PROVINCE_CODE
from simulator.units import agency_id

REPO_ROOT = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT = 900.0  # a province-size world takes minutes to index


@dataclass(frozen=True)
class SimulatorHandle:
    base_url: str
    motcua_base_url: str
    dvcqg_base_url: str
    token_url: str
    client_id: str
    username: str
    password: str
    dvcqg_username: str
    dvcqg_password: str
    root_agency_id: str
    root_agency_code: str
    root_department_id: str  # the national portal's id of the root unit (`departmentId`)
    pid: int

    def admin(self, path: str) -> str:
        return f"{self.base_url}/_sim/{path.lstrip('/')}"


def serve_command(settings: Settings, host: str, port: int) -> list[str]:
    """The CLI invocation that serves these settings (see __main__.py)."""
    cmd = [
        sys.executable,
        "-m",
        "simulator",
        "serve",
        "--host",
        host,
        "--port",
        str(port),
        "--seed",
        str(settings.seed),
        "--as-of",
        settings.as_of.isoformat(),
        "--history-start",
        settings.history_start.isoformat(),
        "--scale",
        str(settings.scale),
        "--token-ttl",
        str(settings.token_ttl),
        "--session-ttl",
        str(settings.session_ttl),
    ]
    for name, rate in settings.faults.items():
        cmd += ["--fault", f"{name}={rate}"]
    if settings.fault_seed is not None:
        cmd += ["--fault-seed", str(settings.fault_seed)]
    return cmd


@contextlib.contextmanager
def run_simulator(
    *,
    seed: int = 766,
    as_of: str | dt.datetime = "2026-11-20T08:00:00+07:00",
    history_start: str | dt.date = DEFAULT_HISTORY_START,
    scale: float = 0.02,
    port: int | None = None,
    faults: dict[str, float] | None = None,
    fault_seed: int | None = None,
    token_ttl: int = 300,
    session_ttl: int = 1800,
    log_path: Path | None = None,
    while_starting: Callable[[], None] | None = None,
) -> Iterator[SimulatorHandle]:
    """Start a simulator process on 127.0.0.1, wait until it answers, stop it on exit.

    `while_starting` runs in this process while the simulator builds its world (e.g. heavy
    imports of the caller), before waiting for it to answer."""
    settings = Settings(
        as_of=as_of if isinstance(as_of, dt.datetime) else dt.datetime.fromisoformat(as_of),
        seed=seed,
        history_start=history_start
        if isinstance(history_start, dt.date)
        else dt.date.fromisoformat(history_start),
        scale=scale,
        faults=faults or {},
        fault_seed=fault_seed,
        token_ttl=token_ttl,
        session_ttl=session_ttl,
    )
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(
        serve_command(settings, "127.0.0.1", port), cwd=REPO_ROOT, env=env, stdout=log, stderr=log
    )
    try:
        if while_starting is not None:
            while_starting()
        _wait_ready(process, f"{base}/_sim/health")
        yield SimulatorHandle(
            base_url=base,
            motcua_base_url=f"{base}/motcua",
            dvcqg_base_url=f"{base}/dvcqg",
            token_url=f"{base}/motcua/auth/realms/digo/protocol/openid-connect/token",
            client_id=settings.client_id,
            username=settings.username,
            password=settings.password,
            dvcqg_username=settings.dvcqg_username,
            dvcqg_password=settings.dvcqg_password,
            root_agency_id=agency_id(PROVINCE_CODE),
            root_agency_code=PROVINCE_CODE,
            root_department_id=department_id(PROVINCE_CODE),
            pid=process.pid,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log_path:
            log.close()


def _wait_ready(process: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"simulator exited with code {process.returncode} before serving")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"simulator did not answer {url} within {STARTUP_TIMEOUT:.0f} s")
