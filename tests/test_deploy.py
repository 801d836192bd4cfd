"""The deployment recipe (deploy/): the instance configurations load in the installed Dagster
and do what docs/operations.md says; old runs are pruned without losing an asset's facts."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import socket
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._core.definitions.run_request import InstigatorType
from dagster._core.errors import DagsterInvalidConfigError
from dagster._core.instance.config import dagster_instance_config
from dagster._core.scheduler.instigation import TickStatus
from dagster._core.workspace.config_schema import ensure_workspace_config

from pipeline import service as serve
from pipeline.retention import prune

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def _home(tmp_path: Path, name: str, text: str | None = None) -> Path:
    home = tmp_path / name.replace(".yaml", "")
    home.mkdir()
    if text is None:
        shutil.copyfile(DEPLOY / name, home / "dagster.yaml")
    else:
        (home / "dagster.yaml").write_text(text)
    return home


def test_deployment_instance_loads_with_its_limits_and_retention(tmp_path):
    home = _home(tmp_path, "dagster.yaml")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.run_monitoring_enabled
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        concurrency = instance.get_concurrency_config()
        assert concurrency.run_queue_config.max_concurrent_runs == 1
        assert concurrency.pool_config.default_pool_limit == 1
        sensor_ticks = instance.get_tick_retention_settings(InstigatorType.SENSOR)
        assert sensor_ticks[TickStatus.SKIPPED] == 1
        assert sensor_ticks[TickStatus.FAILURE] == 30
        assert (
            instance.get_tick_retention_settings(InstigatorType.SCHEDULE)[TickStatus.SUCCESS] == 90
        )
        # SQLite under DAGSTER_HOME by default.
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
        assert str(home) in instance.run_storage._conn_string
        # The daemon runs what the project uses, not the asset daemon (no automation conditions).
        assert set(instance.get_required_daemon_types()) == {
            "SCHEDULER",
            "SENSOR",
            "QUEUED_RUN_COORDINATOR",
            "MONITORING",
            "FRESHNESS_DAEMON",
            "BACKFILL",
        }


def test_postgres_instance_config_is_valid(tmp_path, monkeypatch):
    """Schema-checked by the installed Dagster (connecting needs a server and the extra)."""
    for name in ("DAGSTER_PG_HOST", "DAGSTER_PG_DB", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD"):
        monkeypatch.setenv(name, "x")
    text = (DEPLOY / "dagster-postgres.yaml").read_text()
    config, _ = dagster_instance_config(str(_home(tmp_path, "dagster-postgres.yaml")))
    assert set(config["storage"]["postgres"]["postgres_db"]) == {
        "hostname",
        "port",
        "db_name",
        "username",
        "password",
    }
    # Everything but the storage is the SQLite deployment's.
    sqlite, _ = dagster_instance_config(str(_home(tmp_path, "dagster.yaml")))
    assert {k: v for k, v in config.items() if k != "storage"} == sqlite
    # The check is real: a misspelt key is refused.
    with pytest.raises(DagsterInvalidConfigError):
        dagster_instance_config(str(_home(tmp_path, "bad.yaml", text.replace("db_name", "dbname"))))


@dg.asset
def daily() -> None:
    return None


@dg.asset(partitions_def=dg.StaticPartitionsDefinition(["2024-01", "2024-02"]))
def monthly() -> None:
    return None


def test_prune_keeps_the_runs_that_hold_an_asset_s_latest_facts(tmp_path):
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        january = dg.materialize([monthly], instance=instance, partition_key="2024-01").run_id
        february_old = dg.materialize([monthly], instance=instance, partition_key="2024-02").run_id
        february = dg.materialize([monthly], instance=instance, partition_key="2024-02").run_id
        first = dg.materialize([daily], instance=instance).run_id
        latest = dg.materialize([daily], instance=instance).run_id
        logs = Path(instance.compute_log_manager._base_dir)
        assert (logs / first).is_dir()

        # Nothing is old yet.
        nothing = prune(instance, dt.datetime.now(dt.UTC), run_days=180, compute_log_days=30)
        assert (nothing.runs_deleted, nothing.compute_logs_deleted) == (0, 0)

        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=200)
        pruned = prune(instance, later, run_days=180, compute_log_days=30)
        remaining = {r.run_id for r in instance.get_runs()}
        assert remaining == {january, february, latest}
        assert pruned.runs_deleted == 2 and pruned.runs_kept_for_assets == 3
        assert not any((logs / run_id).exists() for run_id in (first, february_old, latest))
        # The default SQLite event log's per-run files of deleted runs are gone too.
        shards = {p.stem for p in (tmp_path / "history" / "runs").glob("*.db")} - {"index"}
        assert shards == remaining
        # The asset graph keeps its facts: every partition and the asset still materialized.
        assert instance.get_latest_materialization_event(daily.key).run_id == latest
        assert instance.get_materialized_partitions(monthly.key) == {"2024-01", "2024-02"}
        # 0 keeps forever.
        assert prune(instance, later, run_days=0, compute_log_days=0).runs_deleted == 0
        assert os.path.isdir(tmp_path)


def _exec(unit: str, key: str = "ExecStart") -> list[str]:
    [line] = [
        line
        for line in (DEPLOY / "systemd" / unit).read_text().splitlines()
        if line.startswith(f"{key}=")
    ]
    return line.removeprefix(f"{key}=").split()


def _exec_start(unit: str) -> list[str]:
    return _exec(unit)


def _environment(unit: str) -> dict[str, str]:
    text = (DEPLOY / "systemd" / unit).read_text()
    return dict(re.findall(r"^Environment=(\w+)=(.*)$", text, flags=re.MULTILINE))


def _shape(command: list[str], root: str) -> list[str]:
    """What must be the same wherever a command runs: its executable's name, paths relative to
    the checkout, `-h` and `-p` values as HOST and PORT."""
    shaped = []
    for i, arg in enumerate(command):
        if i == 0:
            shaped.append(Path(arg).name)
        elif command[i - 1] in ("-h", "-p"):
            shaped.append({"-h": "HOST", "-p": "PORT"}[command[i - 1]])
        elif arg.startswith("/"):
            shaped.append(os.path.relpath(arg, root))
        else:
            shaped.append(arg)
    return shaped


UNITS = {name: f"motcua-dagster-{name}.service" for name in ("code-server", "webserver", "daemon")}


def test_systemd_units_and_compose_run_the_same_three_processes_as_make_serve(monkeypatch, capsys):
    """`make serve`'s commands (pipeline/service.py) are the source: the units and compose run
    them, with their own paths, hosts and ports."""
    served = {
        name: _shape(command, str(serve.REPO_ROOT))
        for name, command in serve.dagster_commands("127.0.0.1", 3000, 4000).items()
    }
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == set(served) == set(UNITS)
    for name, command in served.items():
        assert _shape(services[name]["command"], "/app") == command, name
        assert _shape(_exec_start(UNITS[name]), "/opt/motcua-warehouse") == command, name
    # The code server loads workspace.yaml's module (what `make ui` loads) under its name.
    location = serve.code_location()
    assert served["code-server"][:7] == [
        "dagster",
        "code-server",
        "start",
        "-m",
        location["module_name"],
        "-d",
        ".",
    ]
    assert served["code-server"][7:9] == ["--location-name", location["location_name"]]
    # The webserver and the daemon find it where it listens.
    assert served["webserver"][1:3] == served["daemon"][2:4] == ["-w", "deploy/workspace.yaml"]
    code_server = services["code-server"]["command"]
    for name in services:
        environment = services[name]["environment"]
        assert environment["DAGSTER_CODE_SERVER_HOST"] == "code-server"
        assert environment["DAGSTER_CODE_SERVER_PORT"] == code_server[code_server.index("-p") + 1]
    addresses = {
        tuple(
            _environment(unit)[key]
            for key in ("DAGSTER_CODE_SERVER_HOST", "DAGSTER_CODE_SERVER_PORT")
        )
        for unit in UNITS.values()
    }
    assert len(addresses) == 1
    # One image, one instance: the services mount the same DAGSTER_HOME, data and warehouse.
    assert len({services[name]["image"] for name in services}) == 1
    assert all(services[name]["volumes"] == services["daemon"]["volumes"] for name in services)
    assert {v.split(":")[0] for v in services["daemon"]["volumes"]} == set(compose["volumes"])
    # The options used exist in the installed Dagster's commands: the function each command's
    # installed entry point runs, asked for its usage in this process (as the command would be,
    # without a second interpreter importing Dagster again).
    bin_dir = Path(sys.executable).parent
    for command, args, options in (
        ("dagster", ["code-server", "start"], ["-m", "-d", "--location-name", "-h", "-p"]),
        ("dagster-webserver", [], ["-w", "-h", "-p"]),
        ("dagster-daemon", ["run"], ["-w"]),
    ):
        assert (bin_dir / command).is_file(), command
        [entry_point] = entry_points(group="console_scripts", name=command)
        monkeypatch.setattr(sys, "argv", [command, *args, "--help"])
        with pytest.raises(SystemExit) as exited:
            entry_point.load()()
        usage = capsys.readouterr().out
        assert exited.value.code in (0, None), (command, usage)
        for option in options:
            assert re.search(rf"(?<![\w-]){re.escape(option)}[ ,]", usage), (command, option)
    # The image is built from the lock, without the dev tools, and parses the dbt manifest.
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert (
        "uv sync --frozen --no-dev" in dockerfile and "COPY pyproject.toml uv.lock ./" in dockerfile
    )
    assert "dbt parse" in dockerfile


def test_workspace_of_a_deployment_is_the_shared_code_server(monkeypatch):
    """deploy/workspace.yaml, read by Dagster's schema with the address from the environment:
    one gRPC server, under workspace.yaml's location name (schedules, sensors and run history
    are keyed by it)."""
    monkeypatch.setenv("DAGSTER_CODE_SERVER_HOST", "code-server")
    monkeypatch.setenv("DAGSTER_CODE_SERVER_PORT", "4000")
    config = ensure_workspace_config(
        yaml.safe_load((DEPLOY / "workspace.yaml").read_text()), str(DEPLOY / "workspace.yaml")
    )
    assert config["load_from"] == [
        {
            "grpc_server": {
                "host": "code-server",
                "port": 4000,
                "location_name": serve.code_location()["location_name"],
            }
        }
    ]


def test_wait_code_server_returns_once_the_port_answers(monkeypatch, capsys):
    """The code server unit is started (the webserver's and the daemon's turn) once it answers."""
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        monkeypatch.setenv("DAGSTER_CODE_SERVER_PORT", str(listening.getsockname()[1]))
        assert serve.main(["wait-code-server"]) == 0
    monkeypatch.setattr(serve, "CODE_SERVER_STARTUP_TIMEOUT", 1.0)
    assert serve.main(["wait-code-server"]) == 1
    assert "no code server" in capsys.readouterr().err


def test_the_supervisors_prepare_the_instance_before_the_processes_start(tmp_path):
    """Two separately supervised processes would each create the SQLite storage at the same
    moment on a new instance: the units and the image run `pipeline.service prepare` first,
    one after the other, the code server first, then the webserver, then the daemon."""
    units = ("motcua-dagster-webserver.service", "motcua-dagster-daemon.service")
    for unit in units:
        assert _exec(unit, "ExecStartPre")[1:] == ["-m", "pipeline.service", "prepare"], unit
    code_server_unit = UNITS["code-server"]
    assert _exec(code_server_unit, "ExecStartPost")[1:] == [
        "-m",
        "pipeline.service",
        "wait-code-server",
    ]
    webserver_unit = (DEPLOY / "systemd" / units[0]).read_text()
    assert f"After=network-online.target {code_server_unit}" in webserver_unit
    daemon_unit = (DEPLOY / "systemd" / units[1]).read_text()
    assert f"After=network-online.target {code_server_unit} {units[0]}" in daemon_unit
    entrypoint = (DEPLOY / "entrypoint.sh").read_text().splitlines()
    assert entrypoint.index("python -m pipeline.service prepare") < entrypoint.index('exec "$@"')
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert compose["services"]["webserver"]["depends_on"] == {
        "code-server": {"condition": "service_healthy"}
    }
    assert compose["services"]["daemon"]["depends_on"] == {
        "webserver": {"condition": "service_healthy"}
    }
    assert "healthcheck" in compose["services"]["code-server"]
    assert "healthcheck" in compose["services"]["webserver"]
    # The command works on the deployment's instance and keeps its settings.
    home = _home(tmp_path, "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(home), "PYTHONPATH": str(DEPLOY.parent)}
    subprocess.run(
        [sys.executable, "-m", "pipeline.service", "prepare"], env=env, check=True, timeout=120
    )
    assert (home / "dagster.yaml").read_text() == (DEPLOY / "dagster.yaml").read_text()
    assert (home / "history" / "runs.db").is_file()


def test_compose_paths_are_on_the_volumes():
    """The env file (.env.example) names checkout paths; the containers must write to volumes."""
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    for service in compose["services"].values():
        mounts = [v.split(":")[1] for v in service["volumes"]]
        for name in ("DAGSTER_HOME", "DATA_DIR", "WAREHOUSE_PATH", "REPORTS_DIR"):
            path = service["environment"][name]
            assert any(path == m or path.startswith(m + "/") for m in mounts), (name, path)


def test_service_command_refuses_unknown_arguments_instead_of_starting():
    """`--help` or a typo prints the usage; only no argument starts the service."""
    run = [sys.executable, "-m", "pipeline.service"]
    env = {**os.environ, "PYTHONPATH": str(DEPLOY.parent)}
    usage = subprocess.run([*run, "--help"], env=env, capture_output=True, text=True, timeout=60)
    assert usage.returncode == 0 and "prepare" in usage.stdout
    typo = subprocess.run([*run, "prepar"], env=env, capture_output=True, text=True, timeout=60)
    assert typo.returncode == 2 and "usage:" in typo.stderr
