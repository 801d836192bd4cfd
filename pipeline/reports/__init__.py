"""Reports the town's leadership and each unit head read: a Vietnamese Excel workbook and a
single-file HTML report per area and period, built only from the published marts.

`build_report` reads the marts into a report model (`model.py`); `write_report` renders it to
both formats under `REPORTS_DIR/<period>/`. `python -m pipeline.reports --help` runs it on
demand; the Dagster asset `reports/monthly_area_report` writes the current and the previous
month after every refresh. `daily.py` writes each responsible unit's morning worklist workbook
(asset `reports/daily_worklists`).
"""

from pipeline.periods import Period
from pipeline.reports.build import NoDataForPeriod, build_report
from pipeline.reports.output import ReportFiles, report_files, reports_dir, write_report

__all__ = [
    "NoDataForPeriod",
    "Period",
    "ReportFiles",
    "build_report",
    "report_files",
    "reports_dir",
    "write_report",
]
