"""Fault injection (sources.md C): what can go wrong between a connector and a portal.

Request faults (`server_error`, `rate_limit`, `slow`, `reset`, `truncate`) are applied by an
ASGI middleware to every portal request, never to the `/_sim` admin surface. Protocol faults
(`token_expiry`, `duplicates`, `shift`, and on the dossier lists of both portals
`short_pages`, `no_last`, `wrong_total`) are applied by the endpoints; record faults
(`malformed`, `drift`) by the serialisers. Request-level draws come from a generator seeded by
(fault seed, request number); record-level draws from (fault seed, record key), so the same
records are malformed on every page and in every run, and `/_sim/truth` can list them. Faults
change what is served, never the world.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import random
import threading
from collections import Counter

from simulator import clock
from simulator.keys import mix64

REQUEST_FAULTS = ("server_error", "rate_limit", "slow", "reset", "truncate")
# Paging faults of the dossier lists (one-stop dossiers, national copies and PAKN):
# `short_pages` serves fewer records than asked though more follow (counts stay honest);
# `no_last` leaves out the Spring page's `last` flag; `wrong_total` announces a few records
# more than the list serves (counted but never served: what a crawl must not call complete).
PAGING_FAULTS = ("short_pages", "no_last", "wrong_total")
# `corpus`: the drift corpus of issue 16 (simulator/drift.py).
FAULTS = (
    REQUEST_FAULTS
    + ("token_expiry", "duplicates", "shift", "malformed", "drift", "corpus")
    + PAGING_FAULTS
)
SLOW_SECONDS = 20.0  # longer than any sane client read timeout
RETRY_AFTER_SECONDS = 1
SHIFT_SECONDS = 3600  # how far the world's clock jumps when a crawl sees records move
DUPLICATE_MAX = 5  # a page repeats up to this many records of the previous page
WRONG_TOTAL_MAX = 3  # a wrong total announces up to this many records too many
# A future-dated record claims a change this far ahead (a mistyped century: bad data that no
# real clock will ever reach, so the record stays impossible whenever the tests run).
FUTURE_DATED_SECONDS = 100 * 365 * 86400
ADMIN_PREFIX = "/_sim"


def parse_fault_specs(specs: list[str]) -> dict[str, float]:
    """`["server_error=0.1", "slow=0.05"]` -> {"server_error": 0.1, "slow": 0.05}."""
    rates = {}
    for spec in specs:
        name, _, rate = spec.partition("=")
        rates[name.strip()] = float(rate) if rate else 1.0
    return validate(rates)


def faults_from_env(value: str | None) -> dict[str, float]:
    """The rates of `SIM_FAULTS` (`"corpus=0.05,slow=0.01"`), for the simulator the demo and
    `make serve` embed; empty or unset: none."""
    return parse_fault_specs([spec for spec in (value or "").split(",") if spec.strip()])


def validate(rates: dict[str, float]) -> dict[str, float]:
    for name, rate in rates.items():
        if name not in FAULTS:
            raise ValueError(f"unknown fault {name!r}; known: {', '.join(FAULTS)}")
        if not 0.0 <= float(rate) <= 1.0:
            raise ValueError(f"fault rate of {name} must be within [0, 1], got {rate}")
    return {name: float(rate) for name, rate in rates.items()}


class Faults:
    def __init__(
        self, seed: int, rates: dict[str, float] | None = None, slow_seconds: float = SLOW_SECONDS
    ):
        self.seed = seed
        self.rates: dict[str, float] = validate(rates or {})
        self.slow_seconds = slow_seconds
        self.injected: Counter[str] = Counter()
        self._requests = itertools.count()
        self._lock = threading.Lock()

    def set(self, rates: dict[str, float], slow_seconds: float | None = None) -> None:
        self.rates = {k: v for k, v in validate(rates).items() if v > 0}
        if slow_seconds is not None:
            self.slow_seconds = float(slow_seconds)

    def count(self, name: str, n: int = 1) -> None:
        """Add to what was injected (`injected`, shown by `GET /_sim/faults`)."""
        with self._lock:
            self.injected[name] += n

    def request_rng(self) -> random.Random:
        with self._lock:
            n = next(self._requests)
        return random.Random(mix64(self.seed * 1_000_003 + n))

    def roll(self, name: str, rng: random.Random) -> bool:
        """One draw per fault and request (drawn even when off, so streams stay aligned)."""
        u = rng.random()
        if u < self.rates.get(name, 0.0):
            self.injected[name] += 1
            return True
        return False

    def record_hit(self, name: str, key: int) -> bool:
        rate = self.rates.get(name, 0.0)
        if rate <= 0:
            return False
        salt = FAULTS.index(name) + 1
        return mix64(mix64(self.seed ^ (salt << 56)) ^ key) / 2**64 < rate

    def record_rng(self, name: str, key: int) -> random.Random:
        return random.Random(mix64(self.seed + FAULTS.index(name)) ^ key)


# --- record faults ----------------------------------------------------------------------
def malform_dossier(record: dict, rng: random.Random) -> None:
    """Break one thing in a one-stop dossier: a date, the status id, a key or a type. A broken
    date may also be a well-formed `updatedDate` far in the future (bad data); the record is
    still listed where its real change instant sorts it."""
    kind = rng.randrange(5)
    if kind == 4:
        updated = clock.epoch(dt.datetime.fromisoformat(record["updatedDate"]))
        record["updatedDate"] = clock.iso(updated + FUTURE_DATED_SECONDS)
    elif kind == 0:
        record["updatedDate"] = rng.choice(
            ("2025-13-45T99:61:00.000+0700", "not-a-date", "20251302083000")
        )
    elif kind == 1:
        record["dossierStatus"] = {"id": rng.choice((42, 17, -1)), "name": "Không xác định"}
    elif kind == 2:
        record.pop(rng.choice(("agency", "procedure", "dossierStatus", "submittedDate")))
    else:
        record["applyMethod"] = {"id": rng.choice(("hai", None, [2]))}
        if record["fees"]:
            record["fees"][0]["amount"] = "10.000đ"


def malform_national(record: dict, rng: random.Random) -> None:
    """Break one thing in a national copy: a date, the status code, a key or a type."""
    kind = rng.randrange(4)
    if kind == 0:
        record["NgayTiepNhan"] = rng.choice(("20251345996100", "2025-07-02", "abc"))
    elif kind == 1:
        record["TrangThaiHoSo"] = rng.choice(("99", "0", "X"))
    elif kind == 2:
        record.pop(rng.choice(("MaDonViXuLy", "NgayTiepNhan", "TrangThaiHoSo")))
    else:
        record["KenhThucHien"] = [2]
        record["DanhSachLePhi"] = "không có"


def drift(record: dict, rng: random.Random) -> None:
    """Fields a newer vendor release added: connectors must ignore them."""
    record["extendedAttributes"] = {
        "source": rng.choice(("IGATE_V2", "MOBILE")),
        "priority": rng.randint(0, 3),
    }
    record["_class"] = "vn.vnpt.digo.padman.document.Dossier"


# --- paging faults -------------------------------------------------------------------------
def short_page(rows: list, rng: random.Random) -> list:
    """The page without its last one to half of its records (at least one record is kept:
    an empty page means the end of a list)."""
    if len(rows) < 2:
        return rows
    return rows[: len(rows) - rng.randint(1, len(rows) // 2)]


def wrong_total(total: int, rng: random.Random) -> int:
    return total + rng.randint(1, WRONG_TOTAL_MAX)


# --- request faults (ASGI middleware) -----------------------------------------------------
class RequestFaultMiddleware:
    """Counts portal requests per path and injects the request-level faults."""

    def __init__(self, app, faults: Faults, stats: Counter):
        self.app = app
        self.faults = faults
        self.stats = stats

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            return await self.app(scope, receive, send)
        self.stats[scope["path"]] += 1
        rng = self.faults.request_rng()
        rolls = {name: self.faults.roll(name, rng) for name in REQUEST_FAULTS}
        if rolls["server_error"]:
            status = rng.choice((500, 502, 503, 504))
            return await _plain(send, status, b'{"error":"Internal Server Error"}')
        if rolls["rate_limit"]:
            return await _plain(
                send,
                429,
                b'{"error":"Too Many Requests"}',
                [(b"retry-after", str(RETRY_AFTER_SECONDS).encode())],
            )
        if rolls["slow"] or rolls["reset"] or rolls["truncate"]:
            return await self._altered(
                scope,
                receive,
                send,
                slow=rolls["slow"],
                reset=rolls["reset"],
                truncate=rolls["truncate"],
            )
        return await self.app(scope, receive, send)

    async def _altered(self, scope, receive, send, slow: bool, reset: bool, truncate: bool):
        """The request is handled when it arrives; only its answer is late or broken. A slow
        request is thus handled while its client still waits: one the client gave up on
        cannot change what is served (fault `shift`) after the client has gone."""
        start, chunks = {}, []

        async def capture(message):
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        if slow:
            await asyncio.sleep(self.faults.slow_seconds)
        body = b"".join(chunks)
        if not (reset or truncate):
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        cut = body[: max(len(body) * 3 // 5, 1)]
        if reset:
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send(
                {"type": "http.response.start", "status": start["status"], "headers": headers}
            )
            await send({"type": "http.response.body", "body": cut, "more_body": True})
            raise ConnectionAbortedError("simulated connection reset")
        headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(cut)).encode()))
        await send({"type": "http.response.start", "status": start["status"], "headers": headers})
        await send({"type": "http.response.body", "body": cut})


async def _plain(send, status: int, body: bytes, extra_headers=()):
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *extra_headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def describe(faults: Faults) -> dict:
    return {
        "rates": faults.rates,
        "slowSeconds": faults.slow_seconds,
        "injected": dict(faults.injected),
    }
