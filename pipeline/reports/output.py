"""Where reports go and how they are written: `REPORTS_DIR/<period>/bao-cao-<period>.html`
and `.xlsx`, each written to a temporary file in the same folder and renamed over the old one,
so a reader never opens a half-written report."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.atomic import atomic_path
from pipeline.config import REPO_ROOT
from pipeline.periods import Period
from pipeline.reports.excel import render_excel
from pipeline.reports.html import render_html
from pipeline.reports.model import Report


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    xlsx: Path


def _setting_path(name: str, default: str) -> Path:
    path = Path(os.environ.get(name) or default)
    return path if path.is_absolute() else (REPO_ROOT / path).resolve()


def reports_dir() -> Path:
    """`REPORTS_DIR` (default `reports/` in the repository), made absolute."""
    return _setting_path("REPORTS_DIR", "reports")


def published_warehouse() -> Path:
    """`WAREHOUSE_PATH` as `pipeline.config` reads it, without the pipeline's secrets."""
    return _setting_path("WAREHOUSE_PATH", "warehouse/warehouse.duckdb")


def report_files(out_dir: Path, period: Period) -> ReportFiles:
    folder = out_dir / period.key
    stem = f"bao-cao-{period.key}"
    return ReportFiles(html=folder / f"{stem}.html", xlsx=folder / f"{stem}.xlsx")


def atomic_write(target: Path, write: Callable[[Path], None]) -> None:
    with atomic_path(target) as tmp:
        write(tmp)


def write_report(report: Report, out_dir: Path) -> ReportFiles:
    files = report_files(out_dir, report.period)
    files.html.parent.mkdir(parents=True, exist_ok=True)
    html = render_html(report)
    atomic_write(files.html, lambda tmp: tmp.write_text(html, encoding="utf-8"))
    atomic_write(files.xlsx, lambda tmp: render_excel(report, tmp))
    return files
