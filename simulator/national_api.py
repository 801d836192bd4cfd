"""The national portal's integration service over HTTP (sources.md B.1): login and the
paged `LayDanhSachHoSoDongBo` / `LayDanhSachPAKN` answers with their faults; the copies
themselves are `national.py`'s."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections import Counter
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from simulator import drift
from simulator import faults as F
from simulator.national import national_copy, pakn_at
from simulator.records import nation_code

if TYPE_CHECKING:
    from simulator.world import World


class Simulator(Protocol):
    """What the integration service reads and changes of the serving simulator (app.py)."""

    settings: Any
    sessions: dict[str, float]
    sessions_issued: list[str]
    faults: F.Faults
    stats: Counter
    world: World
    at: int

    def index(self) -> Any: ...

    def shift(self) -> None: ...


MAX_RECORDS = 500
EMPTY_SESSION = {
    "error_code": "-1",
    "message": "Phiên làm việc (session) không hợp lệ hoặc đã hết hạn",
}


# --- the integration service ----------------------------------------------------------------
def login(sim: Simulator, body: dict) -> dict:
    s = sim.settings
    if (body.get("username"), body.get("password")) != (s.dvcqg_username, s.dvcqg_password):
        return {"error_code": 1, "message": "Tên đăng nhập hoặc mật khẩu không đúng"}
    session = secrets.token_hex(16)
    sim.sessions[session] = time.monotonic() + s.session_ttl
    sim.sessions_issued.append(session)
    return {"error_code": 0, "session": session}


def admin_routes(sim: Simulator) -> list[Route]:
    """Under `/_sim`: `GET /dvcqg-sessions`, every session a login handed out (expired ones
    too), so a test can look for them where no secret may be."""

    async def sessions(_request: Request) -> JSONResponse:
        return JSONResponse({"issued": list(sim.sessions_issued)})

    return [Route("/dvcqg-sessions", sessions)]


def parse_compact(value: str, name: str) -> int | None:
    if not value:
        return None
    try:
        ts = dt.datetime.strptime(value, "%Y%m%d%H%M%S").replace(
            tzinfo=dt.timezone(dt.timedelta(hours=7))
        )
    except ValueError as exc:
        raise ValueError(f"{name} phải có dạng yyyyMMddHHmmss") from exc
    return int(ts.timestamp())


def integration(sim: Simulator, body: dict) -> dict:
    rng = sim.faults.request_rng()
    session = body.get("session", "")
    expiry = sim.sessions.get(session)
    if expiry is None or expiry < time.monotonic() or sim.faults.roll("token_expiry", rng):
        sim.sessions.pop(session, None)
        return EMPTY_SESSION
    service = body.get("service", "")
    sim.stats[f"/dvcqg/integration#{service}"] += 1
    madonvi = body.get("madonvi", "")
    if madonvi not in sim.world.units_by_code:
        return {"error_code": "1", "message": f"Mã đơn vị không tồn tại: {madonvi}"}
    try:
        start = parse_compact(str(body.get("tuNgay", "")), "tuNgay")
        end = parse_compact(str(body.get("denNgay", "")), "denNgay")
        page = max(int(body.get("trang", 1)), 1)
        size = min(max(int(body.get("soBanGhi", 100)), 1), MAX_RECORDS)
    except ValueError as exc:
        return {"error_code": "2", "message": str(exc)}
    if sim.faults.roll("shift", rng):
        sim.shift()
    duplicate = rng.randint(1, F.DUPLICATE_MAX) if sim.faults.roll("duplicates", rng) else 0
    # `no_last` is drawn to keep the streams aligned; this surface has no `last` flag
    short, _, wrong = (sim.faults.roll(name, rng) for name in F.PAGING_FAULTS)
    offset = max((page - 1) * size - duplicate, 0)  # repeats the previous page's tail
    size += (page - 1) * size - offset
    codes = sim.world.subtree_codes(madonvi)
    if service == "LayDanhSachHoSoDongBo":
        total, rows = _dossier_copies(sim, codes, start, end, offset, size)
    elif service == "LayDanhSachPAKN":
        matching = [
            v
            for t, v in pakn_at(sim.world, sim.at)
            if v["MaDonVi"] in codes and (start is None or t >= start) and (end is None or t < end)
        ]
        total, rows = len(matching), matching[offset : offset + size]
        if "corpus" in sim.faults.rates:
            rows = drift.served(
                [dict(r) for r in rows],
                [drift.text_key(r["MaPAKN"]) for r in rows],
                sim.faults,
                drift.drift_petition,
                drift.spoil_petition,
                dataset="petitions",
            )
    else:
        return {"error_code": "2", "message": f"Dịch vụ không được hỗ trợ: {service}"}
    if short:
        rows = F.short_page(rows, rng)
    if wrong:
        total = F.wrong_total(total, rng)
    return {"error_code": "0", "message": "Thành công", "tongSoBanGhi": total, "result": rows}


def _dossier_copies(sim: Simulator, codes: set[str], start, end, offset: int, size: int):
    world, ix = sim.world, sim.index()
    order, synced = ix.national_order, ix.national_synced
    lo = int(np.searchsorted(synced, start, "left")) if start is not None else 0
    hi = int(np.searchsorted(synced, end, "left")) if end is not None else len(order)
    wanted = [world.unit_index[c] for c in codes]
    positions = order[lo : max(hi, lo)]
    positions = positions[np.isin(ix.units[positions], wanted)]
    rows, keys = [], []
    for p in positions[offset : offset + size]:
        key = int(ix.keys[p])
        record = national_copy(world, world.life(key), ix.as_of)
        if sim.faults.record_hit("drift", key):
            F.drift(record, sim.faults.record_rng("drift", key))
        if sim.faults.record_hit("malformed", key):
            F.malform_national(record, sim.faults.record_rng("malformed", key))
        rows.append(record)
        keys.append(key)
    if "corpus" in sim.faults.rates:
        rows = drift.served(
            rows,
            keys,
            sim.faults,
            drift.drift_national,
            drift.spoil_national,
            dataset="dossier_copies",
        )
    return len(positions), rows


def malformed_codes(sim: Simulator, ix) -> list[str]:
    """MaHoSo of the national copies served malformed under the current fault rates."""
    return [
        nation_code(sim.world, int(k))
        for k in ix.keys[ix.national_order]
        if sim.faults.record_hit("malformed", int(k))
    ]
