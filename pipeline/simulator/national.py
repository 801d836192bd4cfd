"""The national portal's integration surface (sources.md B.1): synced dossier copies
(`LayDanhSachHoSoDongBo`) and feedback/petitions (`LayDanhSachPAKN`).

The national copy of a dossier is the one-stop record as it stood at its last sync
(`NgayDongBo`), in the `DongBoHoSoMC` shape: strings only, dates `yyyyMMddHHmmss`, `""` when
empty. `national_copy(world, life, at)` is the entry point for anything that scores from the
national copies (the evaluation endpoints).
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import time
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from pipeline.simulator import drift
from pipeline.simulator import faults as F
from pipeline.simulator import profile as P
from pipeline.simulator.clock import DAY, WORK_DAY, compact
from pipeline.simulator.keys import pack, stream_seed
from pipeline.simulator.life import VENDOR_STATUSES, Life
from pipeline.simulator.records import Details, nation_code

if TYPE_CHECKING:
    from pipeline.simulator.app import Simulator
    from pipeline.simulator.world import World

MAX_RECORDS = 500
ACTION_LABELS = {
    "RECEIVE": "Tiếp nhận hồ sơ",
    "TRANSFER": "Chuyển xử lý",
    "REQUEST_SUPPLEMENT": "Yêu cầu bổ sung hồ sơ",
    "SUPPLEMENT_RECEIVED": "Tiếp nhận hồ sơ bổ sung",
    "REQUEST_FINANCIAL": "Thông báo thực hiện nghĩa vụ tài chính",
    "FINANCIAL_DONE": "Hoàn thành nghĩa vụ tài chính",
    "APOLOGY": "Xin lỗi và hẹn lại ngày trả kết quả",
    "REFUSE": "Từ chối tiếp nhận hồ sơ",
    "STOP": "Dừng xử lý hồ sơ",
    "WITHDRAW": "Công dân rút hồ sơ",
    "COMPLETE": "Kết thúc xử lý hồ sơ",
    "RESULT_TO_COUNTER": "Chuyển kết quả về Bộ phận một cửa",
    "RETURN": "Trả kết quả cho công dân",
    "CONTACT_CITIZEN": "Liên hệ công dân",
}
EMPTY_SESSION = {
    "error_code": "-1",
    "message": "Phiên làm việc (session) không hợp lệ hoặc đã hết hạn",
}


def national_copy(
    world: World,
    life: Life,
    at: int,
    details: Details | None = None,
    stamp: Callable[[int | None], str | int] = compact,
) -> dict | None:
    """The `DongBoHoSoMC` record as the national portal holds it at `at`, None if unsynced.
    A caller that needs the dossier's `Details` too passes them in (they are drawn once).
    `stamp` writes every instant (`yyyyMMddHHmmss`, `""` when absent); the evaluation, which
    reads the dates back as numbers, passes one that keeps epoch seconds (-1 when absent)."""
    synced = life.synced_at(at)
    if synced is None:
        return None
    events = life.events_at(synced)
    if details is None:
        details = Details(world, life)
    rng = random.Random(stream_seed(world.seed, life.key, 3))
    proc, unit = life.procedure, life.unit
    status = life.status_at(synced)

    def first(*actions):
        return next((e.t for e in events if e.action in actions), None)

    supplements, pending = [], None
    for e in events:
        if e.action == "REQUEST_SUPPLEMENT":
            pending = {
                "NgayBoSung": stamp(e.t),
                "NgayTiepNhanBoSung": stamp(None),
                "NoiDungBoSung": e.note or "",
            }
            supplements.append(pending)
        elif e.action == "SUPPLEMENT_RECEIVED" and pending is not None:
            pending["NgayTiepNhanBoSung"] = stamp(e.t)
            pending = None
    paid_online = {
        f.method
        for f in life.fees
        if f.paid_at is not None
        and f.paid_at <= synced
        and not (f.refunded_at is not None and f.refunded_at <= synced)
    }
    online_paid = (
        "1"
        if "ONLINE_NATIONAL" in paid_online
        else "2"
        if "ONLINE_PROVINCIAL" in paid_online
        else "0"
    )
    fees_missing = rng.random() < P.NATIONAL_FEES_MISSING_SHARE
    completed = first("COMPLETE")
    results = []
    if details.result is not None and completed is not None:
        results.append(
            {
                "TenGiayTo": details.result["name"],
                "MaGiayToKetQua": details.result["resultCode"],
                "DuongDanTepTinKetQua": details.result["url"],
            }
        )
    history, current = [], 0
    for e in events:
        current = current if e.status is None else e.status
        history.append(
            {
                "ThoiDiemXuLy": stamp(e.t),
                "TrangThai": str(VENDOR_STATUSES[current][1]),
                "NoiDungXuLy": ACTION_LABELS[e.action],
                "PhongBanXuLy": world.units_by_code[e.from_code or unit.code].name,
            }
        )
    accepted = life.accepted if life.accepted is not None and life.accepted <= synced else None
    return {
        "MaHoSo": nation_code(world, life.key),
        "MaTTHC": proc.code,
        "TenTTHC": proc.name,
        "MaLinhVuc": proc.sector_code,
        "KenhThucHien": str(life.channel),
        "LoaiDoiTuong": str(life.applicant_type),
        "ChuHoSo": details.applicant["fullname"],
        "SoGiayToChuHoSo": details.applicant["identityNumber"],
        "NgayNopHoSo": stamp(life.submitted),
        "NgayTiepNhan": stamp(accepted),
        "NgayHenTra": stamp(life.appointment if accepted is not None else None),
        "NgayKetThucXuLy": stamp(completed or first("STOP", "WITHDRAW")),
        "NgayTra": stamp(first("RETURN")),
        "NgayTuChoi": stamp(first("REFUSE")),
        "TrangThaiHoSo": str(VENDOR_STATUSES[status][1]),
        "HinhThuc": "1" if life.result_by_post else "0",
        "DonViXuLy": unit.name,
        "MaDonViXuLy": unit.code,
        "NoiNopHoSo": "1"
        if life.channel == 2 and rng.random() < P.NATIONAL_PORTAL_SUBMISSION_SHARE
        else "2",
        "HoSoCoThanhPhanSoHoa": "1" if any(f["digitized"] for f in details.components) else "0",
        "TaiKhoanDuocXacThucVoiVNeID": "1" if details.vneid else "0",
        "DuocThanhToanTrucTuyen": online_paid,
        "TaiLieuNop": [
            {
                "TepDinhKemId": f["id"],
                "TenTepDinhKem": f["name"],
                "DuongDanTaiTepTin": f["url"],
                "DuocSoHoa": "1" if f["digitized"] else "0",
                "DuocTaiSuDung": str(f["reuse"]),
                "DuocLayTuKhoDMQG": "1" if f["fromCitizenStore"] else "0",
            }
            for f in details.components
        ],
        "DanhSachLePhi": []
        if fees_missing
        else [
            {
                "TenPhiLePhi": f.name,
                "MaPhiLePhi": f"{proc.code}.{f.kind}{i + 1}",
                "Gia": str(f.amount),
            }
            for i, f in enumerate(life.fees)
        ],
        "DanhSachHoSoBoSung": supplements,
        "DanhSachGiayToKetQua": results,
        "QuaTrinhXuLy": history,
        "NgayDongBo": stamp(synced),
    }


# --- PAKN ---------------------------------------------------------------------------------
def pakn_of_month(world: World, unit_index: int, year: int, month: int) -> list[dict]:
    """Feedback about a unit received in a month, with every date it will ever have."""
    unit = world.units[unit_index]
    first = dt.date(year, month, 1)
    if not unit.valid_on(first) and not unit.valid_on(
        (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    ):
        return []
    if (
        world.receiving_share(unit, first) == 0
        and world.receiving_share(unit, (first + dt.timedelta(days=27))) == 0
    ):
        return []
    rng = random.Random(stream_seed(world.seed, pack(unit_index, first.toordinal() - 719163, 0), 4))
    lam = P.PAKN_MONTHLY_PER_UNIT * world.scale
    count = int(np.random.default_rng([world.seed, 4, unit_index, year, month]).poisson(lam))
    clock, items = world.clock, []
    for i in range(count):
        day = first + dt.timedelta(days=rng.randrange(28))
        if not unit.valid_on(day):
            continue
        received = clock.instant(
            clock.ordinal(day.toordinal() - 719163) * WORK_DAY + rng.randrange(WORK_DAY)
        )
        due = clock.after(received, P.PAKN_DUE_WORKING_DAYS * WORK_DAY)
        answered = None
        if rng.random() >= P.PAKN_UNANSWERED_SHARE:
            late = rng.random() < P.PAKN_ANSWER_LATE_SHARE
            span = P.PAKN_DUE_WORKING_DAYS * WORK_DAY
            extra = (
                (span + rng.randrange(WORK_DAY, 8 * WORK_DAY))
                if late
                else rng.randrange(WORK_DAY // 4, span)
            )
            answered = clock.after(received, extra)
        heavy = rng.random() < P.PAKN_DISLIKE_HEAVY_SHARE
        likes, dislikes = rng.randint(0, 12), rng.randint(0, 3)
        if heavy:
            dislikes = likes + rng.randint(1, 10)
        recomplaint = answered is not None and rng.random() < P.PAKN_RECOMPLAINT_SHARE
        linked = None
        if rng.random() < P.PAKN_LINKED_SHARE:
            counts = world.daily_counts(unit_index, year, month)
            days = [d for d, n in enumerate(counts) if n > 0]
            if days:
                d = rng.choice(days)
                seq = rng.randrange(int(counts[d]))
                linked = pack(unit_index, first.toordinal() - 719163 + d, seq)
        items.append(
            {
                "code": f"PAKN-{unit.code}-{year % 100:02d}{month:02d}-{i + 1:04d}",
                "unit": unit.code,
                "received": received,
                "due": due,
                "answered": answered,
                "kind": "CAN_BO" if rng.random() < P.PAKN_STAFF_SHARE else "THU_TUC",
                "likes": likes,
                "dislikes": dislikes,
                "recomplaint": recomplaint,
                "recomplaint_at": clock.after(answered, rng.randrange(WORK_DAY, 5 * WORK_DAY))
                if recomplaint
                else None,
                "linked": linked,
            }
        )
    return items


def pakn_view(world: World, item: dict, at: int) -> dict | None:
    if item["received"] > at:
        return None
    answered = item["answered"] if item["answered"] is not None and item["answered"] <= at else None
    recomplaint = item["recomplaint_at"] is not None and item["recomplaint_at"] <= at
    updated = max(
        t
        for t in (item["received"], answered, item["recomplaint_at"] if recomplaint else None)
        if t is not None
    )
    return {
        "MaPAKN": item["code"],
        "MaDonVi": item["unit"],
        "NgayTiepNhan": compact(item["received"]),
        "HanXuLy": compact(item["due"]),
        "NgayTraLoi": compact(answered),
        "TrangThai": "DA_TRA_LOI" if answered is not None else "DANG_XU_LY",
        "LoaiPAKN": item["kind"],
        "SoLuotThich": str(item["likes"]),
        "SoLuotKhongThich": str(item["dislikes"]),
        "KhieuNaiLai": "1" if recomplaint else "0",
        "MaHoSo": nation_code(world, item["linked"]) if item["linked"] is not None else "",
        "NgayCapNhat": compact(updated),
    }


@lru_cache(maxsize=2)
def _pakn_items(world: World, last_month: tuple[int, int]) -> list[dict]:
    items = []
    for ui in range(len(world.units)):
        month = world.history_start.replace(day=1)
        while (month.year, month.month) <= last_month:
            items.extend(pakn_of_month(world, ui, month.year, month.month))
            month = (month + dt.timedelta(days=32)).replace(day=1)
    return items


def pakn_at(world: World, at: int) -> list[tuple[int, dict]]:
    """Every PAKN visible at `at` as (NgayCapNhat epoch, record), sorted by update then code."""
    day = dt.date.fromordinal(719163 + (at + 7 * 3600) // DAY)
    rows = []
    for item in _pakn_items(world, (day.year, day.month)):
        view = pakn_view(world, item, at)
        if view is not None:
            updated = max(
                t
                for t in (item["received"], item["answered"], item["recomplaint_at"])
                if t is not None and t <= at
            )
            rows.append((updated, view))
    rows.sort(key=lambda r: (r[0], r[1]["MaPAKN"]))
    return rows


# --- the integration service ----------------------------------------------------------------
def login(sim: Simulator, body: dict) -> dict:
    s = sim.settings
    if (body.get("username"), body.get("password")) != (s.dvcqg_username, s.dvcqg_password):
        return {"error_code": 1, "message": "Tên đăng nhập hoặc mật khẩu không đúng"}
    session = secrets.token_hex(16)
    sim.sessions[session] = time.monotonic() + s.session_ttl
    return {"error_code": 0, "session": session}


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
            )
    else:
        return {"error_code": "2", "message": f"Dịch vụ không được hỗ trợ: {service}"}
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
        rows = drift.served(rows, keys, sim.faults, drift.drift_national, drift.spoil_national)
    return len(positions), rows


def malformed_codes(sim: Simulator, ix) -> list[str]:
    """MaHoSo of the national copies served malformed under the current fault rates."""
    return [
        nation_code(sim.world, int(k))
        for k in ix.keys[ix.national_order]
        if sim.faults.record_hit("malformed", int(k))
    ]
