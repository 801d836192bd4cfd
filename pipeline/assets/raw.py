"""Raw-zone assets: the working-day calendar and the one-stop system's records (sources.md A)."""

import datetime as dt

import dagster as dg
import pyarrow as pa

from pipeline.config import load_motcua_settings, load_settings
from pipeline.landing.motcua import LandingResult, MotcuaLanding
from pipeline.landing.schemas import WORKING_CALENDAR_SCHEMA
from pipeline.landing.writer import write_atomic
from pipeline.runtime import run_as_of
from pipeline.sources.motcua import MotcuaClient
from pipeline.workcal import calendar_days

MAX_REJECT_RATE = 0.05

RAW = {"group_name": "raw", "owners": ["team:data-platform"]}


def _metadata(result: LandingResult) -> dict:
    return {
        "records_read": result.records_read,
        "records_landed": result.records_landed,
        "records_rejected": result.records_rejected,
        "reject_rate": dg.MetadataValue.float(result.reject_rate),
        "requests": result.requests,
        "watermark_from": str(result.watermark_from) if result.watermark_from else None,
        "watermark_to": str(result.watermark_to) if result.watermark_to else None,
    }


def _landing(context: dg.AssetExecutionContext) -> tuple[MotcuaLanding, MotcuaClient]:
    settings = load_settings()
    client = MotcuaClient(load_motcua_settings())
    return MotcuaLanding(settings, client, context.run_id, MAX_REJECT_RATE), client


@dg.asset(
    key=["raw", "working_calendar"],
    kinds={"python", "parquet"},
    description="Working-day calendar (domain.md §4) from holidays.VN, covering the history "
    "and two years past AS_OF so every due date falls inside it.",
    **RAW,
)
def working_calendar(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = load_settings()
    as_of = run_as_of(context, settings)
    days = calendar_days(
        dt.date(settings.history_start.year - 1, 1, 1), dt.date(as_of.year + 2, 12, 31)
    )
    table = pa.Table.from_pylist(
        [
            {"date": d.date, "is_working_day": d.is_working_day, "holiday_name": d.holiday_name}
            for d in days
        ],
        schema=WORKING_CALENDAR_SCHEMA,
    )
    folder = settings.raw_dir / "calendar" / "working_days"
    write_atomic(table, folder / "calendar.parquet")
    return dg.MaterializeResult(
        metadata={"days": len(days), "working_days": sum(d.is_working_day for d in days)}
    )


@dg.asset(
    key=["raw", "motcua_agencies"],
    kinds={"python", "parquet"},
    description="Snapshot of the one-stop agency tree (sources.md A.2), walked from "
    "MOTCUA_ROOT_AGENCY_ID.",
    **RAW,
)
def motcua_agencies(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    landing, client = _landing(context)
    with client:
        result = landing.land_agencies()
    return dg.MaterializeResult(metadata=_metadata(result))


@dg.asset(
    key=["raw", "motcua_procedures"],
    kinds={"python", "parquet"},
    description="Snapshot of the procedure catalogue (sources.md A.3).",
    **RAW,
)
def motcua_procedures(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    landing, client = _landing(context)
    with client:
        result = landing.land_procedures()
    return dg.MaterializeResult(metadata=_metadata(result))


@dg.asset(
    key=["raw", "motcua_dossiers"],
    kinds={"python", "parquet"},
    description="Dossiers changed since the last watermark (sources.md A.4; first run: since "
    "HISTORY_START), validated, personal data hashed, landed by reception month.",
    **RAW,
)
def motcua_dossiers(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    landing, client = _landing(context)
    with client:
        result = landing.land_dossiers_incremental()
    context.log.info(
        f"landed {result.records_landed} dossiers from {result.records_read} read "
        f"({result.records_rejected} rejected) in {result.requests} requests"
    )
    return dg.MaterializeResult(metadata=_metadata(result))
