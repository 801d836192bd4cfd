"""The one-stop dossier object of sources.md A.4, as seen at an instant.

A life (life.py) gives the dated events; this module adds what has no time of its own —
applicant, files and their digitisation flags, VNeID and database use — from the dossier's
second random stream, then hides everything that happens after the viewing instant.
"""

from __future__ import annotations

import functools
import random
from typing import TYPE_CHECKING

from simulator import profile as P
from simulator.catalogue import SECTOR_COMPONENTS, SECTOR_DATABASES
from simulator.clock import day_strings, iso, local_date
from simulator.keys import dossier_id, stream_seed, unpack
from simulator.life import VENDOR_STATUSES, Life, digitized_share
from simulator.people import applicant
from simulator.units import place_name

if TYPE_CHECKING:
    from simulator.world import World

FILE_HOST = "https://motcua.hungyen.gov.vn/files"


def dossier_code(world: World, key: int) -> str:
    """`<agency code>-<yyMMdd>-<seq>`; the key's day is the submission day."""
    unit_index, unix_day, seq = unpack(key)
    return f"{world.units[unit_index].code}-{day_strings(unix_day)[1][2:]}-{seq + 1:04d}"


# Both portals and the evaluation ask for a dossier's national code (a random stream of its
# own): kept for the dossiers of a demo-size world, so that a crawl of one portal after the
# other draws each once (bounded: about 40 MB when full).
@functools.lru_cache(maxsize=1 << 18)
def nation_code(world: World, key: int) -> str:
    """MaHoSo: the local code, or for a few dossiers a code the sync invented."""
    code = dossier_code(world, key)
    rng = random.Random(stream_seed(world.seed, key, 2))
    if rng.random() >= P.NATION_CODE_DIFFERS_SHARE:
        return code
    return f"{code[:-5]}-{rng.randrange(10**5):05d}"


class Details:
    """Everything of a dossier drawn from its second random stream (independent of time)."""

    __slots__ = ("applicant", "vneid", "databases", "components", "result", "reused")

    def __init__(self, world: World, life: Life):
        rng = random.Random(stream_seed(world.seed, life.key, 1))
        proc = life.procedure
        tier = P.TIER[P.UNIT_TIER.get(life.unit.code, "average")]
        place = place_name(life.unit, world.units_by_code)
        self.applicant = applicant(rng, life.applicant_type, place)
        online = life.channel == 2
        self.vneid = rng.random() < (P.VNEID_SHARE_ONLINE if online else 0.1)
        databases = SECTOR_DATABASES.get(proc.sector, ("CSDLQG_DAN_CU",))
        self.databases = list(databases) if rng.random() < P.POPULATION_DB_SHARE else []
        names = SECTOR_COMPONENTS[proc.sector]
        digitized = online or rng.random() < digitized_share(local_date(life.submitted), tier)
        reused_at = rng.randrange(len(names)) if rng.random() < P.REUSE_SHARE else -1
        from_store = online and rng.random() < P.FROM_CITIZEN_STORE_SHARE
        self.reused = reused_at >= 0
        self.components = []
        for i in range(rng.randint(1, len(names))):
            file_id = f"{rng.getrandbits(96):024x}"
            self.components.append(
                {
                    "id": file_id,
                    "kind": "COMPONENT",
                    "name": f"{names[i]}.pdf",
                    "componentCode": f"{proc.code}.TP{i + 1:02d}",
                    "resultCode": None,
                    "url": f"{FILE_HOST}/{file_id}",
                    "digitized": digitized and (i == 0 or rng.random() < 0.9),
                    "reuse": (2 if rng.random() < 0.3 else 1) if i == reused_at else 0,
                    "fromCitizenStore": from_store and i == 0,
                    "signed": False,
                    "pushedToCitizenStore": False,
                }
            )
        self.result = None
        if proc.result_is_document and rng.random() < P.E_RESULT_SHARE + tier["digital"] / 2:
            file_id = f"{rng.getrandbits(96):024x}"
            self.result = {
                "id": file_id,
                "kind": "RESULT",
                "name": f"Kết quả - {proc.name[:80]}.pdf",
                "componentCode": None,
                "resultCode": proc.result_code,
                "url": f"{FILE_HOST}/{file_id}",
                "digitized": True,
                "reuse": 0,
                "fromCitizenStore": False,
                "signed": rng.random() < P.SIGNED_RESULT_SHARE,
                "pushedToCitizenStore": rng.random() < P.PUSH_TO_CITIZEN_STORE_SHARE,
            }


