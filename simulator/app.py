"""The simulator's ASGI app: the one-stop API under `/motcua`, the national portal under
`/dvcqg`, and the admin surface for tests under `/_sim` (sources.md A, B.1, C)."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Mount, Route

from pipeline.config import DEFAULT_HISTORY_START
from simulator import drift, evaluation_api, national_api
from simulator import faults as F
from simulator.clock import epoch, iso
from simulator.keys import dossier_id
from simulator.records import dossier_code, dossier_json, nation_code
from simulator.world import DEFAULT_SEED, World

TOKEN_PATH = "/auth/realms/digo/protocol/openid-connect/token"
MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 20
TRUTH_CHUNK = 5000


@dataclass
class Settings:
    """Everything that defines a running simulator."""

    as_of: dt.datetime
    seed: int = DEFAULT_SEED
    history_start: dt.date = DEFAULT_HISTORY_START
    scale: float = 1.0
    client_id: str = "motcua-warehouse"
    username: str = "demo"
    password: str = "demo-password"
    dvcqg_username: str = "demo"
    dvcqg_password: str = "demo-password"
    token_ttl: int = 300
    session_ttl: int = 1800
    faults: dict[str, float] = field(default_factory=dict)
    fault_seed: int | None = None


class BadRequest(Exception):
    pass


def dumps(payload) -> bytes:
    """Compact UTF-8 JSON. orjson writes it several times faster; what it refuses (integers
    past 64 bits, text that is not valid Unicode) goes through the standard encoder as
    before."""
    try:
        return orjson.dumps(payload)
    except TypeError:
        pass
    try:
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    except UnicodeEncodeError:  # a lone surrogate (drift corpus): sent as its `\u` escape
        return json.dumps(payload, separators=(",", ":")).encode()


def json_response(payload, status: int = 200, headers: dict | None = None) -> Response:
    return Response(dumps(payload), status, headers, media_type="application/json")


def parse_instant(value: str, name: str) -> int:
    """ISO timestamp with +07:00, +0700 or Z; a raw '+' decoded as a space is repaired."""
    text = value.strip().replace(" ", "+")
    if len(text) > 10 and text[10] == "+":
        text = text[:10] + "T" + text[11:]
    try:
        ts = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise BadRequest(f"{name}: not an ISO timestamp: {value!r}") from exc
    if ts.tzinfo is None:
        raise BadRequest(f"{name}: timestamp without offset: {value!r}")
    return epoch(ts)


def parse_day(value: str, name: str) -> int:
    try:
        day = dt.date.fromisoformat(value.strip()[:10])
    except ValueError as exc:
        raise BadRequest(f"{name}: not an ISO date: {value!r}") from exc
    return day.toordinal() - 719163


def parse_int(params, name: str, default: int) -> int:
    value = params.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise BadRequest(f"{name}: not an integer: {value!r}") from exc


def spring_page(content: list, page: int, size: int, total: int) -> dict:
    pages = (total + size - 1) // size
    return {
        "content": content,
        "number": page,
        "size": size,
        "totalElements": total,
        "totalPages": pages,
        "last": page >= pages - 1,
        "first": page == 0,
        "numberOfElements": len(content),
    }


class Simulator:
    """The mutable state around an immutable world: the clock, tokens, faults and counters."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.world = World(settings.seed, settings.history_start, settings.scale)
        self.at = epoch(settings.as_of)
        self.faults = F.Faults(
            settings.fault_seed if settings.fault_seed is not None else settings.seed,
            settings.faults,
        )
        self.stats: Counter[str] = Counter()
        self.tokens: dict[str, float] = {}
        self.sessions: dict[str, float] = {}
        self.sessions_issued: list[str] = []  # every dvcqg login (GET /_sim/dvcqg-sessions)
        self._lock = threading.Lock()
        self.world.index(self.at)

    # --- clock ---------------------------------------------------------------------------
    def index(self):
        return self.world.index(self.at)

    def move_to(self, at: int) -> None:
        with self._lock:
            self.at = at
        self.world.index(at)

    def shift(self) -> None:
        """A crawl sees records move: the world's clock jumps forward (fault `shift`).
        Read and written under one lock, so two shifts at once are two jumps, never one."""
        with self._lock:
            self.at += F.SHIFT_SECONDS
            at = self.at
        self.world.index(at)

    # --- one-stop authentication ---------------------------------------------------------
    def issue_token(self, form) -> Response:
        s = self.settings
        if form.get("grant_type") != "password":
            return json_response({"error": "unsupported_grant_type"}, 400)
        if (form.get("client_id"), form.get("username"), form.get("password")) != (
            s.client_id,
            s.username,
            s.password,
        ):
            return json_response(
                {"error": "invalid_grant", "error_description": "Invalid user credentials"}, 401
            )
        token = secrets.token_urlsafe(32)
        self.tokens[token] = time.monotonic() + s.token_ttl
        return json_response(
            {
                "access_token": token,
                "expires_in": s.token_ttl,
                "token_type": "Bearer",
                "refresh_expires_in": 0,
            }
        )

    def authorised(self, request: Request, rng) -> bool:
        header = request.headers.get("authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else ""
        expiry = self.tokens.get(token)
        if expiry is None or expiry < time.monotonic():
            self.tokens.pop(token, None)
            return False
        if self.faults.roll("token_expiry", rng):
            self.tokens.pop(token, None)
            return False
        return True

    # --- one-stop data -------------------------------------------------------------------
    def agencies(self, parent_id: str) -> list[dict]:
        rows = [
            u.to_json()
            for u in self.world.units
            if u.parent_code and self.world.units_by_code[u.parent_code].id == parent_id
        ]
        if "corpus" not in self.faults.rates:
            return rows
        # one spoiled agency at most, under the root's first level (a snapshot is small)
        top = parent_id == next((u.id for u in self.world.units if not u.parent_code), None)
        keys = [drift.text_key(r["id"]) for r in rows]
        return drift.served(
            rows,
            keys,
            self.faults,
            drift.drift_agency,
            drift.spoil_agency,
            spoil_limit=1 if top else 0,
            spoil_first=top,
            dataset="agencies",
        )

    def procedures(self, params) -> dict:
        page = max(parse_int(params, "page", 0), 0)
        size = min(max(parse_int(params, "size", DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE)
        rows = self.world.procedures
        chunk = [p.to_json() for p in rows[page * size : (page + 1) * size]]
        if "corpus" in self.faults.rates:
            keys = [drift.text_key(r["id"]) for r in chunk]
            chunk = drift.served(
                chunk,
                keys,
                self.faults,
                drift.drift_procedure,
                drift.spoil_procedure,
                dataset="procedures",
            )
        return spring_page(chunk, page, size, len(rows))

    def dossiers(self, params, rng) -> dict:
        page = max(parse_int(params, "page", 0), 0)
        size = min(max(parse_int(params, "size", DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE)
        sort = params.get("sort", "updatedDate,asc").replace(" ", "")
        if sort not in ("updatedDate,asc", "updatedDate,desc", "updatedDate"):
            raise BadRequest(f"sort: unsupported {sort!r}")
        descending = sort.endswith(",desc")
        if self.faults.roll("shift", rng):
            self.shift()
        duplicate = rng.randint(1, F.DUPLICATE_MAX) if self.faults.roll("duplicates", rng) else 0
        short, no_last, wrong = (self.faults.roll(name, rng) for name in F.PAGING_FAULTS)
        ix = self.index()
        positions = self.select(ix, params)
        total = len(positions)
        # a `duplicates` fault repeats the tail of the previous page before this page
        start, end = max(page * size - duplicate, 0), page * size + size
        if descending:
            chosen = positions[max(total - end, 0) : max(total - start, 0)][::-1]
        else:
            chosen = positions[start:end]
        if short:
            chosen = F.short_page(list(chosen), rng)
        keys = [int(ix.keys[p]) for p in chosen]
        content = [self.dossier(key, ix.as_of) for key in keys]
        if "corpus" in self.faults.rates:
            content = drift.served(
                content,
                keys,
                self.faults,
                drift.drift_dossier,
                drift.spoil_dossier,
                dataset="dossiers",
            )
        body = spring_page(content, page, size, F.wrong_total(total, rng) if wrong else total)
        if no_last:
            del body["last"]
        return body

    def select(self, ix, params) -> range | np.ndarray:
        """Positions in the (updatedDate, id) order of the dossiers matching the filters (a
        range when only the updated window applies, so big worlds page without copies)."""
        lo, hi = 0, len(ix)
        if params.get("updated-from"):
            lo = int(
                np.searchsorted(
                    ix.updated, parse_instant(params["updated-from"], "updated-from"), "left"
                )
            )
        if params.get("updated-to"):
            hi = int(
                np.searchsorted(
                    ix.updated, parse_instant(params["updated-to"], "updated-to"), "left"
                )
            )
        hi = max(hi, lo)
        mask = None
        if params.get("agency-id"):
            unit = next(
                (i for i, u in enumerate(self.world.units) if u.id == params["agency-id"]), -1
            )
            mask = ix.units[lo:hi] == unit
        if params.get("accepted-from") or params.get("accepted-to"):
            days = ix.accepted_day[lo:hi]
            m = days >= 0
            if params.get("accepted-from"):
                m &= days >= parse_day(params["accepted-from"], "accepted-from")
            if params.get("accepted-to"):
                m &= days <= parse_day(params["accepted-to"], "accepted-to")
            mask = m if mask is None else mask & m
        if mask is None:
            return range(lo, hi)
        return lo + np.flatnonzero(mask)

    def dossier(self, key: int, at: int) -> dict:
        record = dossier_json(self.world, self.world.life(key), at)
        if self.faults.record_hit("drift", key):
            F.drift(record, self.faults.record_rng("drift", key))
        if self.faults.record_hit("malformed", key):
            F.malform_dossier(record, self.faults.record_rng("malformed", key))
        return record

    # --- admin ---------------------------------------------------------------------------
    def truth_chunks(self):
        ix = self.index()
        world, at = self.world, ix.as_of
        malformed = [
            dossier_id(world.seed, int(k))
            for k in ix.keys
            if self.faults.record_hit("malformed", int(k))
        ]
        national_malformed = national_api.malformed_codes(self, ix)
        yield (
            dumps(
                {
                    "asOf": iso(at),
                    "count": len(ix),
                    "malformedIds": malformed,
                    "malformedNationalCodes": national_malformed,
                }
            )[:-1]
            + b',"dossiers":['
        )
        for start in range(0, len(ix), TRUTH_CHUNK):
            rows = []
            for p in range(start, min(start + TRUTH_CHUNK, len(ix))):
                key = int(ix.keys[p])
                synced = int(ix.synced[p])
                rows.append(
                    {
                        "id": dossier_id(world.seed, key),
                        "code": dossier_code(world, key),
                        "nationCode": nation_code(world, key) if synced >= 0 else None,
                        "updatedDate": iso(int(ix.updated[p])),
                        "syncedDate": iso(synced) if synced >= 0 else None,
                    }
                )
            body = dumps(rows)[1:-1]
            yield (b"," if start else b"") + body
        yield b"]}"

    def stats_json(self) -> dict:
        ix = self.index()
        return {
            "asOf": iso(self.at),
            "dossiers": len(ix),
            "requests": dict(self.stats),
            "faults": F.describe(self.faults),
        }


def create_app(settings: Settings) -> Starlette:
    sim = Simulator(settings)

    async def guarded(request: Request, handler):
        rng = sim.faults.request_rng()
        if not sim.authorised(request, rng):
            return json_response(
                {"error": "invalid_token", "error_description": "Token is not active"},
                401,
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        try:
            return json_response(await run_in_threadpool(handler, request, rng))
        except BadRequest as exc:
            return json_response({"error": "bad_request", "message": str(exc)}, 400)

    async def token(request: Request):
        form = urllib.parse.parse_qs((await request.body()).decode("utf-8", "replace"))
        return sim.issue_token({k: v[0] for k, v in form.items()})

    async def agencies(request: Request):
        def handler(req, _rng):
            parent = req.query_params.get("parent-id")
            if not parent:
                raise BadRequest("parent-id is required")
            return sim.agencies(parent)

        return await guarded(request, handler)

    async def procedures(request: Request):
        return await guarded(request, lambda req, _rng: sim.procedures(req.query_params))

    async def dossiers(request: Request):
        return await guarded(request, lambda req, rng: sim.dossiers(req.query_params, rng))

    async def dvcqg_auth(request: Request):
        return json_response(national_api.login(sim, await _json_body(request)))

    async def dvcqg_integration(request: Request):
        body = await _json_body(request)
        return json_response(await run_in_threadpool(national_api.integration, sim, body))

    async def truth(_request: Request):
        return StreamingResponse(sim.truth_chunks(), media_type="application/json")

    async def as_of(request: Request):
        body = await _json_body(request)
        try:
            at = parse_instant(str(body.get("as_of", "")), "as_of")
        except BadRequest as exc:
            return json_response({"error": str(exc)}, 400)
        await run_in_threadpool(sim.move_to, at)
        return json_response({"asOf": iso(sim.at), "dossiers": len(sim.index())})

    async def set_faults(request: Request):
        body = await _json_body(request)
        rates = body.get("rates", {k: v for k, v in body.items() if k != "slowSeconds"})
        try:
            sim.faults.set(rates, body.get("slowSeconds"))
        except (ValueError, TypeError, AttributeError) as exc:
            return json_response({"error": str(exc)}, 400)
        return json_response(F.describe(sim.faults))

    async def get_faults(_request: Request):
        return json_response(F.describe(sim.faults))

    async def stats(request: Request):
        if request.method == "DELETE":
            sim.stats.clear()
        return json_response(sim.stats_json())

    async def health(_request: Request):
        return json_response({"status": "ok", "asOf": iso(sim.at)})

    routes = [
        Mount(
            "/motcua",
            routes=[
                Route(TOKEN_PATH, token, methods=["POST"]),
                Route("/ba/agency/--by-parent-id", agencies),
                Route("/pa/procedure/search", procedures),
                Route("/pa/dossier/search", dossiers),
            ],
        ),
        Mount(
            "/dvcqg",
            routes=[
                Route("/auth", dvcqg_auth, methods=["POST"]),
                Route("/integration", dvcqg_integration, methods=["POST"]),
                *evaluation_api.routes(sim),
            ],
        ),
        Mount(
            F.ADMIN_PREFIX,
            routes=[
                Route("/truth", truth),
                Route("/as-of", as_of, methods=["POST"]),
                Route("/faults", set_faults, methods=["POST"]),
                Route("/faults", get_faults, methods=["GET"]),
                Route("/stats", stats, methods=["GET", "DELETE"]),
                Route("/health", health),
                *evaluation_api.admin_routes(sim),
                *national_api.admin_routes(sim),
            ],
        ),
    ]
    app = Starlette(routes=routes)
    app.state.simulator = sim
    return F.RequestFaultMiddleware(app, sim.faults, sim.stats)


async def _json_body(request: Request) -> dict:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}
