"""Validation in proportion to use (issue 16): read fields strictly, the rest leniently.

A field that a rule, a mart or a finding reads is validated strictly by the record models; a
field nobody reads is parsed *leniently* here: when it has the shape the spec announces it is
typed as usual, when it does not (a unit code where a digit was announced, a number where
text was, an object where a date was) it lands empty, its original value is kept (redacted by
the allow-list) in the row's `extra_json`, and the difference is counted as drift, never a
reason to reject. `docs/source_fields.md` lists which fields are read and by which model.

Drift is gathered through pydantic's validation context: a landing validates each record with
`drift_context(counts)` and the lenient validators and the landing add to `counts`:
  - `unknown_key`: a key the spec does not announce (at any depth);
  - `shape_changed`: an unread field whose value has not the announced shape;
  - `outside_domain`: a read field whose value is wrong (the record is rejected).
Field names are paths of announced names (`QuaTrinhXuLy[].TrangThai`); never a value.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import threading
import typing
from collections import Counter
from collections.abc import Callable
from typing import Annotated, Any, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, StrictStr

UNKNOWN_KEY = "unknown_key"
SHAPE_CHANGED = "shape_changed"
OUTSIDE_DOMAIN = "outside_domain"
DRIFT_KINDS = (UNKNOWN_KEY, SHAPE_CHANGED, OUTSIDE_DOMAIN)
# Column types of the raw zone that an unread number lands in.
INT16 = (-(2**15), 2**15 - 1)
INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
# A key name shown in drift counts as it is; any other is counted under this name.
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
ODD_KEY = "<key that is not a name>"


class DriftCounts(Counter):
    """(field, kind) -> records of one landing that showed it."""

    def add(self, field: str, kind: str) -> None:
        self[(field, kind)] += 1

    def by_field(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for (field, kind), count in sorted(self.items()):
            out.setdefault(field, {})[kind] = count
        return out


def drift_context(counts: DriftCounts | None) -> dict:
    """The validation context of one record: where drift is counted and the original values
    of unread fields that did not parse are kept (for `extra_json`)."""
    return {"drift": counts, "kept": {}}


def key_name(key: object) -> str:
    return key if isinstance(key, str) and _IDENTIFIER.match(key) else ODD_KEY


class Drifted:
    """A value read from an unannounced shape (a number taken as text): used, noted as drift."""

    __slots__ = ("value",)

    def __init__(self, value: object):
        self.value = value


# The drift context of the record being validated in this thread (set by `validated`): the
# lenient validators take no `info` argument, which keeps pydantic's per-field cost low.
_current = threading.local()


def _note(field: str, value: object, keep: bool = True) -> None:
    context = getattr(_current, "context", None)
    if not context:
        return
    counts = context.get("drift")
    if counts is not None:
        counts.add(field, SHAPE_CHANGED)
    kept = context.get("kept")
    if keep and kept is not None:
        kept.setdefault(field, value)


def note_shape_changed(field: str) -> None:
    """Count `field` of the record being validated as `shape_changed` (for checks a model runs
    itself, on announced keys it keeps as extras; the value stays where it is)."""
    _note(field, None, keep=False)


def lenient(field: str, parse: Callable[[object], object]) -> BeforeValidator:
    """A before-validator of an unread field: `parse(value)`, or None when it does not parse
    (noted as shape drift, the original kept)."""

    def validate(value: object) -> object:
        try:
            parsed = parse(value)
        except (ValueError, TypeError, OverflowError):
            _note(field, value)
            return None
        if isinstance(parsed, Drifted):
            _note(field, value, keep=False)
            return parsed.value
        return parsed

    return BeforeValidator(validate)


def lenient_list(field: str) -> BeforeValidator:
    """An unread list: not a list -> empty; its non-object entries dropped (both noted)."""

    def validate(value: object) -> object:
        if isinstance(value, list) and all(isinstance(item, dict) for item in value):
            return value
        if value is None or value == "":
            return []
        if not isinstance(value, list):
            _note(field, value)
            return []
        _note(field, [item for item in value if not isinstance(item, dict)])
        return [item for item in value if isinstance(item, dict)]

    return BeforeValidator(validate)


# --- parsers of announced shapes (raise ValueError/TypeError when the shape differs) -------
def as_text(value: object) -> str | None:
    """Text; a number is taken as its digits (an ID number sent as a JSON number)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise TypeError("number where text was announced")
    raise TypeError("not text")


