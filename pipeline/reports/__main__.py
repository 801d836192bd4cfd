"""`python -m pipeline.reports --period 2026-10 [--warehouse PATH] [--out DIR] [--area CODE]`:
the area report of any month, quarter (`2026-Q3`) or year (`2026`) from the published
warehouse, printed paths on success."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.periods import Period
from pipeline.reports.build import NoDataForPeriod, build_report
from pipeline.reports.marts import WarehouseMissing
from pipeline.reports.output import published_warehouse, reports_dir, write_report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.reports",
        description="Báo cáo Excel và HTML của một kỳ (tháng, quý, năm) từ kho dữ liệu đã công bố.",
    )
    parser.add_argument(
        "--period", required=True, type=Period.parse, help="2026-10, 2026-Q3 or 2026"
    )
    parser.add_argument(
        "--warehouse", type=Path, help="published DuckDB file (default WAREHOUSE_PATH)"
    )
    parser.add_argument("--out", type=Path, help="output folder (default REPORTS_DIR, reports/)")
    parser.add_argument("--area", help="area code in marts.dim_unit (default: the only area)")
    args = parser.parse_args(argv)
    try:
        report = build_report(args.warehouse or published_warehouse(), args.period, args.area)
    except (NoDataForPeriod, WarehouseMissing, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    files = write_report(report, args.out or reports_dir())
    print(files.html)
    print(files.xlsx)
    return 0


if __name__ == "__main__":
    sys.exit(main())