def fee_lines(life: Life, at: int) -> list[dict]:
    lines = []
    for i, fee in enumerate(life.fees):
        if fee.exempt:
            status, method, paid = "EXEMPT", None, None
        elif fee.refunded_at is not None and fee.refunded_at <= at:
            status, method, paid = "REFUNDED", fee.method, fee.paid_at
        elif fee.paid_at is not None and fee.paid_at <= at:
            status, method, paid = "PAID", fee.method, fee.paid_at
        else:
            status, method, paid = "UNPAID", None, None
        lines.append(
            {
                "code": f"{life.procedure.code}.{fee.kind}{i + 1}",
                "name": fee.name,
                "kind": fee.kind,
                "amount": fee.amount,
                "status": status,
                "method": method,
                "paidDate": iso(paid),
                "receiptNo": f"BL{life.key % 10**7:07d}{i}" if paid is not None else None,
            }
        )
    return lines


def dossier_json(world: World, life: Life, at: int) -> dict:
    """The dossier as GET /pa/dossier/search returns it at instant `at`."""
    details = Details(world, life)
    unit, proc = life.unit, life.procedure
    events = life.events_at(at)
    status = life.status_at(at)
    officers = world.officers
    history, current = [], 0
    for i, e in enumerate(events):
        current = current if e.status is None else e.status
        pool = officers.get(e.from_code or unit.code) or officers[unit.code]
        history.append(
            {
                "seq": i + 1,
                "at": iso(e.t),
                "action": e.action,
                "statusId": current,
                "fromAgencyCode": e.from_code,
                "toAgencyCode": e.to_code,
                "officer": pool[e.officer % len(pool)],
                "note": e.note,
                "documentNo": e.document_no,
                "newAppointmentDate": iso(e.new_appointment),
            }
        )
    accepted = life.accepted_at(at)
    completed = next((e.t for e in events if e.action == "COMPLETE"), None)
    returned = next((e.t for e in events if e.action == "RETURN"), None)
    files = list(details.components)
    if details.result is not None and completed is not None:
        files.append(details.result)
    synced = life.synced_at(at)
    rating = None
    if life.rating and life.rating[0] <= at:
        rating = {
            "value": life.rating[1],
            "ratedAt": iso(life.rating[0]),
            "channel": life.rating[2],
        }
    return {
        "id": dossier_id(world.seed, life.key),
        "code": dossier_code(world, life.key),
        "nationCode": nation_code(world, life.key) if synced is not None else None,
        "procedure": {"id": proc.id, "code": proc.code, "name": proc.name},
        "agency": {"id": unit.id, "code": unit.code, "name": unit.name},
        "applyMethod": {"id": life.channel},
        "resultDelivery": "POST" if life.result_by_post else "COUNTER",
        "applicant": details.applicant,
        "submittedDate": iso(life.submitted),
        "acceptedDate": iso(accepted),
        "appointmentDate": iso(life.appointment) if accepted is not None else None,
        "completedDate": iso(completed),
        "returnedDate": iso(returned),
        "updatedDate": iso(life.updated_at(at)),
        "dossierStatus": {"id": status, "name": VENDOR_STATUSES[status][0]},
        "vneidAuthenticated": details.vneid,
        "connectedDatabases": details.databases,
        "fees": fee_lines(life, at),
        "files": files,
        "rating": rating,
        "history": history,
        "interAgencyCopy": life.inter_agency,
    }