def as_text_or_number(value: object) -> object:
    """Text an identifier is hashed from: a JSON number is read as its digits (noted as
    drift, not kept: the value is hashed where it is used)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return Drifted(str(value))
    return as_text(value)


def bounded_digits(bounds: tuple[int, int]) -> Callable[[object], int | None]:
    def parse(value: object) -> int | None:
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise TypeError("flag where a number was announced")
        if isinstance(value, int):
            number = value
        elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
            number = int(value.strip())
        else:
            raise ValueError("not a number")
        if not bounds[0] <= number <= bounds[1]:
            raise ValueError("out of range")
        return number

    return parse


def as_flag(value: object) -> bool:
    if value in ("1", 1, True):
        return True
    if value in ("0", 0, False, "", None):
        return False
    raise ValueError("not a 0/1 flag")


def as_strict_bool(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    raise TypeError("not a boolean")


def as_iso_instant(value: object) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise TypeError("not text")
    ts = dt.datetime.fromisoformat(value)
    if ts.tzinfo is None:
        raise ValueError("no offset")
    return ts


def Lenient(type_: Any, field: str, parse: Callable[[object], object], fast: Any = None) -> Any:  # noqa: N802
    """An unread field: `fast` (a strict type pydantic checks in its core: the announced
    shape) tried first, then `parse` in Python (another shape: parsed, or empty and noted).
    Without `fast`: `parse` only."""
    if fast is None:
        return Annotated[type_ | None, lenient(field, parse)]
    return Annotated[
        Union[fast, None, Annotated[Any, lenient(field, parse)]],  # noqa: UP007
        Field(union_mode="left_to_right"),
    ]


# Announced shapes checked in pydantic's core (the fast path of `Lenient`).
FastText = StrictStr
FastNonEmptyText = Annotated[StrictStr, Field(min_length=1)]


def count_unknown_keys(model: BaseModel, counts: DriftCounts | None, prefix: str = "") -> None:
    """Count the keys of `model` (and of its nested models) that the spec does not announce;
    a record counts once per field, however many items of a list show it."""
    if counts is None:
        return
    if model.__pydantic_extra__:
        announced = getattr(model, "ANNOUNCED_EXTRA", ())
        for key in model.__pydantic_extra__:
            if key not in announced:
                counts[(prefix + key_name(key), UNKNOWN_KEY)] = 1
    for name, alias, is_list in _nested_fields(type(model)):
        value = getattr(model, name)
        if is_list:
            for item in value or ():
                count_unknown_keys(item, counts, f"{prefix}{alias}[].")
        elif value is not None:
            count_unknown_keys(value, counts, f"{prefix}{alias}.")


@functools.cache
def _nested_fields(cls: type[BaseModel]) -> tuple[tuple[str, str, bool], ...]:
    """(name, alias, is a list) of the fields of `cls` that hold models."""
    nested = []
    for name, info in cls.model_fields.items():
        annotation = info.annotation
        args = typing.get_args(annotation)
        is_list = typing.get_origin(annotation) is list
        inner = args[0] if is_list and args else annotation
        candidates = typing.get_args(inner) or (inner,)
        if any(isinstance(c, type) and issubclass(c, BaseModel) for c in candidates):
            nested.append((name, info.alias or name, is_list))
    return tuple(nested)


class Record(BaseModel):
    """A portal record or a part of one: unknown keys kept in `extra` (drift is visible, not
    lost)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True)

    @property
    def extra(self) -> dict:
        return dict(self.model_extra or {})


class LandedRecord(Record):
    """A record a landing validates (`validated`), not a part of one: only it carries a private
    attribute, which costs every instance of its class an initialisation (the parts of a
    dossier are a dozen instances each)."""

    # Original values of unread fields that did not parse (set by `validated`).
    _kept: dict | None = PrivateAttr(None)


def validated(model: type[BaseModel], payload: object, counts: DriftCounts | None) -> BaseModel:
    """`model` validated from `payload` (raises as `model_validate` does), its unread fields
    that did not parse noted in `counts` and kept on the record, its unknown keys counted."""
    mine = DriftCounts()
    context = drift_context(mine)
    _current.context = context
    try:
        record = model.model_validate(payload)
    finally:
        _current.context = None
    if context["kept"]:
        record._kept = context["kept"]
    count_unknown_keys(record, mine)
    if counts is not None and mine:
        counts.update(mine)
    return record
