"""The dbt unit tests (hand-computed cases of the indices, dbt_project/models/**/_*.yml) run
here, in `make test`; the daily build leaves them out (they test the models' logic on fixed
rows, not the day's data)."""

import os
import shutil

from tests.conftest import dbt_test

INCREMENTAL_ENV = ("DBT_AS_OF", "DBT_PREVIOUS_AS_OF", "DBT_NEW_RUNS")


def test_every_dbt_unit_test_passes(pipeline_run, tmp_path):
    # dbt unit tests read the column types of the models' inputs from a built warehouse: a
    # copy of the session run's build file, so the run itself stays untouched.
    build = tmp_path / "warehouse.duckdb"
    shutil.copyfile(pipeline_run.data_dir / "build" / "warehouse.duckdb", build)
    env = {k: v for k, v in os.environ.items() if k not in INCREMENTAL_ENV}
    env.update(RAW_DIR=str(pipeline_run.data_dir / "raw"), DBT_DUCKDB_PATH=str(build))
    results = dbt_test("test_type:unit", env, tmp_path / "target")
    unit_tests = {r["unique_id"]: r["status"] for r in results}
    assert len(unit_tests) >= 42
    assert set(unit_tests.values()) == {"pass"}, unit_tests
