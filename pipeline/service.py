"""`make serve`: Dagster as a service, in the foreground.

Starts the three production processes of Dagster: the code server (`dagster code-server
start`, workspace.yaml's module and location name), which loads the definitions once and
launches the runs; then, once it answers, `dagster-webserver` (the UI and its GraphQL API) and
`dagster-daemon` (schedules, sensors, the run queue, freshness), both on deploy/workspace.yaml,
which points them at that code server. Left to manage code servers of their own, the daemon
would start a new one, importing the definitions again, every minute, and the webserver keep
another. It keeps them running until SIGTERM or Ctrl-C, which stop all three (SIGTERM to each
one's process group: the code server's holds a run in progress, which is interrupted and marked
failed; SIGKILL to what is left after `STOP_TIMEOUT`). If any process dies, the others are
stopped and the service exits with an error, so a supervisor (systemd, Docker) restarts them.

`python -m pipeline.service prepare` only prepares the instance (below) and exits, for those who
run the three processes under their own supervisor; `python -m pipeline.service
wait-code-server` waits until the code server at `DAGSTER_CODE_SERVER_HOST`:
`DAGSTER_CODE_SERVER_PORT` answers (the systemd unit's `ExecStartPost=`).

Settings (environment):
- `DAGSTER_HOME`: the instance folder (run history, event logs, schedule state); default
  `$XDG_STATE_HOME/motcua-warehouse/dagster` (`~/.local/state/...`), outside the checkout so
  that a `git clean` or a new clone keeps the history. Its `dagster.yaml` receives every
  setting of the repository's `.dagster/dagster.yaml` it lacks (the `warehouse_writer` pool
  limit, the run queue); settings already there are kept (an operator's storage choice).
- `DAGSTER_HOST` (127.0.0.1), `DAGSTER_PORT` (3000): where the UI listens.
- `DAGSTER_CODE_SERVER_PORT` (default: a free port): where the code server listens, on
  127.0.0.1 (`DAGSTER_CODE_SERVER_HOST`).
- `DAILY_REFRESH_CRON` and the retry settings are read by the definitions
  (pipeline/definitions.py, pipeline/recovery.py).
- Without `MOTCUA_BASE_URL` in the environment, the portals are the embedded simulator (as in
  `make demo`): started here on `SIM_PORT` (default: a free port) at `SIM_SCALE` (default 0.1),
  its clock following the wall clock (one step every `SIM_CLOCK_STEP` seconds, default 60;
  0 freezes it), so the schedule fires for real against a living world; `SIM_FAULTS` switches
  on its faults as in the demo (`SIM_FAULTS=corpus=0.05 make serve`: the drift corpus).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import yaml

from pipeline.config import REPO_ROOT

DEFAULT_PORT = 3000
DEFAULT_HOST = "127.0.0.1"
STOP_TIMEOUT = 20.0
# The embedded simulator's world moves with the wall clock, one step this often (seconds).
SIM_CLOCK_STEP = 60.0
DEFAULT_SIM_SCALE = 0.1
CODE_SERVER_HOST = "127.0.0.1"
# How long the code server may take to load the definitions before it answers (seconds).
CODE_SERVER_STARTUP_TIMEOUT = 300.0
REPO_INSTANCE_YAML = REPO_ROOT / ".dagster" / "dagster.yaml"
# The code location as `make ui` loads it (module, working directory, location name)...
REPO_WORKSPACE_YAML = REPO_ROOT / "workspace.yaml"
# ...and the webserver's and the daemon's workspace in a deployment: that code server's address.
SERVICE_WORKSPACE_YAML = REPO_ROOT / "deploy" / "workspace.yaml"
USAGE = (
    "usage: python -m pipeline.service [prepare | wait-code-server]\n"
    "  (no argument)     run the code server, dagster-webserver and dagster-daemon until\n"
    "                    SIGTERM / Ctrl-C\n"
    "  prepare           only prepare the instance in DAGSTER_HOME (dagster.yaml, storage)\n"
    "                    and exit\n"
    "  wait-code-server  wait until the code server at DAGSTER_CODE_SERVER_HOST:\n"
    "                    DAGSTER_CODE_SERVER_PORT answers"
)


def default_home() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "motcua-warehouse" / "dagster"


def instance_home() -> Path:
    value = os.environ.get("DAGSTER_HOME")
    return Path(value).expanduser().resolve() if value else default_home()


def merged_settings(existing: dict, defaults: dict) -> dict:
    """`existing` with every key of `defaults` it lacks, recursively (existing values win)."""
    merged = dict(existing)
    for key, value in defaults.items():
        if key not in merged:
            merged[key] = value
        elif isinstance(value, dict) and isinstance(merged[key], dict):
            merged[key] = merged_settings(merged[key], value)
    return merged


def prepare_instance(home: Path) -> Path:
    """The instance folder with its `dagster.yaml` holding the repository's settings."""
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    defaults = yaml.safe_load(REPO_INSTANCE_YAML.read_text()) or {}
    if target.exists() and target.resolve() == REPO_INSTANCE_YAML.resolve():
        return target
    existing = (yaml.safe_load(target.read_text()) or {}) if target.exists() else {}
    merged = merged_settings(existing, defaults)
    if merged != existing or not target.exists():
        header = (
            "# Dagster instance of the motcua warehouse service (pipeline/service.py).\n"
            "# Settings missing here are added from the repository's .dagster/dagster.yaml at\n"
            "# every start; settings present are kept.\n"
        )
        tmp = target.with_suffix(".yaml.tmp")
        tmp.write_text(header + yaml.safe_dump(merged, sort_keys=False, allow_unicode=True))
        os.replace(tmp, target)
    migrate_storage(home)
    return target


