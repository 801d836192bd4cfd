"""The dbt resource learns the dbt version without starting dbt, and builds no adapter in the
Dagster process (pipeline/dbt_cli.py); an executable from elsewhere is still asked."""

from __future__ import annotations

import re
import subprocess

from packaging import version

from pipeline.dbt_cli import WarehouseDbtCli
from pipeline.definitions import DBT_EXECUTABLE
from pipeline.project import dbt_project


def test_this_environments_dbt_version_is_the_one_dbt_reports():
    dbt = WarehouseDbtCli(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)
    reported = subprocess.run(
        [DBT_EXECUTABLE, "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert dbt._cli_version == version.parse(re.search(r"(\d+\.\d+\.\d+)", reported).group(1))
    assert dbt._initialize_dbt_core_adapter(["build"]) is None


def test_another_dbt_executable_is_asked_its_version(tmp_path):
    other = tmp_path / "dbt"
    other.write_text("#!/bin/sh\necho 'Core:\n  - installed: 2.0.1'\n")
    other.chmod(0o755)
    dbt = WarehouseDbtCli(project_dir=dbt_project, dbt_executable=str(other))
    assert dbt._cli_version == version.parse("2.0.1")
