"""Raw-zone assets: the working-day calendar, the one-stop system (sources.md A) and the national
portal (sources.md B), landed as append-only Hive-partitioned Parquet under `DATA_DIR/raw`.

Dossiers: one dataset, two writers. `raw/motcua_dossiers` is the daily incremental crawl (by
`updatedDate` from the watermark) and the asset the dbt source `motcua_dossiers` is keyed to.
`raw/motcua_dossiers_backfill` is monthly-partitioned by reception month (`accepted-from/to`)
for the initial load and repairs; it appends to the same dataset and is declared upstream of
`raw/motcua_dossiers`, so a backfilled month marks the dataset, and through it the warehouse,
as needing a refresh. It is kept out of the daily job (its runs are per month); staging keeps
the latest version of every dossier, so any mix of daily runs and backfills lands each once.
"""

import datetime as dt

import dagster as dg
import pyarrow as pa

from pipeline.config import (
    DEFAULT_HISTORY_START,
    load_dvcqg_settings,
    load_motcua_settings,
    load_settings,
)
from pipeline.landing.audit import LandingResult
from pipeline.landing.dvcqg import DvcqgLanding
from pipeline.landing.motcua import MotcuaLanding
from pipeline.landing.schemas import WORKING_CALENDAR_SCHEMA
from pipeline.landing.writer import write_atomic
from pipeline.progress import observed
from pipeline.recovery import (
    SOURCE_RETRY_POLICY,
    connector_options,
    retry_only_unavailable_sources,
)
from pipeline.runtime import run_as_of
from pipeline.sources.dvcqg import DvcqgClient
from pipeline.sources.motcua import MotcuaClient
from pipeline.workcal import TIMEZONE, calendar_days

# Extraction steps retry a portal that stayed unavailable, with backoff (pipeline/recovery.py).
RAW = {"group_name": "raw", "owners": ["team:data-platform"], "retry_policy": SOURCE_RETRY_POLICY}
# Static (partition sets are part of the definitions): from the default HISTORY_START.
BACKFILL_START = DEFAULT_HISTORY_START.isoformat()
reception_months = dg.MonthlyPartitionsDefinition(
    start_date=BACKFILL_START, timezone=TIMEZONE, end_offset=1
)


def landing_metadata(result: LandingResult, retries: dict[str, int] | None = None) -> dict:
    """Counts of one landing for the run's metadata (never a payload, never a secret)."""
    metadata = {
        "records_read": result.records_read,
        "records_landed": result.records_landed,
        "records_rejected": result.records_rejected,
        "reject_rate": dg.MetadataValue.float(result.reject_rate),
        "rejects_by_reason": dg.MetadataValue.json(result.reject_reasons),
        "pages": result.pages,
        "requests": result.requests,
        "retries": dg.MetadataValue.json(dict(retries or {})),
        "watermark_from": str(result.watermark_from) if result.watermark_from else None,
        "watermark_to": str(result.watermark_to) if result.watermark_to else None,
    }
    if result.note:
        metadata["note"] = result.note
    # Drift (issue 16): field paths and counts only, never a value.
    metadata["drift_records"] = sum(result.drift.values())
    metadata["drift_by_field"] = dg.MetadataValue.json(result.drift.by_field())
    return metadata


DRIFT_CHECK = "source_drift"


def drift_check(*key: str) -> list[dg.AssetCheckSpec]:
    """The check that warns (never fails the run) when a landing saw the portal send
    something the spec does not announce (audit.source_drift holds the detail)."""
    return [
        dg.AssetCheckSpec(
            DRIFT_CHECK,
            asset=dg.AssetKey(list(key)),
            description="Warns when the portal sent unknown keys, unread fields of another "
            "shape or read fields outside their domain (counts per field: audit.source_drift).",
        )
    ]


def drift_result(result: LandingResult) -> dg.AssetCheckResult:
    by_field = result.drift.by_field()
    return dg.AssetCheckResult(
        check_name=DRIFT_CHECK,
        passed=not by_field,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "fields": len(by_field),
            "drift_records": sum(result.drift.values()),
            "drift_by_field": dg.MetadataValue.json(by_field),
        },
    )


def _landed(
    context: dg.AssetExecutionContext, result: LandingResult, client
) -> dg.MaterializeResult:
    return dg.MaterializeResult(
        metadata=_report(context, result, client), check_results=[drift_result(result)]
    )


def _report(context: dg.AssetExecutionContext, result: LandingResult, client) -> dict:
    context.log.info(
        f"{result.asset}: landed {result.records_landed} of {result.records_read} records read "
        f"({result.records_rejected} rejected) in {result.pages} pages / {result.requests} "
        f"requests" + (f"; {result.note}" if result.note else "")
    )
    if result.drift:
        fields = sorted({field for field, _ in result.drift})
        context.log.warning(
            f"{result.asset}: the source differs from the spec in {len(fields)} fields "
            f"({', '.join(fields[:10])}{' …' if len(fields) > 10 else ''}); see audit.source_drift"
        )
    return landing_metadata(result, client.retry.waits)


def _motcua(context: dg.AssetExecutionContext) -> tuple[MotcuaLanding, MotcuaClient]:
    client = MotcuaClient(load_motcua_settings(), **connector_options())
    return MotcuaLanding(load_settings(), client, context.run.run_id), client


