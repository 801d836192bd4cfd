"""Vietnamese display of numbers and instants: decimal comma, dot between thousands,
dd/mm/yyyy dates in Vietnam time; points rounded half-up to 2 decimals as the portal shows
them (indices.md §0.3)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from pipeline.workcal import VN_TZ


def round_half_up(value: float | None, places: int = 2) -> float | None:
    """Half-up on the shortest decimal form of the float (0.725 ⇒ 0.73), as the portal does."""
    if value is None:
        return None
    quantum = Decimal(1).scaleb(-places)
    return float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))


def number(value: float | int | None, places: int = 0) -> str:
    """`1234.5` ⇒ `1.234,50` with places=2; None ⇒ empty."""
    if value is None:
        return ""
    rounded = round_half_up(float(value), places)
    text = f"{rounded:,.{places}f}"  # 1,234.50
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def percent(ratio: float | None, places: int = 1) -> str:
    """A ratio in [0, 1] as `95,3%`."""
    return "" if ratio is None else f"{number(ratio * 100, places)}%"


def local(instant: dt.datetime) -> dt.datetime:
    """The instant in Vietnam time (naive instants are taken as Vietnam time already)."""
    return instant.astimezone(VN_TZ) if instant.tzinfo else instant.replace(tzinfo=VN_TZ)


def date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = local(value).date()
    return f"{value:%d/%m/%Y}"


def instant(value: dt.datetime | None) -> str:
    return "" if value is None else f"{local(value):%d/%m/%Y %H:%M}"
