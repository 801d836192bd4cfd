"""The life of one dossier: every dated event from submission to rating, and its national sync.

`generate_life(world, key)` draws everything that has a time from the dossier's own random
stream (seeded from the world seed and the dossier key), so any dossier can be regenerated
alone and identically. The view at an instant (`Life.updated_at`, `Life.status_at`, …) hides
what happens later; the full record (records.py) decorates a life with names and files.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from simulator import profile as P
from simulator.catalogue import SECTORS, Procedure
from simulator.clock import DAY, OFFSET, WORK_DAY
from simulator.keys import stream_seed, unpack
from simulator.units import NEW_WARDS, TOWN, Unit

if TYPE_CHECKING:
    from simulator.catalogue import ProcedureChooser
    from simulator.clock import Clock


class Setting(Protocol):
    """What a dossier's life is drawn from (the world, which imports this module: the
    dependency runs one way, world → life)."""

    seed: int
    units: list[Unit]
    clock: Clock
    chooser: ProcedureChooser
    officers: dict[str, list]


# Vendor status table of the simulated one-stop system (sources.md A.5).
WAITING, ACCEPTED, PROCESSING, SUPPLEMENT, FINANCIAL = 0, 1, 2, 3, 4
WITHDRAWN, STOPPED, DONE, RETURNED, REFUSED = 5, 6, 7, 8, 9
VENDOR_STATUSES = {
    0: ("Chờ tiếp nhận", 1),
    1: ("Đã tiếp nhận", 2),
    2: ("Đang xử lý", 4),
    3: ("Chờ bổ sung", 5),
    4: ("Chờ thực hiện nghĩa vụ tài chính", 6),
    5: ("Đã rút", 7),
    6: ("Dừng xử lý", 8),
    7: ("Có kết quả", 9),
    8: ("Đã trả kết quả", 10),
    9: ("Từ chối tiếp nhận", 3),
}
TERMINAL = {WITHDRAWN, STOPPED, DONE, RETURNED, REFUSED}
NEVER = 2**62  # "no further change"

# Online submissions by hour of day (citizens submit in the evening too).
_HOUR_WEIGHTS = (1, 0.5, 0.3, 0.2, 0.3, 0.8, 2, 5, 9, 10, 9, 7, 4, 5, 8, 9, 8, 6, 4, 4, 5, 5, 4, 2)
_HOUR_CUM = [sum(_HOUR_WEIGHTS[: i + 1]) for i in range(24)]

SUPPLEMENT_NOTES = {
    "DAT_DAI": (
        "Bổ sung bản gốc Giấy chứng nhận quyền sử dụng đất",
        "Bổ sung trích đo địa chính thửa đất",
        "Bổ sung văn bản thỏa thuận của các đồng thừa kế",
        "Tờ khai thuế thu nhập cá nhân chưa đúng mẫu",
    ),
    "XAY_DUNG": ("Bổ sung bản vẽ mặt bằng móng", "Bản vẽ thiết kế chưa có chữ ký của chủ đầu tư"),
}
DEFAULT_SUPPLEMENT_NOTES = (
    "Bổ sung bản sao giấy tờ tùy thân",
    "Tờ khai chưa đủ chữ ký",
    "Bổ sung giấy tờ chứng minh nơi cư trú",
)
REFUSAL_NOTES = (
    "Hồ sơ không thuộc thẩm quyền giải quyết của cơ quan",
    "Thành phần hồ sơ không đúng quy định",
    "Người nộp không phải chủ sử dụng đất hoặc người được ủy quyền hợp pháp",
)
STOP_NOTES = (
    "Công dân không bổ sung hồ sơ theo yêu cầu",
    "Có tranh chấp phát sinh trong quá trình giải quyết",
)
APOLOGY_NOTE = "Xin lỗi công dân vì hồ sơ chậm so với thời hạn, hẹn lại ngày trả kết quả"
CONTACT_NOTES = (
    "Đã gọi điện thông báo cho công dân",
    "Đã gửi tin nhắn SMS cho công dân",
    "Đã gửi thông báo qua Cổng dịch vụ công",
)


@dataclass(slots=True)
class Event:
    t: int
    action: str
    status: int | None  # vendor status after the step; None = unchanged
    from_code: str | None = None
    to_code: str | None = None
    officer: int = 0
    note: str | None = None
    document_no: str | None = None
    new_appointment: int | None = None


@dataclass(slots=True)
class Payment:
    kind: str
    name: str
    amount: int
    method: str | None
    exempt: bool
    paid_at: int | None
    refunded_at: int | None


@dataclass(slots=True)
class Life:
    key: int
    unit: Unit
    seq: int
    procedure: Procedure
    channel: int
    applicant_type: int
    result_by_post: bool
    inter_agency: bool
    submitted: int
    accepted: int | None = None
    appointment: int | None = None
    statutory_due: int | None = None
    events: list[Event] = field(default_factory=list)
    fees: list[Payment] = field(default_factory=list)
    rating: tuple[int, str, str] | None = None
    sync_times: list[int] = field(default_factory=list)
    changes: list[int] = field(default_factory=list)

    # --- the view at an instant -------------------------------------------------------------
    def visible(self, at: int) -> bool:
        return self.submitted <= at

    def updated_at(self, at: int) -> int:
        return self.changes[bisect.bisect_right(self.changes, at) - 1]

    def events_at(self, at: int) -> list[Event]:
        return [e for e in self.events if e.t <= at]

    def status_at(self, at: int) -> int:
        status = WAITING
        for e in self.events:
            if e.t > at:
                break
            if e.status is not None:
                status = e.status
        return status

    def accepted_at(self, at: int) -> int | None:
        return self.accepted if self.accepted is not None and self.accepted <= at else None

    def synced_at(self, at: int) -> int | None:
        """NgayDongBo: the last sync at or before `at`, None while never synced."""
        i = bisect.bisect_right(self.sync_times, at)
        return self.sync_times[i - 1] if i else None

    def next_change(self, at: int) -> int:
        """The first instant after `at` at which the record or its national copy changes."""
        candidates = [
            times[i]
            for times in (self.changes, self.sync_times)
            if (i := bisect.bisect_right(times, at)) < len(times)
        ]
        return min(candidates, default=NEVER)


def _share_over_time(day: dt.date, start: float, end: float) -> float:
    months = (day.year - 2024) * 12 + day.month - 1
    return start + (end - start) * min(max(months / 35, 0.0), 1.0)


def online_share(day: dt.date, tier: dict) -> float:
    share = _share_over_time(day, P.ONLINE_SHARE_START, P.ONLINE_SHARE_END) + tier["online"]
    return min(max(share, 0.2), 0.98)


def digitized_share(day: dt.date, tier: dict) -> float:
    share = _share_over_time(day, P.DIGITIZED_SHARE_START, P.DIGITIZED_SHARE_END)
    return min(max(share + tier["digital"], 0.3), 0.995)


def _weighted(rng: random.Random, weights: dict):
    u = rng.random() * sum(weights.values())
    for value, weight in weights.items():
        u -= weight
        if u <= 0:
            return value
    return value


def handling_unit_code(unit: Unit, procedure: Procedure) -> str:
    """The department that processes a dossier received at a one-stop counter."""
    _, _, town_dept, ward_group = SECTORS[procedure.sector]
    if unit.code == TOWN:
        return town_dept
    if unit.code in NEW_WARDS:
        return f"000.{ward_group}.{unit.code.split('.')[2]}.H31"
    return unit.code


def generate_life(world: Setting, key: int) -> Life:
    unit_index, unix_day, seq = unpack(key)
    unit = world.units[unit_index]
    rng = random.Random(stream_seed(world.seed, key))
    r = rng.random
    clock = world.clock
    day = dt.date.fromordinal(719163 + unix_day)
    working = clock.working_day(unix_day)
    tier = P.TIER[P.UNIT_TIER.get(unit.code, "average")]

    proc = world.chooser.choose(unit.code, day, r())
    for _ in range(10):
        if working or proc.online_level != "NONE":
            break
        proc = world.chooser.choose(unit.code, day, r())
    if not working:
        channel = 2
    else:
        p_online = online_share(day, tier)
        if proc.online_level == "PARTIAL":
            p_online *= P.ONLINE_SHARE_PARTIAL_FACTOR
        elif proc.online_level == "NONE":
            p_online = 0.0
        channel = 2 if r() < p_online else (3 if r() < P.POSTAL_SHARE else 1)

    if channel == 2:
        hour = bisect.bisect_left(_HOUR_CUM, r() * _HOUR_CUM[-1])
        submitted = unix_day * DAY - OFFSET + hour * 3600 + rng.randrange(3600)
    else:
        ordinal = clock.ordinal(unix_day)
        submitted = clock.instant(ordinal * WORK_DAY + rng.randrange(60, WORK_DAY - 1200))
    life = Life(
        key=key,
        unit=unit,
        seq=seq,
        procedure=proc,
        channel=channel,
        applicant_type=_weighted(rng, P.APPLICANT_TYPE_WEIGHTS),
        result_by_post=r() < P.RESULT_BY_POST_SHARE,
        inter_agency=r() < P.INTER_AGENCY_COPY_SHARE,
        submitted=submitted,
    )
    officers = len(world.officers[unit.code])
    counter_officer = rng.randrange(officers)
    events = life.events

    if channel == 2:
        delay = min(rng.expovariate(1 / (P.ONLINE_ACCEPT_DELAY_WORK_HOURS * 3600)), 3 * WORK_DAY)
        accepted = clock.after(submitted, max(delay, 120))
    else:
        accepted = clock.after(submitted, rng.randrange(180, 1500))

    if r() < P.REFUSED_AT_COUNTER_SHARE:
        documented = r() >= P.REFUSAL_WITHOUT_DOCUMENT_SHARE
        events.append(
            Event(
                accepted,
                "REFUSE",
                REFUSED,
                unit.code,
                unit.code,
                counter_officer,
                rng.choice(REFUSAL_NOTES) if documented or r() < 0.5 else None,
                _document_no(rng, "03", accepted) if documented else None,
            )
        )
        _fees(life, rng, accepted, exit_at=accepted)
        _national(life, rng, tier)
        _collect_changes(life)
        return life

    life.accepted = accepted
    cutoff = dt.time(15, 0) if proc.same_day_cutoff else None
    due = clock.statutory_due(accepted, proc.processing_time, proc.time_unit, cutoff)
    life.statutory_due = due
    u = r()
    if u < P.NO_APPOINTMENT_SHARE:
        life.appointment = None
    elif u < P.NO_APPOINTMENT_SHARE + P.HIDDEN_EXTENSION_SHARE:
        extra = rng.randint(1, P.HIDDEN_EXTENSION_MAX_WORKING_DAYS) * WORK_DAY
        life.appointment = clock.after(due, extra)
    else:
        life.appointment = due
    events.append(Event(accepted, "RECEIVE", ACCEPTED, unit.code, unit.code, counter_officer))

    dept = handling_unit_code(unit, proc)
    same_day = proc.same_day_cutoff is not None
    ws0 = clock.wsec(accepted)
    budget = max(clock.wsec(due) - ws0, 900)
    transfer_after = rng.randrange(120, 1200) if same_day else rng.randrange(600, 7200)
    transfer_after = min(transfer_after, budget // 3)
    officer = rng.randrange(officers)
    events.append(
        Event(
            clock.instant(ws0 + transfer_after),
            "TRANSFER",
            PROCESSING,
            unit.code,
            dept,
            counter_officer,
        )
    )

    years = (day.year - 2024) + (day.month - 1) / 12
    p_late = (
        P.SECTOR_LATE_SHARE[proc.sector]
        * tier["late"]
        * max(1 + P.LATE_TREND_PER_YEAR * years, 0.3)
    )
    late = r() < p_late
    if late:
        work = budget + max(1800.0, rng.expovariate(1 / P.LATE_DAYS_MEAN) * WORK_DAY)
    else:
        work = transfer_after + (budget - transfer_after) * (0.15 + 0.85 * r() ** 0.7)

    # pauses: (work offset, kind); the citizen's waiting time shifts everything after it
    pauses: list[tuple[float, str]] = []
    if not same_day and r() < P.SECTOR_SUPPLEMENT_SHARE[proc.sector]:
        pauses.append((work * (0.1 + 0.3 * r()), "SUPPLEMENT"))
        if r() < P.SECOND_SUPPLEMENT_SHARE:
            pauses.append((work * (0.45 + 0.3 * r()), "SUPPLEMENT"))
    if (
        proc.sector == "DAT_DAI"
        and proc.scope == "L"
        and proc.fee
        and (r() < P.FINANCIAL_SHARE_LAND)
    ):
        pauses.append((work * (0.55 + 0.3 * r()), "FINANCIAL"))
    pauses.sort()

    exit_kind = None
    u = r()
    if u < P.WITHDRAW_SHARE:
        exit_kind, exit_work = "WITHDRAW", work * r()
    elif u < P.WITHDRAW_SHARE + P.STOP_SHARE:
        exit_kind, exit_work = "STOP", work * (0.3 + 0.7 * r())

    cursor, done, citizen_wait, open_forever = ws0, 0.0, 0, False
    for offset, kind in pauses:
        if exit_kind and exit_work <= offset:
            break
        cursor += int(max(offset, transfer_after + 60) - done)
        done = max(offset, transfer_after + 60)
        t_request = clock.instant(cursor)
        if kind == "SUPPLEMENT":
            note = (
                None
                if r() < P.SUPPLEMENT_WITHOUT_NOTE_SHARE
                else rng.choice(SUPPLEMENT_NOTES.get(proc.sector, DEFAULT_SUPPLEMENT_NOTES))
            )
            events.append(
                Event(
                    t_request,
                    "REQUEST_SUPPLEMENT",
                    SUPPLEMENT,
                    dept,
                    dept,
                    officer,
                    note,
                    _document_no(rng, "02", t_request),
                )
            )
            wait_days, resume = P.SUPPLEMENT_WAIT_DAYS_MEAN, "SUPPLEMENT_RECEIVED"
            never = r() < P.SUPPLEMENT_NEVER_ANSWERED_SHARE
        else:
            events.append(
                Event(
                    t_request,
                    "REQUEST_FINANCIAL",
                    FINANCIAL,
                    dept,
                    dept,
                    officer,
                    "Thông báo nộp tiền sử dụng đất, lệ phí trước bạ và thuế thu nhập cá nhân",
                )
            )
            wait_days, resume, never = P.FINANCIAL_WAIT_DAYS_MEAN, "FINANCIAL_DONE", False
        t_back = clock.instant(
            clock.wsec(t_request + int(max(0.2, rng.expovariate(1 / wait_days)) * DAY))
        )
        if r() < P.CONTACT_AFTER_PAUSE_SHARE:
            t_contact = clock.after(t_request, rng.uniform(0.02, 1.6) * WORK_DAY)
            if never or t_contact < t_back:
                events.append(
                    Event(
                        t_contact,
                        "CONTACT_CITIZEN",
                        None,
                        dept,
                        dept,
                        officer,
                        rng.choice(CONTACT_NOTES),
                    )
                )
        if never:
            if r() < 0.5:
                t_stop = clock.after(t_request, rng.randint(20, 40) * WORK_DAY)
                events.append(
                    Event(
                        t_stop,
                        "STOP",
                        STOPPED,
                        dept,
                        unit.code,
                        officer,
                        STOP_NOTES[0],
                        _document_no(rng, "05", t_stop),
                    )
                )
                exit_kind = "STOPPED_BY_WAIT"
            else:
                open_forever = True
            break
        events.append(Event(t_back, resume, PROCESSING, unit.code, dept, counter_officer))
        if kind == "SUPPLEMENT":
            citizen_wait += clock.wsec(t_back) - cursor
        cursor = clock.wsec(t_back)

    finish = None
    if exit_kind in ("WITHDRAW", "STOP"):
        t_exit = clock.instant(cursor + int(max(exit_work - done, 60)))
        if exit_kind == "WITHDRAW":
            events.append(
                Event(
                    t_exit,
                    "WITHDRAW",
                    WITHDRAWN,
                    unit.code,
                    unit.code,
                    counter_officer,
                    "Công dân có đơn xin rút hồ sơ",
                )
            )
        else:
            documented = r() >= P.STOP_WITHOUT_DOCUMENT_SHARE
            events.append(
                Event(
                    t_exit,
                    "STOP",
                    STOPPED,
                    dept,
                    unit.code,
                    officer,
                    rng.choice(STOP_NOTES) if documented else None,
                    _document_no(rng, "05", t_exit) if documented else None,
                )
            )
        _fees(life, rng, accepted, exit_at=t_exit)
    elif exit_kind is None and not open_forever:
        finish_ws = cursor + int(max(work - done, 60))
        due_ws = ws0 + budget + citizen_wait
        if not late and finish_ws > due_ws and cursor < due_ws - 1800:
            finish_ws = cursor + int((due_ws - cursor) * (0.3 + 0.7 * r()))  # officers hurry
        finish = clock.instant(finish_ws)
        _apologies(life, rng, clock, finish, due_ws, dept, officer)
        events.append(Event(finish, "COMPLETE", DONE, dept, unit.code, officer))
        _result_and_return(life, rng, clock, finish, dept, tier, counter_officer)
    if exit_kind not in ("WITHDRAW", "STOP"):
        _fees(life, rng, accepted, exit_at=None)
    events.sort(key=lambda e: e.t)
    _national(life, rng, tier)
    _collect_changes(life)
    return life


def _document_no(rng: random.Random, form: str, t: int) -> str:
    year = (dt.datetime(1970, 1, 1) + dt.timedelta(seconds=t + OFFSET)).year
    return f"{rng.randint(1, 999)}/{year}/PM{form}"


def _apologies(
    life: Life, rng: random.Random, clock, finish: int, due_ws: int, dept: str, officer: int
) -> None:
    """Form 04 for dossiers that finish after their (supplement-adjusted) due."""
    finish_ws = clock.wsec(finish)
    if finish_ws <= due_ws:
        return
    u = rng.random()
    if u < P.APOLOGY_FOR_LATE_SHARE:
        t = clock.instant(
            max(due_ws - int(rng.uniform(0.1, 2.0) * WORK_DAY), clock.wsec(life.accepted) + 600)
        )
    elif u < P.APOLOGY_FOR_LATE_SHARE + P.LATE_APOLOGY_SHARE:
        t = clock.instant(due_ws + int((finish_ws - due_ws) * rng.uniform(0.1, 0.9)))
    else:
        return
    new = clock.instant((finish_ws // WORK_DAY + rng.randint(0, 2)) * WORK_DAY + WORK_DAY)
    life.events.append(
        Event(
            t,
            "APOLOGY",
            None,
            dept,
            life.unit.code,
            officer,
            APOLOGY_NOTE,
            _document_no(rng, "04", t),
            new,
        )
    )
    if finish_ws - due_ws > 2 * WORK_DAY and rng.random() < P.SECOND_APOLOGY_SHARE * 4:
        t2 = clock.instant((t_ws := clock.wsec(t)) + max((finish_ws - t_ws) // 2, 600))
        new2 = clock.after(new, rng.randint(2, 5) * WORK_DAY)
        life.events.append(
            Event(
                t2,
                "APOLOGY",
                None,
                dept,
                life.unit.code,
                officer,
                APOLOGY_NOTE,
                _document_no(rng, "04", t2),
                new2,
            )
        )


def _result_and_return(
    life: Life, rng: random.Random, clock, finish: int, dept: str, tier: dict, counter_officer: int
) -> None:
    proc, unit = life.procedure, life.unit
    ready = finish
    if proc.result_is_document and rng.random() < P.RESULT_TO_COUNTER_SHARE * tier["paper"]:
        ready = clock.after(finish, rng.uniform(0.02, 1.4) * WORK_DAY)
        life.events.append(
            Event(ready, "RESULT_TO_COUNTER", None, dept, unit.code, counter_officer)
        )
    if rng.random() < P.RETURN_SHARE:
        wait = rng.expovariate(1 / P.RETURN_DELAY_DAYS_MEAN) * DAY
        returned = clock.instant(clock.wsec(ready + int(wait)))
        life.events.append(
            Event(returned, "RETURN", RETURNED, unit.code, unit.code, counter_officer)
        )
        late = finish > (life.appointment or life.statutory_due or finish)
        if rng.random() < P.RATING_SHARE:
            if late and rng.random() < P.RATING_DISSATISFIED_IF_LATE:
                value = "DISSATISFIED"
            else:
                value = _weighted(rng, P.RATING_WEIGHTS)
            channel = _weighted(rng, P.RATING_CHANNEL_WEIGHTS)
            life.rating = (returned + rng.randrange(30, 3 * 86400), value, channel)


def _fees(life: Life, rng: random.Random, accepted: int, exit_at: int | None) -> None:
    proc = life.procedure
    if not proc.fee:
        return
    if proc.fee >= 100000 and rng.random() < 0.5:
        lines = [
            ("P", "Phí thẩm định hồ sơ", proc.fee * 6 // 10),
            ("LP", "Lệ phí cấp giấy", proc.fee - proc.fee * 6 // 10),
        ]
    else:
        lines = [("LP", "Lệ phí giải quyết thủ tục", proc.fee)]
    exempt = rng.random() < P.FEE_EXEMPT_SHARE
    returned = next((e.t for e in life.events if e.action == "RETURN"), None)
    method, paid = None, None
    if not exempt:
        day = dt.date.fromordinal(719163 + (life.submitted + OFFSET) // DAY)
        pay_online = _share_over_time(day, P.PAY_ONLINE_SHARE_START, P.PAY_ONLINE_SHARE_END)
        if life.channel == 2 and rng.random() < pay_online:
            method = (
                "ONLINE_NATIONAL" if rng.random() < P.PAY_NATIONAL_SHARE else "ONLINE_PROVINCIAL"
            )
            paid = life.submitted + rng.randrange(60, 1800)
        elif life.channel != 2:
            method = "TRANSFER" if rng.random() < P.PAY_TRANSFER_SHARE else "CASH"
            paid = accepted
        elif returned is not None:
            method, paid = "CASH", returned
    refunded = None
    if paid is not None and exit_at is not None and rng.random() < P.REFUND_SHARE_ON_EXIT:
        refunded = max(exit_at, paid) + rng.randrange(3600, 5 * 86400)
    life.fees = [
        Payment(kind, name, amount, method, exempt, paid, refunded) for kind, name, amount in lines
    ]


def _national(life: Life, rng: random.Random, tier: dict) -> None:
    """Sync instants of the national copy (sources.md B.1, C)."""
    if life.inter_agency or life.accepted is None and not life.events:
        return
    if rng.random() < P.NEVER_SYNCED_SHARE * tier["sync_miss"]:
        return
    stale_after = len(life.events) + 1
    if rng.random() < P.STALE_SYNC_SHARE * tier["sync_miss"]:
        stale_after = rng.randint(1, max(len(life.events) - 1, 1))
    events = sorted(life.events, key=lambda e: e.t)
    syncs = []
    for i, event in enumerate(events):
        if i >= stale_after:
            break
        if i == 0 and rng.random() < P.LATE_SYNC_SHARE:
            lag = rng.uniform(1, P.LATE_SYNC_DAYS_MAX) * DAY
        else:
            lag = rng.expovariate(1 / (P.SYNC_LAG_HOURS_MEAN * 3600))
        syncs.append(max(event.t + int(lag) + 1, syncs[-1] if syncs else 0))
    if syncs and stale_after < len(events):
        _resyncs(syncs, events[stale_after:], rng)
    life.sync_times = syncs


def _resyncs(syncs: list[int], missed: list[Event], rng: random.Random) -> None:
    """A stale copy's catch-up sync, then normal syncs of the steps after it (drawn last from
    the dossier's stream, so the instants before the copy went stale are unchanged)."""
    if rng.random() < P.STALE_FOR_MONTHS_SHARE:
        days = rng.uniform(*P.STALE_FOR_MONTHS_DAYS)
    else:
        days = rng.lognormvariate(math.log(P.STALE_RESYNC_DAYS_MEDIAN), P.STALE_RESYNC_SIGMA)
    syncs.append(max(missed[0].t + int(days * DAY), syncs[-1] + 1))
    for event in missed:
        if event.t > syncs[-1]:
            lag = rng.expovariate(1 / (P.SYNC_LAG_HOURS_MEAN * 3600))
            syncs.append(max(event.t + int(lag) + 1, syncs[-1]))


def _collect_changes(life: Life) -> None:
    changes = {life.submitted}
    changes.update(e.t for e in life.events)
    for fee in life.fees:
        if fee.paid_at is not None:
            changes.add(fee.paid_at)
        if fee.refunded_at is not None:
            changes.add(fee.refunded_at)
    if life.rating:
        changes.add(life.rating[0])
    if life.sync_times:
        changes.add(life.sync_times[0])  # the first sync sets nationCode
    life.changes = sorted(changes)
