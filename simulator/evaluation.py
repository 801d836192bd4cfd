"""The national portal's public evaluation surface (sources.md B.2): the official scores.

`POST /dvcqg/api/v1/reporting/evaluation/<group>` answers, for a root department and a period,
the root (`overview` / `parent`) and one entry per unit under it that exists in the period, in
the exact shape of `../shared/reference/dvcqg-evaluation/`; `POST
/dvcqg/api/v1/reporting/formalities` lists the procedures. Units are identified by the portal's
own `departmentId` (`department_id(unit_code)`, a UUID-like string) and by `departmentCode`.

The simulated portal scores with its own implementation of `indices.md`, from what the portal
holds at the simulator's AS_OF: the national copies (national.py `national_copy`), its PAKN,
the procedure catalogue, and what its own systems record (ratings of its satisfaction survey,
the citizen document store, population-database lookups). The warehouse computes the same
indicators from the one-stop records; the two differ where the copies lag or miss dossiers,
which is what "official vs computed" is there to show. Periods are cut at
T = min(next period start, AS_OF); a unit's entry counts the dossiers it received (its own,
`MaDonViXuLy`), the root's counts every dossier of the root's subtree. Indicators only the
portal knows (announcement and publication of procedures, electronic certified copies) are
drawn deterministically from the catalogue, the same for every unit, as the real portal does.

Everything is computed lazily: per-dossier facts once per AS_OF (one pass over the national
copies, in parallel for large worlds), then each (group, period, root) once and cached.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import math
import os
import threading
from collections import Counter, OrderedDict, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

import numpy as np

from pipeline.periods import add_months
from pipeline.seeds import portal_group_max_points, portal_groups, seed_rows
from simulator.catalogue import CATALOGUE_START, Procedure
from simulator.clock import DAY, OFFSET, WORK_DAY, local_date
from simulator.forked import fork_map
from simulator.national import national_copy, pakn_at
from simulator.profile import PROVINCE_CODE
from simulator.records import Details

if TYPE_CHECKING:
    from simulator.units import Unit
    from simulator.world import World

# --- the portal's published rules (indices.md §1-§6, portal-2024) ------------------------------
# The API's groups and their maximum points: the seeds dvcqg_portal_groups, indicator_groups.
GROUPS = portal_groups()
GROUP_MAX = portal_group_max_points()
# Scoring rules of the seed indicator_catalog (maximum points, thresholds), as the warehouse
# reads them; the portal's own names of its metrics, which the catalogue does not hold.
_CATALOGUE = {row["indicator_code"]: row for row in seed_rows("indicator_catalog")}
_PORTAL_NAMES = {
    "PUBLISH_ON_TIME": "Tỷ lệ TTHC công bố đúng hạn",
    "PUBLIC_UPDATE_ON_TIME": "Tỷ lệ TTHC cập nhật, công khai đúng hạn",
    "PUBLIC_CONTENT_FULL": "Tỷ lệ TTHC công khai đầy đủ nội dung",
    "DOSSIER_SYNC": "Tỷ lệ hồ sơ đồng bộ lên Cổng DVCQG",
    "PETITION_CLASSIFICATION_TTHC": "Tỷ lệ PAKN về quy định, thủ tục hành chính",
    "DOSSIER_RECEIVING_SATISFACTION": "Tỷ lệ hài lòng trong tiếp nhận, giải quyết TTHC",
    "PETITION_PROCESSING_ON_TIME": "Tỷ lệ PAKN xử lý đúng hạn",
    "PETITION_HANDLING_SATISFACTION": "Tỷ lệ hài lòng trong xử lý PAKN",
    "PETITION_CLASSIFICATION_STAFF": "Tỷ lệ PAKN về hành vi cán bộ, công chức, viên chức",
    "ORIGINAL_RESULT_AVAILABLE": (
        "Tỷ lệ hồ sơ thủ tục hành chính có cấp kết quả giải quyết thủ tục hành chính điện tử"
    ),
    "SO_HOA_GIAY_TO_GIAI_QUYET": "Tỷ lệ hồ sơ thủ tục hành chính thực hiện số hóa hồ sơ",
    "REUSED_DIGITIZED_DATA": "Tỷ lệ hồ sơ khai thác, sử dụng lại thông tin, dữ liệu số hóa",
    "SYNCED_WITH_DVCQG_PERSONAL_STORAGE": (
        "Tỷ lệ hồ sơ TTHC được số hóa có kết nối, chia sẻ dữ liệu phục vụ tái sử dụng"
    ),
    "CITIZEN_DATA_CONNECTED_DOSSIER": "Tỷ lệ hồ sơ TTHC có sử dụng thông tin, dữ liệu dân cư",
    "CITIZEN_DATA_CONNECTED_FORMALITY": (
        "Tỷ lệ TTHC triển khai kết nối, chia sẻ dữ liệu dân cư phục vụ GQ TTHC"
    ),
    "ELECTRONIC_CERTIFIED_COPY": "Tỷ lệ cung cấp dịch vụ chứng thực bản sao điện tử từ bản chính",
}
# code -> (name on the portal, max score); the informational metrics the portal lists without
# points are not in the catalogue: max 0
METRICS = {
    code: (name, int(_CATALOGUE[code]["max_points"]) if code in _CATALOGUE else 0)
    for code, name in _PORTAL_NAMES.items()
}
# threshold scoring: points = min(max, max * r / t); every other metric is linear
THRESHOLDS = {
    code: Fraction(row["threshold"])
    for code, row in _CATALOGUE.items()
    if row["scoring_rule"] == "threshold"
}
PAYMENT_SLOPE = Fraction(5, 2)  # PAYMENT B and C: min(2, 2.5 r)
SOURCES = {
    "transparency": "reporting_766_transparency_* and reporting_dvc_calendar Mongo collections",
    "handling-satisfaction": "reporting_766_satisfaction_petition_months, "
    "reporting_766_satisfaction_dossier_periods",
    "dossier-digitized": "reporting_digitized_dossiers_daily Mongo collection",
}
SYNC_QUALITY = (
    "TEMP_NATIONAL_REPORT_DENOMINATOR",
    "Mẫu số BCQG/GRIS đang dùng số tạm, cần thay bằng dữ liệu crawl hệ thống cũ.",
)
NO_SYNC_DATA = ("NO_NATIONAL_REPORT_DATA", "Không có dữ liệu báo cáo tổng hợp.")
# Official-only indicators, drawn per procedure version from a hash (share in 1/1000).
PUBLISH_ON_TIME_PER_MILLE = 850
UPDATE_ON_TIME_PER_MILLE = 900
CONTENT_INCOMPLETE_PER_MILLE = 25
ANNOUNCE_LEAD_DAYS = (2, 30)  # decision date this many calendar days before taking effect
PUBLISH_LEAD_WORKING_DAYS = 5
UPDATE_DELAY_WORKING_DAYS = 8  # publication delay drawn in 0..this
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 20, 500
# Above this many dossiers the per-dossier facts are built with one process per core.
PARALLEL_THRESHOLD = 20_000
FACTS_CHUNK = 2_000
TYPES = {  # unit level -> (departmentType, departmentLevel)
    "PROVINCE": ("PROVINCE", "PROVINCE"),
    "TOWN": ("DISTRICT_PEOPLE_COMMITTEE", "DISTRICT"),
    "TOWN_DEPT": ("DISTRICT_DEPARTMENT", "DISTRICT"),
    "WARD": ("COMMUNE_PEOPLE_COMMITTEE", "COMMUNE"),
    "COMMUNE": ("COMMUNE_PEOPLE_COMMITTEE", "COMMUNE"),
    "WARD_DEPT": ("COMMUNE_DEPARTMENT", "COMMUNE"),
}


class EvaluationError(Exception):
    """A request the portal refuses (HTTP 400)."""


class UnknownGroup(Exception):
    """No such evaluation group (HTTP 404)."""


# --- identifiers ---------------------------------------------------------------------------
def _uuid_like(text: str) -> str:
    """A UUID-v7-looking id derived from a name (the portal's ids look like 019d2be3-…-7…)."""
    h = hashlib.sha1(text.encode()).hexdigest()
    variant = "89ab"[int(h[16], 16) % 4]
    return f"{h[:8]}-{h[8:12]}-7{h[13:16]}-{variant}{h[17:20]}-{h[20:32]}"


def department_id(unit_code: str) -> str:
    """The portal's own id of a unit (`departmentId`): deterministic, from the unit code."""
    return _uuid_like(f"dvcqg:department:{unit_code}")


def formality_id(procedure_code: str) -> str:
    return _uuid_like(f"dvcqg:formality:{procedure_code}")


def department_rows(world: World) -> list[dict]:
    """The `dvcqg_department(department_id, unit_code)` seed: every unit, root included."""
    return [{"department_id": department_id(u.code), "unit_code": u.code} for u in world.units]


# --- periods -------------------------------------------------------------------------------
@dataclass(frozen=True)
class DateSpan:
    """The days a request asks about: a month, quarter, year or a free from/to range."""

    start: dt.date
    stop: dt.date  # exclusive

    @property
    def last_day(self) -> dt.date:
        return self.stop - dt.timedelta(days=1)

    def months(self) -> list[tuple[int, int]]:
        out, d = [], self.start.replace(day=1)
        while d < self.stop:
            out.append((d.year, d.month))
            d = add_months(d, 1)
        return out


def _int(body: dict, name: str, low: int, high: int, default: int | None = None) -> int:
    value = body.get(name, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise EvaluationError(f"{name}: expected an integer, got {value!r}") from None
    if not low <= number <= high:
        raise EvaluationError(f"{name}: {number} is outside {low}..{high}")
    return number


def parse_period(body: dict, group: str) -> DateSpan:
    """`timeType` month/quarter/year (+ year, month | quarter); satisfaction: fromDate/toDate."""
    if group == "handling-satisfaction" or ("fromDate" in body and "timeType" not in body):
        try:
            first = dt.date.fromisoformat(str(body.get("fromDate", ""))[:10])
            last = dt.date.fromisoformat(str(body.get("toDate", ""))[:10])
        except ValueError:
            if "timeType" not in body:
                raise EvaluationError("fromDate and toDate (yyyy-MM-dd) are required") from None
        else:
            if last < first:
                raise EvaluationError("toDate is before fromDate")
            return DateSpan(first, last + dt.timedelta(days=1))
    kind = body.get("timeType")
    year = _int(body, "year", 2000, 2100)
    if kind == "month":
        start = dt.date(year, _int(body, "month", 1, 12), 1)
        return DateSpan(start, add_months(start, 1))
    if kind == "quarter":
        start = dt.date(year, 3 * _int(body, "quarter", 1, 4) - 2, 1)
        return DateSpan(start, add_months(start, 3))
    if kind == "year":
        return DateSpan(dt.date(year, 1, 1), dt.date(year + 1, 1, 1))
    raise EvaluationError(f"timeType: expected month, quarter or year, got {kind!r}")


def _midnight(day: dt.date) -> int:
    return (day.toordinal() - 719163) * DAY - OFFSET


# --- rounding as the portal shows it --------------------------------------------------------
def _r2(x: Fraction) -> Decimal:
    """Half-up to 2 decimals (all values are ≥ 0), exact on fractions."""
    return Decimal(math.floor(x * 100 + Fraction(1, 2))) / 100


def _num(d: Decimal | int | None) -> int | float | None:
    """A JSON number as the portal writes it: 100, 97.75."""
    if d is None:
        return None
    return int(d) if d == int(d) else float(d)


def _percent(n: int, d: int) -> Decimal:
    return _r2(Fraction(100 * n, d))


def _points(code: str, n: int, d: int, max_score: int | None = None) -> Fraction:
    """Points of a metric (d > 0): linear, or thresholded when the rule says so."""
    top = METRICS[code][1] if max_score is None else max_score
    r = Fraction(n, d)
    if code in THRESHOLDS:
        return min(Fraction(top), top * r / THRESHOLDS[code])
    return top * r


# --- per-dossier facts, once per AS_OF ------------------------------------------------------
@dataclass(slots=True)
class Copy:
    """What a national copy (plus the portal's own records) says about one dossier."""

    unit: int
    procedure: str  # MaTTHC
    channel: int  # KenhThucHien
    received: int  # NgayTiepNhan (epoch), -1 if not received (status 1 / 3 or empty)
    due: int  # NgayHenTra, -1 if none
    statutory: int  # the catalogue's due instant, used when there is no NgayHenTra
    terminal: int  # first status-9 step, else 10, else 7 / 8 (QuaTrinhXuLy), -1 if none
    finished: int  # first status-9 step, else 10, -1 if none
    rounds: tuple[tuple[int, int], ...]  # (NgayBoSung, NgayTiepNhanBoSung or -1)
    result_document: bool
    citizen_facing: bool
    fee_bearing: bool
    fee_lines: bool  # DanhSachLePhi has a line with Gia > 0
    paid_online: bool  # DuocThanhToanTrucTuyen 1 or 2
    digitized: bool  # a TaiLieuNop with DuocSoHoa
    reused: bool  # a TaiLieuNop with DuocTaiSuDung 1 or 2
    store: bool  # from the citizen store, or its result pushed to it
    e_result: bool  # a DanhSachGiayToKetQua entry with a file and a result code
    citizen_data: bool  # VNeID account or population-database lookup
    complained: bool  # rated DISSATISFIED, or linked to a PAKN


@dataclass
class Petition:
    unit: int
    received: int
    due: int
    answered: int  # -1 while unanswered at AS_OF
    staff: bool
    disliked: bool
    recomplaint: bool


@dataclass
class Facts:
    at: int
    copies: list[Copy]
    c_unit: np.ndarray
    c_received: np.ndarray
    c_terminal: np.ndarray
    c_finished: np.ndarray
    o_unit: np.ndarray  # one-stop receptions (the province's statistical report)
    o_received: np.ndarray
    o_synced: np.ndarray
    petitions: list[Petition] = field(default_factory=list)
    # Per-unit counts of a window that several groups share (see `_of_window`).
    per_window: dict[tuple[str, int, int], dict[int, Acc]] = field(
        default_factory=dict, repr=False, compare=False
    )


def _instant(value: str) -> int:
    """`yyyyMMddHHmmss` (Vietnam time) -> epoch seconds; -1 for `""`."""
    if not value:
        return -1
    day = dt.date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    return (
        (day.toordinal() - 719163) * DAY
        + int(value[8:10]) * 3600
        + int(value[10:12]) * 60
        + int(value[12:14])
        - OFFSET
    )


def _seconds(t: int | None) -> int:
    """An instant of a national copy as `_fact` reads it: epoch seconds, -1 when absent (what
    `_instant` gives back from the copy's `yyyyMMddHHmmss`, without writing and parsing it)."""
    return -1 if t is None else t


def _version(world: World, code: str, day: dt.date) -> Procedure | None:
    versions = _versions_by_code(world).get(code)
    if not versions:
        return None
    starts = [v.valid_from for v in versions]
    return versions[max(bisect.bisect_right(starts, day) - 1, 0)]


@lru_cache(maxsize=4)
def _versions_by_code(world: World) -> dict[str, list[Procedure]]:
    table: dict[str, list[Procedure]] = defaultdict(list)
    for p in sorted(world.procedures, key=lambda p: (p.code, p.valid_from)):
        table[p.code].append(p)
    return dict(table)


def _fact(world: World, key: int, at: int, linked: frozenset[str]):
    """(unit, one-stop reception or -1, synced?, Copy or None) of one dossier; None if excluded."""
    life = world.life(key)
    if life.inter_agency:
        return None
    onestop = life.accepted if life.accepted is not None and life.accepted <= at else -1
    if life.synced_at(at) is None:
        return (world.unit_index[life.unit.code], onestop, False, None)
    details = Details(world, life)
    copy = national_copy(world, life, at, details, stamp=_seconds)
    unit = world.unit_index.get(copy["MaDonViXuLy"])
    if unit is None:
        return None
    status = int(copy["TrangThaiHoSo"])
    received = copy["NgayTiepNhan"] if status not in (1, 3) else -1
    steps = [(s["ThoiDiemXuLy"], s["TrangThai"]) for s in copy["QuaTrinhXuLy"]]
    first = {}
    for t, state in steps:
        first.setdefault(state, t)
    finished = first.get("9", first.get("10", -1))
    exits = [first[s] for s in ("7", "8") if s in first]
    terminal = finished if finished >= 0 else min(exits, default=-1)
    proc = _version(
        world,
        copy["MaTTHC"],
        local_date(received if received >= 0 else copy["NgayNopHoSo"]),
    )
    due = copy["NgayHenTra"]
    statutory = -1
    if due < 0 and received >= 0 and proc is not None:
        cutoff = dt.time(15, 0) if proc.same_day_cutoff else None
        statutory = world.clock.statutory_due(
            received, proc.processing_time, proc.time_unit, cutoff
        )
    results = [
        r for r in copy["DanhSachGiayToKetQua"] if r["DuongDanTepTinKetQua"] and r["MaGiayToKetQua"]
    ]
    pushed = bool(results) and details.result is not None and details.result["pushedToCitizenStore"]
    files = copy["TaiLieuNop"]
    rated_badly = (
        life.rating is not None and life.rating[0] <= at and life.rating[1] == "DISSATISFIED"
    )
    return (
        unit,
        onestop,
        True,
        Copy(
            unit=unit,
            procedure=copy["MaTTHC"],
            channel=int(copy["KenhThucHien"] or 1),
            received=received,
            due=due,
            statutory=statutory,
            terminal=terminal,
            finished=finished,
            rounds=tuple(
                (s["NgayBoSung"], s["NgayTiepNhanBoSung"]) for s in copy["DanhSachHoSoBoSung"]
            ),
            result_document=bool(proc and proc.result_is_document),
            citizen_facing=bool(proc and proc.citizen_facing),
            fee_bearing=bool(proc and proc.fee),
            fee_lines=any(int(f["Gia"] or 0) > 0 for f in copy["DanhSachLePhi"]),
            paid_online=copy["DuocThanhToanTrucTuyen"] in ("1", "2"),
            digitized=any(f["DuocSoHoa"] == "1" for f in files),
            reused=any(f["DuocTaiSuDung"] in ("1", "2") for f in files),
            store=pushed or any(f["DuocLayTuKhoDMQG"] == "1" for f in files),
            e_result=bool(results),
            citizen_data=copy["TaiKhoanDuocXacThucVoiVNeID"] == "1"
            or "CSDLQG_DAN_CU" in details.databases,
            complained=rated_badly or copy["MaHoSo"] in linked,
        ),
    )


_WORKER: tuple | None = None


def _facts_worker(keys: list[int]) -> list:
    world, at, linked = _WORKER
    return [_fact(world, k, at, linked) for k in keys]


def build_facts(world: World, keys: np.ndarray, at: int) -> Facts:
    """Facts of every dossier visible at `at` (the index's keys) and of every PAKN."""
    pakn = [view for _, view in pakn_at(world, at)]
    linked = frozenset(v["MaHoSo"] for v in pakn if v["MaHoSo"])
    key_list = [int(k) for k in keys]
    processes = min(os.cpu_count() or 1, 8)
    if len(key_list) > PARALLEL_THRESHOLD and processes > 1:
        global _WORKER
        _WORKER = (world, at, linked)
        chunks = [key_list[i : i + FACTS_CHUNK] for i in range(0, len(key_list), FACTS_CHUNK)]
        try:
            rows = [r for part in fork_map(_facts_worker, chunks, processes) for r in part]
        finally:
            _WORKER = None
    else:
        rows = [_fact(world, k, at, linked) for k in key_list]
    rows = [r for r in rows if r is not None]
    copies = [r[3] for r in rows if r[3] is not None]
    petitions = []
    for v in pakn:
        unit = world.unit_index.get(v["MaDonVi"])
        if unit is None:
            continue
        petitions.append(
            Petition(
                unit=unit,
                received=_instant(v["NgayTiepNhan"]),
                due=_instant(v["HanXuLy"]),
                answered=_instant(v["NgayTraLoi"]),
                staff=v["LoaiPAKN"] == "CAN_BO",
                disliked=int(v["SoLuotKhongThich"]) > int(v["SoLuotThich"]),
                recomplaint=v["KhieuNaiLai"] == "1",
            )
        )
    return Facts(
        at=at,
        copies=copies,
        c_unit=np.array([c.unit for c in copies], dtype=np.int16),
        c_received=np.array([c.received for c in copies], dtype=np.int64),
        c_terminal=np.array([c.terminal for c in copies], dtype=np.int64),
        c_finished=np.array([c.finished for c in copies], dtype=np.int64),
        o_unit=np.array([r[0] for r in rows], dtype=np.int16),
        o_received=np.array([r[1] for r in rows], dtype=np.int64),
        o_synced=np.array([r[2] for r in rows], dtype=bool),
        petitions=petitions,
    )


# --- the indicator rules over facts ---------------------------------------------------------
class Acc:
    """Counters and procedure sets of one unit (or, merged, of a subtree) for one period."""

    def __init__(self):
        self.n: Counter[str] = Counter()
        self.sets: dict[str, set[str]] = defaultdict(set)

    def merge(self, other: Acc) -> None:
        self.n.update(other.n)
        for k, v in other.sets.items():
            self.sets[k] |= v


@dataclass(frozen=True)
class Window:
    start: int
    until: int  # T
    catalogue_day: dt.date


def _window(period: DateSpan, at: int) -> Window:
    start = _midnight(period.start)
    until = max(min(_midnight(period.stop), at), start)
    return Window(start, until, min(period.last_day, local_date(at)))


def is_late(c: Copy, until: int, clock) -> bool:
    """indices.md §2: the supplement-adjusted end against the original due."""
    end = c.terminal if 0 <= c.terminal < until else until
    rounds = [(q, r) for q, r in c.rounds if q < end]
    waiting = bool(rounds) and not 0 <= rounds[-1][1] < end
    if waiting and len(rounds) >= 2:
        return True
    done = [(q, r) for q, r in rounds if 0 <= r < end]
    if c.due >= 0:
        adjusted = rounds[-1][0] if waiting else end - sum(r - q for q, r in done)
        return adjusted > c.due
    if c.statutory < 0:
        return False
    adjusted_ws = (
        clock.wsec(rounds[-1][0])
        if waiting
        else clock.wsec(end) - sum(clock.wsec(r) - clock.wsec(q) for q, r in done)
    )
    return adjusted_ws > clock.wsec(c.statutory)


def _positions(mask: np.ndarray) -> list[int]:
    return np.flatnonzero(mask).tolist()


def _received(f: Facts, w: Window) -> list[int]:
    return _positions((f.c_received >= w.start) & (f.c_received < w.until))


def _handled(f: Facts, w: Window) -> list[int]:
    return _positions(
        (f.c_received >= 0)
        & (f.c_received < w.until)
        & ((f.c_terminal < 0) | (f.c_terminal >= w.start))
    )


def _finished(f: Facts, w: Window) -> list[int]:
    return _positions((f.c_finished >= w.start) & (f.c_finished < w.until))


def _handled_accs(world: World, f: Facts, w: Window) -> dict[int, Acc]:
    """Lateness and completion of the dossiers handled in the window, per unit."""
    accs: dict[int, Acc] = defaultdict(Acc)
    copies, clock = f.copies, world.clock
    for p in _handled(f, w):
        c = copies[p]
        a = accs[c.unit]
        late = is_late(c, w.until, clock)
        a.n["handled"] += 1
        a.n["late"] += late
        a.n["unhappy"] += late or c.complained
        if c.channel == 2:
            a.n["online_late" if late else "online_on_time"] += 1
        if w.start <= c.finished < w.until:
            a.n["completed"] += 1
            a.n["work_seconds"] += clock.wsec(c.finished) - clock.wsec(c.received)
    return accs


def _received_accs(world: World, f: Facts, w: Window) -> dict[int, Acc]:
    """Channels, payment, digitisation and procedures of the dossiers received in the
    window, per unit."""
    accs: dict[int, Acc] = defaultdict(Acc)
    copies = f.copies
    for p in _received(f, w):
        c = copies[p]
        a = accs[c.unit]
        a.n["received"] += 1
        a.n[f"channel{c.channel}"] += 1
        if c.channel == 2:
            a.sets["online_procedures"].add(c.procedure)
            a.n["online_with_result"] += not c.result_document or c.e_result
        if c.fee_bearing or c.fee_lines:
            a.n["obligation"] += 1
            if c.paid_online:
                a.n["paid_online"] += 1
                a.sets["paid_procedures"].add(c.procedure)
        if c.fee_lines:
            a.sets["fee_line_procedures"].add(c.procedure)
        finished_before = 0 <= c.finished < w.until
        a.n["so_hoa"] += c.digitized and (not (c.result_document and finished_before) or c.e_result)
        a.n["reused"] += c.reused
        a.n["store"] += c.store
        a.n["citizen_data"] += c.citizen_data
        if c.citizen_facing:
            a.sets["citizen_procedures"].add(c.procedure)
            if c.citizen_data:
                a.sets["citizen_data_procedures"].add(c.procedure)
    return accs


def _of_window(count, world: World, f: Facts, w: Window) -> dict[int, Acc]:
    """`count` over the window, computed once per window and kept with the facts: several
    groups (and the monthly charts) count the same dossiers of the same window."""
    key = (count.__name__, w.start, w.until)
    accs = f.per_window.get(key)
    if accs is None:
        accs = f.per_window[key] = dict(count(world, f, w))
    return accs


def accumulate(group: str, world: World, f: Facts, w: Window) -> dict[int, Acc]:
    """Per-unit counters of one group over one window."""
    accs: dict[int, Acc] = defaultdict(Acc)
    copies = f.copies
    if group in ("dvc-progress-tree", "handling-satisfaction", "provide-online-tree"):
        for unit, counted in _of_window(_handled_accs, world, f, w).items():
            accs[unit].merge(counted)
    if group == "transparency":
        mask = (f.o_received >= w.start) & (f.o_received < w.until)
        for unit, synced in zip(f.o_unit[mask].tolist(), f.o_synced[mask].tolist(), strict=True):
            accs[unit].n["onestop"] += 1
            accs[unit].n["synced"] += synced
    if group in (
        "transparency",
        "provide-online-tree",
        "formality-online-payment-tree",
        "dossier-digitized",
    ):
        for unit, counted in _of_window(_received_accs, world, f, w).items():
            accs[unit].merge(counted)
    if group == "dossier-digitized":
        for p in _finished(f, w):
            c = copies[p]
            if c.result_document and c.received >= 0:
                accs[c.unit].n["finished_documents"] += 1
                accs[c.unit].n["e_results"] += c.e_result
    if group == "handling-satisfaction":
        for pk in f.petitions:
            if not w.start <= pk.received < w.until:
                continue
            a = accs[pk.unit]
            answered = 0 <= pk.answered < w.until
            on_time = pk.answered <= pk.due if answered else pk.due >= w.until
            a.n["petitions"] += 1
            a.n["staff"] += pk.staff
            a.n["petitions_on_time"] += on_time
            a.n["petitions_happy"] += on_time and not pk.disliked and not pk.recomplaint
    return accs


def applicable(world: World, codes: set[str], day: dt.date) -> list[Procedure]:
    """Procedure versions valid on `day` that apply to any of the units (one per code)."""
    return [
        p for p in world.procedures if p.valid_on(day) and not codes.isdisjoint(p.applied_codes)
    ]


# --- official-only indicators (§1, §6): drawn from the catalogue ------------------------------
def _per_mille(text: str) -> int:
    return int(hashlib.sha1(text.encode()).hexdigest()[:8], 16) % 1000


def announcements(world: World, w: Window) -> tuple[int, int, int]:
    """(announced in the window, announced on time, published on time) over the province."""
    cal = world.calendar
    total = publish = update = 0
    for p in world.procedures:
        if p.valid_from <= CATALOGUE_START:
            continue
        tag = f"{p.code}:{p.valid_from.isoformat()}"
        low, high = ANNOUNCE_LEAD_DAYS
        decided = p.valid_from - dt.timedelta(days=low + _per_mille(f"lead:{tag}") % (high - low))
        if not w.start <= _midnight(decided) < w.until:
            continue
        total += 1
        on_time = cal.add_working_days(decided, PUBLISH_LEAD_WORKING_DAYS) <= p.valid_from
        publish += on_time and _per_mille(f"publish:{tag}") < PUBLISH_ON_TIME_PER_MILLE
        update += _per_mille(f"update:{tag}") < UPDATE_ON_TIME_PER_MILLE
    return total, publish, update


def content_full(world: World, day: dt.date) -> tuple[int, int]:
    """(published procedures with all 7 parts, published procedures) of the province."""
    codes = {p.code for p in world.procedures if p.valid_on(day)}
    full = sum(_per_mille(f"content:{c}") >= CONTENT_INCOMPLETE_PER_MILLE for c in codes)
    return full, len(codes)


# --- metric entries ---------------------------------------------------------------------------
def metric(
    code: str, n: int | None, d: int | None, points: Fraction | None, ratio: Decimal | None
) -> dict:
    return {
        "code": code,
        "name": METRICS[code][0],
        "numerator": n,
        "denominator": d,
        "ratio": _num(ratio),
        "score": _num(None if points is None else _r2(points)),
        "maxScore": METRICS[code][1],
    }


def rated(code: str, n: int, d: int, zero: Fraction | None = None, zero_ratio=None) -> dict:
    """A dossier/procedure metric; a zero denominator scores `zero` with ratio `zero_ratio`."""
    if d == 0:
        return metric(code, n, d, zero, zero_ratio)
    return metric(code, n, d, _points(code, n, d), _percent(n, d))


def _total(metrics: list[dict]) -> Decimal:
    return sum(
        (Decimal(str(m["score"])) for m in metrics if m["score"] is not None and m["maxScore"]),
        Decimal(0),
    )


def transparency_metrics(a: Acc, province: dict) -> list[dict]:
    sync_d = max(a.n["onestop"], a.n["received"])
    sync = rated("DOSSIER_SYNC", a.n["synced"], sync_d)
    status, message = SYNC_QUALITY if sync_d else NO_SYNC_DATA
    sync.update(dataQualityStatus=status, dataQualityMessage=message)
    return [*province["transparency"], sync]


def satisfaction_metrics(a: Acc) -> list[dict]:
    petitions = a.n["petitions"]
    staff = a.n["staff"]
    six, nothing = Fraction(6), Decimal(0)

    def share(code, n):
        return metric(code, n, petitions, None, _percent(n, petitions) if petitions else nothing)

    return [
        share("PETITION_CLASSIFICATION_TTHC", petitions - staff),
        rated(
            "DOSSIER_RECEIVING_SATISFACTION",
            a.n["handled"] - a.n["unhappy"],
            a.n["handled"],
            Fraction(0),
            nothing,
        ),
        rated("PETITION_PROCESSING_ON_TIME", a.n["petitions_on_time"], petitions, six, nothing),
        rated("PETITION_HANDLING_SATISFACTION", a.n["petitions_happy"], petitions, six, nothing),
        share("PETITION_CLASSIFICATION_STAFF", staff),
    ]


def digitized_metrics(a: Acc) -> list[dict]:
    received = a.n["received"]
    cf = len(a.sets["citizen_procedures"])
    return [
        rated("ORIGINAL_RESULT_AVAILABLE", a.n["e_results"], a.n["finished_documents"]),
        rated("SO_HOA_GIAY_TO_GIAI_QUYET", a.n["so_hoa"], received),
        rated("REUSED_DIGITIZED_DATA", a.n["reused"], received),
        rated("SYNCED_WITH_DVCQG_PERSONAL_STORAGE", a.n["store"], received),
        rated("CITIZEN_DATA_CONNECTED_DOSSIER", a.n["citizen_data"], received),
        rated("CITIZEN_DATA_CONNECTED_FORMALITY", len(a.sets["citizen_data_procedures"]), cf),
        metric("ELECTRONIC_CERTIFIED_COPY", None, None, Fraction(2), Decimal(100)),
    ]


def progress_counters(a: Acc) -> dict:
    handled, late = a.n["handled"], a.n["late"]
    on_time = handled - late
    score = _r2(Fraction(20 * on_time, handled)) if handled else Decimal(0)
    days = (
        _r2(Fraction(a.n["work_seconds"], a.n["completed"] * WORK_DAY))
        if a.n["completed"]
        else Decimal(0)
    )
    return {
        "totalReceived": handled,
        "totalOnTime": on_time,
        "totalOverdue": late,
        "totalCompleted": a.n["completed"],
        "avgProcessingDays": _num(days),
        "ratio": _num(_percent(on_time, handled) if handled else Decimal(0)),
        "score": _num(score),
    }


def online_counters(a: Acc, procedures: list[Procedure]) -> dict:
    full = sum(p.online_level == "FULL" for p in procedures)
    partial = sum(p.online_level == "PARTIAL" for p in procedures)
    capable = {p.code for p in procedures if p.online_level in ("FULL", "PARTIAL")}
    with_dossiers = len(capable & a.sets["online_procedures"])
    received = a.n["received"]
    parts = [
        _r2(_points("ONLINE_TTHC_PROVIDED", full + partial, len(procedures), 2))
        if procedures
        else Decimal(0),
        _r2(Fraction(4 * with_dossiers, len(capable))) if capable else Decimal(0),
        _r2(_points("ONLINE_DOSSIER_SHARE", a.n["online_with_result"], received, 6))
        if received
        else Decimal(0),
    ]
    total = sum(parts, Decimal(0))
    return {
        "totalScore": _num(total),
        "totalMaxScore": 12,
        "ratio": _num(_r2(Fraction(total) * 100 / 12)),
        "authorityCount": len(procedures),
        "partialCount": partial,
        "fullCount": full,
        "onlineDossierCount": with_dossiers,
        "onlineServiceTotal": len(capable),
        "channelOnlineSum": a.n["channel2"],
        "channelDirectSum": a.n["channel1"],
        "channelPostalSum": a.n["channel3"],
        "channelTotalSum": received,
        "onlineOnTimeSum": a.n["online_on_time"],
        "onlineOverdueSum": a.n["online_late"],
        "onlineDossierPct": _num(_percent(with_dossiers, len(capable)) if capable else Decimal(0)),
    }


def payment_counters(a: Acc, procedures: list[Procedure]) -> dict:
    fee_codes = {p.code for p in procedures if p.fee}
    paid = len(fee_codes & a.sets["paid_procedures"])
    integrated = len(fee_codes & a.sets["fee_line_procedures"])
    obligation = a.n["obligation"]
    two = Fraction(2)
    parts = [
        _r2(Fraction(6 * a.n["paid_online"], obligation)) if obligation else Decimal(0),
        _r2(min(two, PAYMENT_SLOPE * Fraction(paid, len(fee_codes)))) if fee_codes else Decimal(0),
        _r2(min(two, PAYMENT_SLOPE * Fraction(integrated, len(fee_codes))))
        if fee_codes
        else Decimal(0),
    ]
    total = sum(parts, Decimal(0))
    return {
        "totalMaxScore": 10,
        "totalScore": _num(total),
        "totalDossierOnlinePaymentSuccess": a.n["paid_online"],
        "totalDossierFinancialObligation": obligation,
        "totalDossierOnlineFormalityPaymentSuccess": paid,
        "totalFeeDossierFormalityDistinct": len(fee_codes),
        "totalFeeDossierFormality": integrated,
        "totalFeeFormality": len(fee_codes),
        "ratio": _num(_r2(Fraction(total) * 10)),
    }


# --- the service ------------------------------------------------------------------------------
def _depth(world: World, unit: Unit) -> int:
    depth = 0
    while unit.parent_code:
        unit, depth = world.units_by_code[unit.parent_code], depth + 1
    return depth


def _display_name(world: World, unit: Unit) -> str:
    if unit.level in ("TOWN_DEPT", "WARD_DEPT") and unit.parent_code:
        return f"{unit.name} - {world.units_by_code[unit.parent_code].name}"
    return unit.name


class Served(Protocol):
    """What the evaluator reads of a serving simulator: its world, its current AS_OF (epoch
    seconds, may move) and the index of the dossiers that exist at it."""

    world: World
    at: int

    def index(self): ...


class Evaluator:
    """Answers the evaluation surface for one simulator; caches per (AS_OF, request)."""

    def __init__(self, sim: Served):
        self.sim = sim
        self.world = sim.world
        self.by_department = {department_id(u.code): u for u in self.world.units}
        self._facts: OrderedDict[int, Facts] = OrderedDict()
        self._answers: OrderedDict[tuple, dict] = OrderedDict()
        self._lock = threading.Lock()

    def facts(self) -> Facts:
        at = self.sim.at
        with self._lock:
            if at not in self._facts:
                self._facts[at] = build_facts(self.world, self.sim.index().keys, at)
                while len(self._facts) > 2:
                    self._facts.popitem(last=False)
            return self._facts[at]

    def root(self, body: dict) -> Unit:
        unit = self.by_department.get(str(body.get("rootDepartmentId", "")))
        if unit is None:
            raise EvaluationError(
                f"rootDepartmentId không tồn tại: {body.get('rootDepartmentId')!r}"
            )
        return unit

    def evaluation(self, group: str, body: dict) -> dict:
        if group not in GROUPS:
            raise UnknownGroup(group)
        root, period = self.root(body), parse_period(body, group)
        page = _int(body, "currentPage", 1, 10**6, 1)
        size = _int(body, "pageSize", 1, 10**6, DEFAULT_PAGE_SIZE)
        size = min(size, MAX_PAGE_SIZE)
        facts = self.facts()
        key = (facts.at, group, period, root.code)
        with self._lock:
            data = self._answers.get(key)
        if data is None:
            data = self.compute(group, facts, period, root)
            with self._lock:
                self._answers[key] = data
                while len(self._answers) > 128:
                    self._answers.popitem(last=False)
        if group.endswith("-tree"):  # the portal lists every child whatever the page size
            return data
        entries = data["evaluation"]
        chunk = [
            {**e, "stt": (page - 1) * size + i + 1}
            for i, e in enumerate(entries[(page - 1) * size : page * size])
        ]
        out = {k: (chunk if k == "evaluation" else v) for k, v in data.items()}
        out["pagination"] = {
            "total": len(entries),
            "currentPage": page,
            "pageSize": size,
            "totalPages": (len(entries) + size - 1) // size,
        }
        return out

    # --- computing one (group, period, root) ---------------------------------------------
    def units_of(self, root: Unit, period: DateSpan) -> list[Unit]:
        codes = self.world.subtree_codes(root.code) - {root.code}
        return [
            u
            for u in self.world.units
            if u.code in codes
            and u.valid_from <= period.last_day
            and (u.valid_to is None or u.valid_to >= period.start)
        ]

    def compute(self, group: str, facts: Facts, period: DateSpan, root: Unit) -> dict:
        world = self.world
        w = _window(period, facts.at)
        units = self.units_of(root, period)
        accs = accumulate(group, world, facts, w)
        subtree = world.subtree_codes(root.code)
        total = Acc()
        for code in subtree:
            if world.unit_index[code] in accs:
                total.merge(accs[world.unit_index[code]])
        rows = [(u, accs.get(world.unit_index[u.code]) or Acc(), {u.code}) for u in units]
        province = self.province_values(w) if group == "transparency" else {}
        if group.endswith("-tree"):
            return self.tree(group, root, total, subtree, rows, w, facts, period)
        head = self.entry(group, root, total, subtree, w, province)
        body = [self.entry(group, u, a, codes, w, province) for u, a, codes in rows]
        for i, e in enumerate(body):
            e["stt"] = i + 1
        if group == "transparency":
            scores = [Decimal(str(e["totalScore"])) for e in body]
            head["averageScore"] = (
                _num(_r2(Fraction(sum(scores, Decimal(0))) / len(scores))) if scores else None
            )
            return {
                "overview": head,
                "monthlyChart": [],
                "evaluation": body,
                "source": SOURCES[group],
            }
        return {"overview": head, "evaluation": body, "source": SOURCES[group]}

    def province_values(self, w: Window) -> dict:
        total, publish, update = announcements(self.world, w)
        full, published = content_full(self.world, w.catalogue_day)
        return {
            "transparency": [
                rated("PUBLISH_ON_TIME", publish, total),
                rated("PUBLIC_UPDATE_ON_TIME", update, total),
                rated("PUBLIC_CONTENT_FULL", full, published),
            ]
        }

    def identity(self, unit: Unit) -> dict:
        return {
            "departmentId": department_id(unit.code),
            "departmentName": _display_name(self.world, unit),
            "departmentCode": unit.code,
        }

    def entry(
        self, group: str, unit: Unit, a: Acc, codes: set[str], w: Window, province: dict
    ) -> dict:
        kind, level = TYPES[unit.level]
        if group == "transparency":
            metrics = transparency_metrics(a, province)
        elif group == "handling-satisfaction":
            metrics = satisfaction_metrics(a)
        else:
            metrics = digitized_metrics(a)
        total = _total(metrics)
        top = GROUP_MAX[group]
        e = {
            "stt": 1,
            **self.identity(unit),
            "departmentType": kind,
            "departmentLevel": level,
            "agencyLevel": f"level_{_depth(self.world, unit) + 1}",
            "totalScore": _num(total),
            "totalMaxScore": top,
            "ratio": _num(_r2(Fraction(total) * 100 / top)),
            "scoreDelta": None,
            "metrics": metrics,
        }
        if group == "handling-satisfaction":
            e.update(
                totalPetitions=a.n["petitions"],
                classifiedPetitions=a.n["petitions"],
                totalDossiers=a.n["handled"],
                averageScore=None,
            )
        return e

    def tree(self, group, root, total, subtree, rows, w, facts, period) -> dict:
        world = self.world
        level = {u.code: TYPES[u.level][1] for u in world.units}

        def procedures(codes):
            return applicable(world, codes, w.catalogue_day)

        if group == "dvc-progress-tree":
            p = progress_counters(total)
            parent = {
                **self.identity(root),
                **{
                    k: p[k]
                    for k in (
                        "totalReceived",
                        "totalOnTime",
                        "totalCompleted",
                        "avgProcessingDays",
                        "ratio",
                    )
                },
                "totalScore": p["score"],
                "totalMaxScore": 20,
            }
            children = []
            for u, a, _ in rows:
                c = progress_counters(a)
                children.append(
                    {
                        **self.identity(u),
                        "level": level[u.code],
                        **{
                            k: c[k]
                            for k in (
                                "totalReceived",
                                "totalOnTime",
                                "totalOverdue",
                                "avgProcessingDays",
                                "ratio",
                                "score",
                            )
                        },
                        "maxScore": 20,
                        "scoreDelta": None,
                    }
                )
            chart = []
            for month, values in self.monthly(group, facts, period, subtree):
                pct = values["ratio"] if values["totalReceived"] else 0
                late = (
                    _percent(values["totalOverdue"], values["totalReceived"])
                    if values["totalReceived"]
                    else 0
                )
                chart.append({"month": month, "onTimePct": pct, "overduePct": _num(late)})
            return {"parent": parent, "children": children, "monthlyChart": chart}
        if group == "provide-online-tree":
            o = online_counters(total, procedures(subtree))
            parent = {
                **self.identity(root),
                **{k: v for k, v in o.items() if k != "onlineDossierPct"},
            }
            children = []
            for u, a, codes in rows:
                c = online_counters(a, procedures(codes))
                children.append(
                    {
                        **self.identity(u),
                        "level": level[u.code],
                        "totalScore": c["totalScore"],
                        "totalMaxScore": 12,
                        "ratio": c["ratio"],
                        "scoreDelta": None,
                    }
                )
            chart = [
                {"label": month, "onlineDossierPct": values["onlineDossierPct"]}
                for month, values in self.monthly(group, facts, period, subtree)
            ]
            return {"parent": parent, "children": children, "monthlyChart": chart}
        parent = {**self.identity(root), **payment_counters(total, procedures(subtree))}
        children = []
        for u, a, codes in rows:
            c = payment_counters(a, procedures(codes))
            children.append(
                {
                    **self.identity(u),
                    "level": level[u.code],
                    "totalMaxScore": 10,
                    "ratio": c["ratio"],
                    **{k: v for k, v in c.items() if k not in ("totalMaxScore", "ratio")},
                    "scoreDelta": None,
                }
            )
        return {"parent": parent, "children": children}

    def monthly(self, group: str, facts: Facts, period: DateSpan, subtree: set[str]):
        """The root's values for each month of the period's year; 0 outside the period."""
        inside = set(period.months())
        year = period.start.year
        for month in range(1, 13):
            values = None
            if (year, month) in inside:
                start = dt.date(year, month, 1)
                sub = DateSpan(start, add_months(start, 1))
                w = _window(sub, facts.at)
                accs = accumulate(group, self.world, facts, w)
                total = Acc()
                for code in subtree:
                    total.merge(accs.get(self.world.unit_index[code]) or Acc())
                if group == "dvc-progress-tree":
                    values = progress_counters(total)
                else:
                    values = online_counters(
                        total, applicable(self.world, subtree, w.catalogue_day)
                    )
            if values is None:
                values = {"totalReceived": 0, "totalOverdue": 0, "ratio": 0, "onlineDossierPct": 0}
            yield f"{month:02d}", values

    # --- procedures ------------------------------------------------------------------------
    def formalities(self, body: dict) -> dict:
        page = _int(body, "currentPage", 1, 10**6, 1)
        size = min(_int(body, "pageSize", 1, 10**6, DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)
        query = str(body.get("q") or "").strip().lower()
        today = local_date(self.sim.at)
        publisher = department_id(PROVINCE_CODE)
        items = []
        for code, versions in sorted(_versions_by_code(self.world).items()):
            current = next((v for v in reversed(versions) if v.valid_on(today)), None)
            shown = current or versions[-1]
            if query and query not in code.lower() and query not in shown.name.lower():
                continue
            items.append(
                {
                    "id": formality_id(code),
                    "code": code,
                    "name": shown.name,
                    "state": "UPDATED" if current else "INACTIVE",
                    "departmentId": publisher,
                    "publishingDepartmentIds": [publisher],
                    "appliedDepartmentIds": [department_id(c) for c in current.applied_codes]
                    if current
                    else [],
                }
            )
        chunk = items[(page - 1) * size : page * size]
        return {
            "items": chunk,
            "pagination": {
                "total": len(items),
                "currentPage": page,
                "pageSize": size,
                "totalPages": (len(items) + size - 1) // size,
            },
        }


if __name__ == "__main__":  # python -m simulator.evaluation > dvcqg_department.csv
    from simulator.units import build_units

    print("department_id,unit_code")
    for u in build_units():
        print(f"{department_id(u.code)},{u.code}")