def migrate_storage(home: Path) -> None:
    """Create or upgrade the instance's storage here, once, before the webserver and the
    daemon start: both would otherwise create a new SQLite storage at the same moment and
    stamp its schema version twice (alembic: "more than one head")."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.upgrade()


def code_location() -> dict:
    """workspace.yaml's code location: `module_name`, `working_directory`, `location_name`."""
    [entry] = yaml.safe_load(REPO_WORKSPACE_YAML.read_text())["load_from"]
    return entry["python_module"]


def dagster_commands(host: str, port: int, code_port: int) -> dict[str, list[str]]:
    """The three production processes, from the environment this Python runs in, in the order
    they start. The webserver and the daemon find the code server through the environment
    (`DAGSTER_CODE_SERVER_HOST`, `DAGSTER_CODE_SERVER_PORT`: `code_server_environment`)."""
    bin_dir = Path(sys.executable).parent
    workspace = str(SERVICE_WORKSPACE_YAML)
    location = code_location()
    return {
        "code-server": [
            str(bin_dir / "dagster"),
            "code-server",
            "start",
            "-m",
            location["module_name"],
            "-d",
            str((REPO_ROOT / location["working_directory"]).resolve()),
            "--location-name",
            location["location_name"],
            "-h",
            CODE_SERVER_HOST,
            "-p",
            str(code_port),
        ],
        "webserver": [
            str(bin_dir / "dagster-webserver"),
            "-w",
            workspace,
            "-h",
            host,
            "-p",
            str(port),
        ],
        "daemon": [str(bin_dir / "dagster-daemon"), "run", "-w", workspace],
    }


def code_server_environment(code_port: int) -> dict[str, str]:
    return {
        "DAGSTER_CODE_SERVER_HOST": CODE_SERVER_HOST,
        "DAGSTER_CODE_SERVER_PORT": str(code_port),
    }


def free_port() -> int:
    """A port free on the loopback now (the code server's by default; the simulator's)."""
    with socket.socket() as sock:
        sock.bind((CODE_SERVER_HOST, 0))
        return sock.getsockname()[1]


def answers(host: str, port: int) -> bool:
    """The code server accepts connections: it opens its port once the definitions loaded."""
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError:
        return False
    return True


