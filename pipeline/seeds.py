"""The dbt seeds as Python reads them: rules that are data are written once, in
`dbt_project/seeds/`, and the code that needs them (the evaluation landing, the simulator)
reads them here instead of repeating them."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

SEEDS_DIR = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"


@cache
def seed_rows(name: str) -> tuple[dict[str, str], ...]:
    """The rows of `dbt_project/seeds/<name>.csv` as text, in file order."""
    with (SEEDS_DIR / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return tuple(csv.DictReader(fh))


def portal_groups() -> tuple[str, ...]:
    """The national evaluation API's groups, in the seed's order (`dvcqg_portal_groups`)."""
    return tuple(row["portal_group"] for row in seed_rows("dvcqg_portal_groups"))


def portal_group_max_points() -> dict[str, int]:
    """Each API group's maximum points: its Decision 766 group's (`indicator_groups`)."""
    maxima = {row["group_code"]: int(row["max_points"]) for row in seed_rows("indicator_groups")}
    return {
        row["portal_group"]: maxima[row["group_code"]] for row in seed_rows("dvcqg_portal_groups")
    }
