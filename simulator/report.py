"""World statistics as a readable text report (`python -m simulator report`)."""

from __future__ import annotations

from collections import Counter, defaultdict

from simulator.clock import iso, local_date
from simulator.life import DONE, RETURNED, TERMINAL
from simulator.records import Details, fee_lines
from simulator.world import World

CHANNELS = {1: "counter", 2: "online", 3: "postal"}


def collect(world: World, at: int) -> dict:
    """One pass over every dossier visible at `at`."""
    by_unit_year: Counter = Counter()
    years: set[int] = set()
    per_year: dict[int, Counter] = defaultdict(Counter)
    per_unit: dict[str, Counter] = defaultdict(Counter)
    actions: Counter = Counter()
    payments: Counter = Counter()
    for key in world.keys_between(world.history_start, local_date(at)):
        life = world.life(key)
        if not life.visible(at):
            continue
        year = local_date(life.submitted).year
        years.add(year)
        unit = life.unit.code
        by_unit_year[unit, year] += 1
        y, u = per_year[year], per_unit[unit]
        y["dossiers"] += 1
        u["dossiers"] += 1
        y[CHANNELS[life.channel]] += 1
        events = life.events_at(at)
        kinds = Counter(e.action for e in events)
        actions.update(kinds)
        y["supplement2"] += kinds["REQUEST_SUPPLEMENT"] >= 2
        status = life.status_at(at)
        if status not in TERMINAL:
            y["open"] += 1
        due = life.appointment or life.statutory_due
        completed = next((e.t for e in events if e.action == "COMPLETE"), None)
        if completed is not None and status in (DONE, RETURNED):
            y["finished"] += 1
            u["finished"] += 1
            on_time = completed <= due
            y["on_time"] += on_time
            u["on_time"] += on_time
        details = Details(world, life)
        digitized = any(f["digitized"] for f in details.components)
        y["digitized"] += digitized
        u["digitized"] += digitized
        y["synced"] += life.synced_at(at) is not None
        y["rated"] += life.rating is not None and life.rating[0] <= at
        for line in fee_lines(life, at):
            payments[line["method"] if line["status"] == "PAID" else line["status"]] += 1
    return {
        "years": sorted(years),
        "by_unit_year": by_unit_year,
        "per_year": per_year,
        "per_unit": per_unit,
        "actions": actions,
        "payments": payments,
    }


def _pct(n: int, d: int) -> str:
    return f"{100 * n / d:5.1f} %" if d else "    -  "


def render(world: World, at: int) -> str:
    data = collect(world, at)
    years, per_year, per_unit = data["years"], data["per_year"], data["per_unit"]
    out = [
        f"Simulated world: seed {world.seed}, scale {world.scale}, history from "
        f"{world.history_start}, as of {iso(at)}",
        "",
    ]
    out.append("Dossiers by receiving unit and year of submission")
    header = f"{'unit':<15} {'name':<44}" + "".join(f"{y:>8}" for y in years) + f"{'total':>9}"
    out += [header, "-" * len(header)]
    totals: Counter = Counter()
    for unit in world.units:
        row = [data["by_unit_year"][unit.code, y] for y in years]
        if not any(row):
            continue
        totals.update(dict(zip(years, row, strict=True)))
        out.append(
            f"{unit.code:<15} {unit.name[:44]:<44}"
            + "".join(f"{n:>8}" for n in row)
            + f"{sum(row):>9}"
        )
    out.append(
        f"{'all units':<60}"
        + "".join(f"{totals[y]:>8}" for y in years)
        + f"{sum(totals.values()):>9}"
    )
    out += ["", "Shares by year of submission"]
    header = f"{'':<34}" + "".join(f"{y:>10}" for y in years)
    out += [header, "-" * len(header)]
    rows = [
        ("online (channel 2)", lambda c: _pct(c["online"], c["dossiers"])),
        ("counter (channel 1)", lambda c: _pct(c["counter"], c["dossiers"])),
        ("postal (channel 3)", lambda c: _pct(c["postal"], c["dossiers"])),
        ("finished on time (vs appointment)", lambda c: _pct(c["on_time"], c["finished"])),
        ("digitised components", lambda c: _pct(c["digitized"], c["dossiers"])),
        ("synced to the national portal", lambda c: _pct(c["synced"], c["dossiers"])),
        ("rated", lambda c: _pct(c["rated"], c["dossiers"])),
        ("open at as-of", lambda c: f"{c['open']:>7}"),
        ("with 2+ supplement requests", lambda c: f"{c['supplement2']:>7}"),
    ]
    for label, fmt in rows:
        out.append(f"{label:<34}" + "".join(f"{fmt(per_year[y]):>10}" for y in years))
    out += ["", "On time and digitised by unit (whole history)"]
    out.append(f"{'unit':<15} {'name':<44}{'dossiers':>9}{'on time':>10}{'digitised':>11}")
    for unit in world.units:
        c = per_unit.get(unit.code)
        if c:
            out.append(
                f"{unit.code:<15} {unit.name[:44]:<44}{c['dossiers']:>9}"
                f"{_pct(c['on_time'], c['finished']):>10}"
                f"{_pct(c['digitized'], c['dossiers']):>11}"
            )
    out += ["", "History steps"]
    for action, n in sorted(data["actions"].items(), key=lambda kv: -kv[1]):
        out.append(f"  {action:<22}{n:>9}")
    out += ["", "Fee lines by payment method or status"]
    payments = data["payments"]
    total = sum(payments.values())
    for name, n in sorted(payments.items(), key=lambda kv: -kv[1]):
        out.append(f"  {name:<22}{n:>9}  {_pct(n, total)}")
    return "\n".join(out) + "\n"