def wait_for_code_server(
    host: str, port: int, timeout: float, go_on: Callable[[], bool] = lambda: True
) -> bool:
    """Until the code server answers (True), `timeout` passes or `go_on()` turns false."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and go_on():
        if answers(host, port):
            return True
        time.sleep(0.5)
    return False


def uses_simulator(environ: dict[str, str] | os._Environ) -> bool:
    return not environ.get("MOTCUA_BASE_URL")


@contextlib.contextmanager
def embedded_simulator(
    while_starting: Callable[[], None] | None = None,
) -> Iterator[dict[str, str]]:
    """The portal simulator as the sources, with its clock following the wall clock; yields
    the environment that points the pipeline at it. `while_starting` runs here meanwhile."""
    import httpx

    from pipeline.config import load_settings
    from pipeline.demo import simulator_environment
    from pipeline.pipeline_env import use_demo_pii_hash_key_unless_set
    from pipeline.workcal import VN_TZ
    from simulator.faults import faults_from_env
    from simulator.server import run_simulator

    use_demo_pii_hash_key_unless_set()
    settings = load_settings()
    scale = float(os.environ.get("SIM_SCALE", DEFAULT_SIM_SCALE))
    port = int(os.environ["SIM_PORT"]) if os.environ.get("SIM_PORT") else None
    now = dt.datetime.now(VN_TZ).replace(microsecond=0)
    faults = faults_from_env(os.environ.get("SIM_FAULTS"))
    shown = ", ".join(f"{name}={rate}" for name, rate in faults.items()) or "none"
    print(
        f"[serve] no MOTCUA_BASE_URL: starting the portal simulator "
        f"(scale {scale}, faults: {shown}) …"
    )
    with run_simulator(
        as_of=now,
        history_start=settings.history_start,
        scale=scale,
        port=port,
        faults=faults,
        while_starting=while_starting,
    ) as sim:
        print(f"[serve] simulator on {sim.base_url}", flush=True)
        stop = threading.Event()
        step = float(os.environ.get("SIM_CLOCK_STEP") or SIM_CLOCK_STEP)

        def follow_clock() -> None:
            while step > 0 and not stop.wait(step):
                at = dt.datetime.now(VN_TZ).replace(microsecond=0).isoformat()
                with contextlib.suppress(httpx.HTTPError):
                    httpx.post(sim.admin("as-of"), json={"as_of": at}, timeout=300)

        thread = threading.Thread(target=follow_clock, name="simulator-clock", daemon=True)
        thread.start()
        try:
            yield {**simulator_environment(sim), "PII_HASH_KEY": os.environ["PII_HASH_KEY"]}
        finally:
            stop.set()


class Service:
    """The code server, the webserver and the daemon as child processes, each in its own process
    group (so a stop reaches the code server's definitions process and the runs it launched)."""

    def __init__(self, commands: dict[str, list[str]], env: dict[str, str], code_port: int):
        self.commands = commands
        self.env = env
        self.code_port = code_port
        self.processes: dict[str, subprocess.Popen] = {}
        self.stopping = threading.Event()

    def start(self) -> bool:
        """The code server, then, once it answers, the others; False if it never did."""
        for name, command in self.commands.items():
            self.processes[name] = subprocess.Popen(
                command, cwd=REPO_ROOT, env=self.env, process_group=0
            )
            print(f"[serve] {name} started (pid {self.processes[name].pid})", flush=True)
            if name == "code-server" and not self._code_server_answers():
                return False
        return True

    def _code_server_answers(self) -> bool:
        started = time.monotonic()
        process = self.processes["code-server"]
        if not wait_for_code_server(
            CODE_SERVER_HOST,
            self.code_port,
            CODE_SERVER_STARTUP_TIMEOUT,
            lambda: process.poll() is None and not self.stopping.is_set(),
        ):
            if not self.stopping.is_set():
                print("[serve] the code server did not start", file=sys.stderr, flush=True)
            return False
        print(
            f"[serve] code server on {CODE_SERVER_HOST}:{self.code_port} "
            f"({time.monotonic() - started:.1f} s)",
            flush=True,
        )
        return True

    def wait(self) -> int:
        """Until a stop is requested (0) or a process exits on its own (1)."""
        while not self.stopping.wait(1.0):
            for name, process in self.processes.items():
                if process.poll() is not None:
                    print(
                        f"[serve] {name} exited with code {process.returncode}; stopping",
                        file=sys.stderr,
                        flush=True,
                    )
                    return 1
        return 0

    def stop(self) -> None:
        """SIGTERM to each process group (the webserver, the daemon, the code server with its
        definitions process and a run in progress, which is interrupted and marked failed);
        SIGKILL to what is left after `STOP_TIMEOUT`."""
        started = time.monotonic()
        groups = [process.pid for process in self.processes.values()]
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        running = dict(self.processes)
        while time.monotonic() < started + STOP_TIMEOUT and (
            running or any(_group_alive(g) for g in groups)
        ):
            for name, process in list(running.items()):
                if process.poll() is not None:
                    del running[name]
                    print(f"[serve] {name} stopped ({time.monotonic() - started:.1f} s)")
            time.sleep(0.1)
        for group in groups:
            if _group_alive(group):
                print(f"[serve] killing what is left of process group {group}", flush=True)
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(group, signal.SIGKILL)
        for process in self.processes.values():
            process.wait()
        print(f"[serve] stopped ({time.monotonic() - started:.1f} s)", flush=True)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["wait-code-server"]:
        host = os.environ.get("DAGSTER_CODE_SERVER_HOST") or CODE_SERVER_HOST
        port = int(os.environ["DAGSTER_CODE_SERVER_PORT"])
        if wait_for_code_server(host, port, CODE_SERVER_STARTUP_TIMEOUT):
            print(f"[serve] code server on {host}:{port} answers", flush=True)
            return 0
        print(f"[serve] no code server on {host}:{port}", file=sys.stderr, flush=True)
        return 1
    if argv not in ([], ["prepare"]):
        # Anything else (`--help`, a typo) must not start the service.
        print(USAGE, file=sys.stderr if argv not in (["-h"], ["--help"]) else sys.stdout)
        return 0 if argv in (["-h"], ["--help"]) else 2
    home = instance_home()
    if argv == ["prepare"] or not uses_simulator(os.environ):
        prepare_instance(home)
    if argv == ["prepare"]:
        # For those who run the three processes under their own supervisor (systemd units,
        # containers): the instance folder and storage, ready before either starts.
        print(f"[serve] instance {home} ready")
        return 0
    host = os.environ.get("DAGSTER_HOST") or DEFAULT_HOST
    port = int(os.environ.get("DAGSTER_PORT") or DEFAULT_PORT)
    code_port = int(os.environ.get("DAGSTER_CODE_SERVER_PORT") or free_port())
    service: Service | None = None

    def request_stop(signum, _frame) -> None:
        print(f"[serve] {signal.Signals(signum).name}: stopping …", flush=True)
        if service is None:
            raise KeyboardInterrupt
        service.stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    with contextlib.ExitStack() as stack:
        env = {
            **os.environ,
            "DAGSTER_HOME": str(home),
            "PYTHONPATH": str(REPO_ROOT),
            **code_server_environment(code_port),
        }
        try:
            if uses_simulator(os.environ):
                env.update(stack.enter_context(embedded_simulator(lambda: prepare_instance(home))))
        except KeyboardInterrupt:
            return 0
        commands = dagster_commands(host, port, code_port)
        for command in commands.values():
            if shutil.which(command[0]) is None:
                print(f"[serve] {command[0]} not found in this environment", file=sys.stderr)
                return 1
        service = Service(commands, env, code_port)
        print(f"[serve] instance {home}; UI on http://{host}:{port}", flush=True)
        try:
            started = service.start()
            # A stop requested while the code server loaded is a clean stop.
            code = service.wait() if started else int(not service.stopping.is_set())
        finally:
            service.stop()
    return code


if __name__ == "__main__":
    sys.exit(main())
