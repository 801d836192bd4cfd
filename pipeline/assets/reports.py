"""The reports leadership reads (issue 8), written after every publication of the warehouse.

They read only the published marts; the builder lives in `pipeline.reports`.
"""

import dagster as dg

from pipeline.config import load_settings
from pipeline.reports import NoDataForPeriod, Period, build_report, reports_dir, write_report
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
