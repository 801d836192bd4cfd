"""Prints the figures of the last reliability run as the table of RELIABILITY.md.

    RELIABILITY_FIGURES=reliability.json .venv/bin/python -m pytest tests/reliability
    .venv/bin/python -m tests.reliability.figures reliability.json

Without a path: `reliability_figures.json` of pytest's current base temporary folder.
"""

from __future__ import annotations

import getpass
import json
import sys
import tempfile
from pathlib import Path


def default_path() -> Path:
    base = Path(tempfile.gettempdir()) / f"pytest-of-{getpass.getuser()}" / "pytest-current"
    return base / "reliability_figures.json"


def table(figures: dict) -> str:
    phases = ", ".join(f"{k} {v}" for k, v in figures["kills_by_phase"].items())
    lines = [
        f"Measured on {figures['date']} (world scale {figures['scale']}).",
        "",
        "| figure | value |",
        "| --- | --- |",
    ]
    for fault, count in figures["faults_injected"].items():
        lines.append(f"| faults injected: `{fault}` | {count} |")
    lines += [
        f"| pipeline runs | {figures['runs']} |",
        f"| runs survived (completed correctly, or failed cleanly / killed with the published "
        f"warehouse intact) | {figures['runs_survived']} |",
        f"| … of which completed | {figures['runs_completed']} |",
        f"| … of which failed cleanly (clear message, warehouse untouched) | "
        f"{figures['runs_failed_cleanly']} |",
        f"| … of which SIGKILLed (published warehouse checked after each kill) | "
        f"{sum(r['outcome'] == 'killed' for r in figures['run_details'])} |",
        f"| SIGKILLs by phase | {phases} |",
        f"| records lost | {figures['records_lost']} |",
        f"| duplicates | {figures['duplicates']} |",
        f"| leaks (personal values, secrets, bad text) | {figures['leaks']} |",
    ]
    for check, count in figures["checks"].items():
        lines.append(f"| {check.replace('_', ' ')} | {count} |")
    return "\n".join(lines)


if __name__ == "__main__":
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else default_path()
    print(table(json.loads(path.read_text())))
