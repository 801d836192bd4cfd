"""The reports leadership reads (issue 8) and each unit's daily worklist (issue 19), written
after every publication of the warehouse.

They read only the published marts; the builder lives in `pipeline.reports`.
"""

import dagster as dg

from pipeline.config import load_settings
from pipeline.reports import NoDataForPeriod, Period, build_report, reports_dir, write_report
from pipeline.reports.daily import write_daily_worklists
from pipeline.runtime import run_as_of


@dg.asset(
    key=["reports", "monthly_area_report"],
    deps=[dg.AssetKey(["publish", "warehouse"])],
    group_name="reports",
    kinds={"html", "excel"},
    owners=["team:analytics"],
    description="Vietnamese area report (Excel workbook and single-file HTML) of the month of "
    "AS_OF, to date, and of the previous month, final from the first run after it ends: "
    "REPORTS_DIR/<yyyy-mm>/bao-cao-<yyyy-mm>.html and .xlsx, each swapped in atomically.",
)
def monthly_area_report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = load_settings()
    as_of = run_as_of(context, settings)
    out = reports_dir()
    current = Period.month_of(as_of.date())
    metadata: dict[str, dg.MetadataValue] = {}
    for name, period in (("previous", current.previous()), ("current", current)):
        try:
            report = build_report(settings.warehouse_path, period)
        except NoDataForPeriod as exc:
            if period == current:
                raise
            context.log.info(f"no report for {period.key}: {exc}")
            continue
        files = write_report(report, out)
        context.log.info(f"wrote {files.html} and {files.xlsx}")
        metadata[f"{name}_html"] = dg.MetadataValue.path(str(files.html))
        metadata[f"{name}_xlsx"] = dg.MetadataValue.path(str(files.xlsx))
        if period == current:
            metadata["period"] = dg.MetadataValue.text(period.key)
            metadata["pages"] = dg.MetadataValue.int(len(report.pages))
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(
    key=["reports", "daily_worklists"],
    deps=[dg.AssetKey(["publish", "warehouse"])],
    group_name="reports",
    kinds={"excel"},
    owners=["team:analytics"],
    description="Every morning, one Vietnamese Excel worklist per responsible unit: its "
    "dossiers to watch (late, due soon, paused too long, not synced, result not at the "
    "counter), then the findings it can still fix, each with what to do and by when: "
    "REPORTS_DIR/daily/<yyyy-mm-dd>/viec-can-lam-<unit>.xlsx, each swapped in atomically.",
)
def daily_worklists(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = load_settings()
    worklists = write_daily_worklists(settings.warehouse_path, reports_dir())
    with_work = [w for w in worklists.units if w.watchlist or w.findings]
    context.log.info(
        f"wrote {len(worklists.units)} worklists in {worklists.folder} "
        f"({len(with_work)} units with something to do)"
    )
    return dg.MaterializeResult(
        metadata={
            "day": dg.MetadataValue.text(worklists.day.isoformat()),
            "folder": dg.MetadataValue.path(str(worklists.folder)),
            "workbooks": dg.MetadataValue.int(len(worklists.units)),
            "units_with_work": dg.MetadataValue.int(len(with_work)),
            "watchlist_rows": dg.MetadataValue.int(sum(w.watchlist for w in worklists.units)),
            "actionable_findings": dg.MetadataValue.int(sum(w.findings for w in worklists.units)),
        }
    )