def _dvcqg(context: dg.AssetExecutionContext) -> tuple[DvcqgLanding, DvcqgClient]:
    client = DvcqgClient(load_dvcqg_settings(), **connector_options())
    return DvcqgLanding(load_settings(), client, context.run.run_id), client


@dg.asset(
    key=["raw", "working_calendar"],
    kinds={"python", "parquet"},
    description="Working-day calendar (domain.md §4) from holidays.VN, covering the history "
    "and two years past AS_OF so every due date falls inside it.",
    **RAW,
)
@retry_only_unavailable_sources
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
    check_specs=drift_check("raw", "motcua_agencies"),
    kinds={"python", "parquet"},
    description="Snapshot of the one-stop agency tree (sources.md A.2), walked from "
    "MOTCUA_ROOT_AGENCY_ID.",
    **RAW,
)
@retry_only_unavailable_sources
def motcua_agencies(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    landing, client = _motcua(context)
    with client, observed(context):
        result = landing.land_agencies()
    return _landed(context, result, client)


@dg.asset(
    key=["raw", "motcua_procedures"],
    check_specs=drift_check("raw", "motcua_procedures"),
    kinds={"python", "parquet"},
    description="Snapshot of the procedure catalogue (sources.md A.3).",
    **RAW,
)
@retry_only_unavailable_sources
def motcua_procedures(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    landing, client = _motcua(context)
    with client, observed(context):
        result = landing.land_procedures()
    return _landed(context, result, client)


@dg.asset(
    key=["raw", "motcua_dossiers_backfill"],
    check_specs=drift_check("raw", "motcua_dossiers_backfill"),
    kinds={"python", "parquet"},
    partitions_def=reception_months,
    backfill_policy=dg.BackfillPolicy.single_run(),
    description="Dossiers accepted in the partition's month(s) (sources.md A.4, accepted-from/"
    "to), appended to the dossier dataset of raw/motcua_dossiers: initial load and repairs.",
    **RAW,
)
@retry_only_unavailable_sources
def motcua_dossiers_backfill(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    window = context.partition_time_window
    first, last = window.start.date(), window.end.date() - dt.timedelta(days=1)
    landing, client = _motcua(context)
    with client, observed(context):
        result = landing.land_dossiers_accepted(first, last)
    return _landed(context, result, client)


@dg.asset(
    key=["raw", "motcua_dossiers"],
    check_specs=drift_check("raw", "motcua_dossiers"),
    kinds={"python", "parquet"},
    deps=[motcua_dossiers_backfill],
    description="Dossiers changed since the last watermark (sources.md A.4; first run: since "
    "HISTORY_START), validated, personal data hashed, landed by reception month. Also holds "
    "what raw/motcua_dossiers_backfill appended.",
    **RAW,
)
@retry_only_unavailable_sources
def motcua_dossiers(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    landing, client = _motcua(context)
    with client, observed(context):
        result = landing.land_dossiers_incremental(run_as_of(context, landing.settings))
    return _landed(context, result, client)


@dg.asset(
    key=["raw", "dvcqg_dossier_copies"],
    check_specs=drift_check("raw", "dvcqg_dossier_copies"),
    kinds={"python", "parquet"},
    description="National synced copies of the dossiers (sources.md B.1 LayDanhSachHoSoDongBo, "
    "DongBoHoSoMC) changed since the watermark on NgayDongBo; applicant hashed, free text "
    "reduced to its length.",
    **RAW,
)
@retry_only_unavailable_sources
def dvcqg_dossier_copies(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    landing, client = _dvcqg(context)
    with client, observed(context):
        result = landing.land_dossier_copies(run_as_of(context, landing.settings))
    return _landed(context, result, client)


@dg.asset(
    key=["raw", "dvcqg_petitions"],
    check_specs=drift_check("raw", "dvcqg_petitions"),
    kinds={"python", "parquet"},
    description="Feedback and petitions, PAKN (sources.md B.1 LayDanhSachPAKN), changed since "
    "the watermark on NgayCapNhat.",
    **RAW,
)
@retry_only_unavailable_sources
def dvcqg_petitions(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    landing, client = _dvcqg(context)
    with client, observed(context):
        result = landing.land_petitions(run_as_of(context, landing.settings))
    return _landed(context, result, client)


@dg.asset(
    key=["raw", "dvcqg_evaluation"],
    check_specs=drift_check("raw", "dvcqg_evaluation"),
    kinds={"python", "parquet"},
    description="Official scores of the national evaluation API (sources.md B.2), six groups, "
    "every month / quarter / year due; requires DVCQG_ROOT_DEPARTMENT_ID.",
    **RAW,
)
@retry_only_unavailable_sources
def dvcqg_evaluation(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    landing, client = _dvcqg(context)
    with client, observed(context):
        result = landing.land_evaluation(run_as_of(context, landing.settings))
    return _landed(context, result, client)


@dg.asset(
    key=["raw", "dvcqg_formalities"],
    check_specs=drift_check("raw", "dvcqg_formalities"),
    kinds={"python", "parquet"},
    description="Snapshot of the national procedure list (sources.md B.2 /reporting/"
    "formalities); requires DVCQG_ROOT_DEPARTMENT_ID.",
    **RAW,
)
@retry_only_unavailable_sources
def dvcqg_formalities(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    landing, client = _dvcqg(context)
    with client, observed(context):
        result = landing.land_formalities()
    return _landed(context, result, client)
