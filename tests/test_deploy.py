"""The deployment recipe (deploy/): the instance configurations load in the installed Dagster
and do what docs/operations.md says; old runs are pruned without losing an asset's facts."""

from __future__ import annotations

import datetime as dt
import os
import shutil
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


def test_systemd_units_and_compose_run_the_same_two_processes(monkeypatch, capsys):
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"webserver", "daemon"}
    # One image, one instance: both services mount the same DAGSTER_HOME, data and warehouse.
    assert services["webserver"]["image"] == services["daemon"]["image"]
    assert services["webserver"]["volumes"] == services["daemon"]["volumes"]
    assert {v.split(":")[0] for v in services["daemon"]["volumes"]} == set(compose["volumes"])
    webserver, daemon = (
        _exec_start("motcua-dagster-webserver.service"),
        _exec_start("motcua-dagster-daemon.service"),
    )
    assert Path(webserver[0]).name == services["webserver"]["command"][0] == "dagster-webserver"
    assert daemon[1:] == services["daemon"]["command"][1:] == ["run", "-w", "workspace.yaml"]
    # The options used exist in the installed Dagster's commands: the function each command's
    # installed entry point runs, asked for its usage in this process (as the command would be,
    # without a second interpreter importing Dagster again).
    bin_dir = Path(sys.executable).parent
    for command, options in (("dagster-webserver", ["-w", "-h", "-p"]), ("dagster-daemon", ["-w"])):
        assert (bin_dir / command).is_file(), command
        [entry_point] = entry_points(group="console_scripts", name=command)
        args = ["run"] if command == "dagster-daemon" else []
        monkeypatch.setattr(sys, "argv", [command, *args, "--help"])
        with pytest.raises(SystemExit) as exited:
            entry_point.load()()
        usage = capsys.readouterr().out
        assert exited.value.code in (0, None), (command, usage)
        for option in options:
            assert f"{option}, --" in usage, (command, option)
    # The image is built from the lock, without the dev tools, and parses the dbt manifest.
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert (
        "uv sync --frozen --no-dev" in dockerfile and "COPY pyproject.toml uv.lock ./" in dockerfile
    )
    assert "dbt parse" in dockerfile


def test_both_supervisors_prepare_the_instance_before_either_process_starts(tmp_path):
    """Two separately supervised processes would each create the SQLite storage at the same
    moment on a new instance: the units and the image run `pipeline.service prepare` first,
    one after the other."""
    units = ("motcua-dagster-webserver.service", "motcua-dagster-daemon.service")
    for unit in units:
        assert _exec(unit, "ExecStartPre")[1:] == ["-m", "pipeline.service", "prepare"], unit
    daemon_unit = (DEPLOY / "systemd" / units[1]).read_text()
    assert "After=network-online.target motcua-dagster-webserver.service" in daemon_unit
    entrypoint = (DEPLOY / "entrypoint.sh").read_text().splitlines()
    assert entrypoint.index("python -m pipeline.service prepare") < entrypoint.index('exec "$@"')
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert compose["services"]["daemon"]["depends_on"] == {
        "webserver": {"condition": "service_healthy"}
    }
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
