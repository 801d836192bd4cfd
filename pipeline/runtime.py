"""What every asset of one run shares: the settings and the run's evaluation instant.

`AS_OF` fixes the instant; without it, a run evaluates at the instant it was created, so all
its assets (and dbt) agree on one value however long the run takes.
"""

import datetime as dt

import dagster as dg

from pipeline.config import Settings, parse_instant
from pipeline.workcal import TIMEZONE, VN_TZ

AS_OF_TAG = "motcua/as_of"


def run_as_of(context: dg.AssetExecutionContext, settings: Settings) -> dt.datetime:
    tagged = context.run.tags.get(AS_OF_TAG)
    if tagged:
        return parse_instant(tagged).astimezone(VN_TZ)
    if settings.as_of_override is not None:
        return settings.resolve_as_of()
    record = context.instance.get_run_record_by_id(context.run_id)
    created = record.create_timestamp if record else dt.datetime.now(dt.UTC)
    return created.astimezone(VN_TZ).replace(microsecond=0)


def dbt_environment(settings: Settings) -> dict[str, str]:
    """Absolute paths for dbt, which runs with its project folder as working directory."""
    settings.build_path.parent.mkdir(parents=True, exist_ok=True)
    return {
        "RAW_DIR": str(settings.raw_dir),
        "DBT_DUCKDB_PATH": str(settings.build_path),
        "WAREHOUSE_TIMEZONE": TIMEZONE,
    }


__all__ = ["AS_OF_TAG", "dbt_environment", "run_as_of"]
