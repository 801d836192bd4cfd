"""The dbt CLI resource, without two costs dagster-dbt pays on every dbt command we never use.

Before each `dbt.cli(...)` dagster-dbt (0.29) starts `dbt --version` in a process of its own to
learn whether the executable is dbt Core or Fusion, then builds a dbt adapter in the Dagster
process (imports dbt's adapter stack, loads the profile and project); the adapter only serves
`fetch_column_metadata` / `fetch_row_counts`, which this project does not call. Both were about
4 s of every build's fixed part (benchmarks/runs/2026-12-07-issue20-fixed-part.md). Here the
version is read from the installed dbt-core when the executable is this environment's own, and
no adapter is built (`adapter=None` is dagster-dbt's path for Fusion).
"""

from __future__ import annotations

import importlib.metadata
import sys
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

from dagster_dbt import DbtCliResource
from packaging import version


class WarehouseDbtCli(DbtCliResource):
    @cached_property
    def _cli_version(self) -> version.Version:
        own = Path(sys.executable).with_name("dbt")
        if Path(self.dbt_executable).resolve() == own.resolve():
            return version.parse(importlib.metadata.version("dbt-core"))
        return super()._cli_version  # another dbt: ask it

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None
