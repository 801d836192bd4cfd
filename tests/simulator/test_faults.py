"""Every fault of sources.md C, switched on through /_sim/faults on a dedicated server."""

from __future__ import annotations

import datetime as dt
import json
import time

import httpx
import pytest

from simulator.faults import parse_fault_specs
from simulator.server import run_simulator
from tests.simulator.conftest import AS_OF, SCALE, crawl, fetch_token

VALID_STATUS = set(range(10))


@pytest.fixture(scope="module")
def faulty():
    with run_simulator(scale=SCALE, as_of=AS_OF, fault_seed=7) as handle:
        yield handle


@pytest.fixture
def set_faults(faulty):
    def apply(**rates):
        slow = rates.pop("slowSeconds", None)
        body = {"rates": rates} if slow is None else {"rates": rates, "slowSeconds": slow}
        response = httpx.post(faulty.admin("faults"), json=body)
        assert response.status_code == 200, response.text

    yield apply
    httpx.post(faulty.admin("faults"), json={"rates": {}})


def motcua(handle, token, timeout=30):
    return httpx.Client(
        base_url=handle.motcua_base_url,
        timeout=timeout,
        headers={"Authorization": f"Bearer {token}"},
    )


def test_fault_specs_are_validated():
    assert parse_fault_specs(["server_error=0.1", "slow=0.5"]) == {"server_error": 0.1, "slow": 0.5}
    with pytest.raises(ValueError):
        parse_fault_specs(["meteor=0.1"])
    with pytest.raises(ValueError):
        parse_fault_specs(["slow=2"])


def test_server_errors_and_rate_limits(faulty, set_faults):
    token = fetch_token(faulty)
    set_faults(server_error=1.0)
    with motcua(faulty, token) as c:
        assert c.get("/pa/dossier/search").status_code in (500, 502, 503, 504)
    set_faults(rate_limit=1.0)
    with motcua(faulty, token) as c:
        response = c.get("/pa/dossier/search")
        assert response.status_code == 429 and response.headers["retry-after"] == "1"
    set_faults(server_error=0.3)
    with motcua(faulty, token) as c:
        codes = [c.get("/pa/dossier/search").status_code for _ in range(40)]
    assert 0 < codes.count(200) < 40
    stats = httpx.get(faulty.admin("stats")).json()
    assert stats["faults"]["injected"]["server_error"] >= 1


def test_slow_responses_pass_the_client_timeout(faulty, set_faults):
    token = fetch_token(faulty)
    set_faults(slow=1.0, slowSeconds=3)
    with motcua(faulty, token, timeout=1) as c, pytest.raises(httpx.ReadTimeout):
        c.get("/pa/dossier/search")


def test_connection_resets_and_truncated_json(faulty, set_faults):
    token = fetch_token(faulty)
    set_faults(reset=1.0)
    with motcua(faulty, token) as c, pytest.raises(httpx.TransportError):
        c.get("/pa/dossier/search", params={"size": 100})
    set_faults(truncate=1.0)
    with motcua(faulty, token) as c:
        response = c.get("/pa/dossier/search", params={"size": 100})
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_token_and_session_expiry(faulty, set_faults):
    token = fetch_token(faulty)
    session = httpx.post(
        f"{faulty.dvcqg_base_url}/auth",
        json={"username": faulty.dvcqg_username, "password": faulty.dvcqg_password},
    ).json()["session"]
    set_faults(token_expiry=1.0)
    with motcua(faulty, token) as c:
        assert c.get("/pa/dossier/search").status_code == 401
    body = httpx.post(
        f"{faulty.dvcqg_base_url}/integration",
        json={
            "session": session,
            "madonvi": faulty.root_agency_code,
            "service": "LayDanhSachHoSoDongBo",
        },
    ).json()
    assert body["error_code"] == "-1" and "session" in body["message"]
    set_faults()
    with motcua(faulty, token) as c:  # the expired token stays expired; a new one works
        assert c.get("/pa/dossier/search").status_code == 401
    with motcua(faulty, fetch_token(faulty)) as c:
        assert c.get("/pa/dossier/search").status_code == 200


def test_tokens_expire_after_their_lifetime():
    with run_simulator(scale=0.002, as_of=AS_OF, token_ttl=1, session_ttl=1) as handle:
        token = fetch_token(handle)
        session = httpx.post(
            f"{handle.dvcqg_base_url}/auth",
            json={"username": handle.dvcqg_username, "password": handle.dvcqg_password},
        ).json()["session"]
        with motcua(handle, token) as c:
            assert c.get("/pa/dossier/search").status_code == 200
            time.sleep(1.5)
            assert c.get("/pa/dossier/search").status_code == 401
        body = httpx.post(
            f"{handle.dvcqg_base_url}/integration",
            json={
                "session": session,
                "madonvi": handle.root_agency_code,
                "service": "LayDanhSachPAKN",
            },
        ).json()
        assert body["error_code"] == "-1"


def test_duplicates_across_pages(faulty, set_faults):
    truth = httpx.get(faulty.admin("truth"), timeout=60).json()
    set_faults(duplicates=1.0)
    with motcua(faulty, fetch_token(faulty)) as c:
        records = crawl(c)
    ids = [d["id"] for d in records]
    assert len(ids) > len(set(ids))
    assert set(ids) == {t["id"] for t in truth["dossiers"]}


def test_paging_faults_short_pages_no_last_flag_and_a_wrong_total(faulty, set_faults):
    """What a crawl must not call complete (issue 16): a page shorter than asked while more
    follow, a Spring page without `last`, a total announcing records that are never served."""
    params = {"page": 0, "size": 50, "sort": "updatedDate,asc"}
    session = httpx.post(
        f"{faulty.dvcqg_base_url}/auth",
        json={"username": faulty.dvcqg_username, "password": faulty.dvcqg_password},
    ).json()["session"]
    national = {
        "session": session,
        "madonvi": faulty.root_agency_code,
        "service": "LayDanhSachHoSoDongBo",
        "trang": 1,
        "soBanGhi": 50,
    }
    with motcua(faulty, fetch_token(faulty)) as c:
        honest = c.get("/pa/dossier/search", params=params).json()
        honest_copies = httpx.post(f"{faulty.dvcqg_base_url}/integration", json=national).json()
        assert len(honest["content"]) == 50 and honest["totalElements"] > 50
        set_faults(short_pages=1.0)
        short = c.get("/pa/dossier/search", params=params).json()
        short_copies = httpx.post(f"{faulty.dvcqg_base_url}/integration", json=national).json()
        set_faults(no_last=1.0)
        unflagged = c.get("/pa/dossier/search", params=params).json()
        set_faults(wrong_total=1.0)
        lying = c.get("/pa/dossier/search", params=params).json()
        lying_copies = httpx.post(f"{faulty.dvcqg_base_url}/integration", json=national).json()
    assert 25 <= len(short["content"]) < 50 and short["last"] is False
    assert short["totalElements"] == honest["totalElements"]
    assert short["content"] == honest["content"][: len(short["content"])]
    assert 25 <= len(short_copies["result"]) < 50
    assert short_copies["tongSoBanGhi"] == honest_copies["tongSoBanGhi"]
    assert "last" not in unflagged and unflagged["content"] == honest["content"]
    assert 1 <= lying["totalElements"] - honest["totalElements"] <= 3
    assert lying["content"] == honest["content"]
    assert 1 <= lying_copies["tongSoBanGhi"] - honest_copies["tongSoBanGhi"] <= 3


def test_shifting_records_move_the_clock_during_a_crawl(faulty, set_faults):
    before = httpx.get(faulty.admin("stats")).json()
    set_faults(shift=0.5)
    with motcua(faulty, fetch_token(faulty)) as c:
        records = crawl(c)
    after = httpx.get(faulty.admin("stats")).json()
    assert after["asOf"] > before["asOf"]
    truth = httpx.get(faulty.admin("truth"), timeout=60).json()
    truth_ids = {t["id"] for t in truth["dossiers"]}
    assert {d["id"] for d in records} <= truth_ids
    assert max(d["updatedDate"] for d in records) > before["asOf"]
    httpx.post(faulty.admin("as-of"), json={"as_of": AS_OF})


def _problems(record: dict) -> list[str]:
    """What a connector's validation would reject."""
    problems = []
    for key in ("agency", "procedure", "dossierStatus", "submittedDate", "updatedDate"):
        if key not in record:
            problems.append(f"missing {key}")
    if record.get("dossierStatus", {}).get("id") not in VALID_STATUS:
        problems.append("unknown status")
    try:
        updated = dt.datetime.fromisoformat(str(record.get("updatedDate")))
    except ValueError:
        problems.append("bad date")
    else:
        # well formed, but years past any clock: an impossible change instant
        if updated.tzinfo is None or updated > dt.datetime.now(dt.UTC) + dt.timedelta(days=365):
            problems.append("future date")
    if not isinstance(record.get("applyMethod", {}).get("id"), int):
        problems.append("wrong type")
    return problems


def _compact_ok(value) -> bool:
    if value == "":
        return True
    try:
        dt.datetime.strptime(str(value), "%Y%m%d%H%M%S")
    except ValueError:
        return False
    return len(value) == 14


def test_malformed_records_are_listed_by_the_truth(faulty, set_faults):
    set_faults(malformed=0.05)
    truth = httpx.get(faulty.admin("truth"), timeout=60).json()
    malformed = set(truth["malformedIds"])
    assert 0.02 * truth["count"] < len(malformed) < 0.08 * truth["count"]
    with motcua(faulty, fetch_token(faulty)) as c:
        records = crawl(c)
    for record in records:
        assert bool(_problems(record)) == (record["id"] in malformed), record["id"]
    again = httpx.get(faulty.admin("truth"), timeout=60).json()
    assert set(again["malformedIds"]) == malformed  # deterministic
    session = httpx.post(
        f"{faulty.dvcqg_base_url}/auth",
        json={"username": faulty.dvcqg_username, "password": faulty.dvcqg_password},
    ).json()["session"]
    body = httpx.post(
        f"{faulty.dvcqg_base_url}/integration",
        json={
            "session": session,
            "madonvi": faulty.root_agency_code,
            "trang": 1,
            "soBanGhi": 500,
            "service": "LayDanhSachHoSoDongBo",
        },
        timeout=60,
    ).json()
    bad = set(truth["malformedNationalCodes"])
    for row in body["result"]:
        broken = (
            not _compact_ok(row.get("NgayTiepNhan"))
            or row.get("TrangThaiHoSo") not in {str(i) for i in range(1, 11)}
            or "MaDonViXuLy" not in row
            or not isinstance(row.get("KenhThucHien"), str)
        )
        assert broken == (row["MaHoSo"] in bad), row["MaHoSo"]


def test_schema_drift_adds_unknown_fields(faulty, set_faults):
    set_faults(drift=0.5)
    with motcua(faulty, fetch_token(faulty)) as c:
        content = c.get("/pa/dossier/search", params={"size": 200}).json()["content"]
    drifted = [d for d in content if "extendedAttributes" in d]
    assert 0 < len(drifted) < len(content)


def test_stats_count_requests_per_endpoint(faulty):
    httpx.delete(faulty.admin("stats"))
    token = fetch_token(faulty)
    with motcua(faulty, token) as c:
        newest = c.get("/pa/dossier/search", params={"size": 1, "sort": "updatedDate,desc"}).json()[
            "content"
        ][0]["updatedDate"]
        body = c.get("/pa/dossier/search", params={"updated-from": newest, "size": 500}).json()
    assert body["totalPages"] == 1
    requests = httpx.get(faulty.admin("stats")).json()["requests"]
    assert requests["/motcua/pa/dossier/search"] == 2


def test_a_request_given_up_on_never_moves_the_world_later():
    """A slow request is handled when it arrives, only its answer is late: once its client
    gave up, it cannot move the world (fault `shift`) behind the client's back, e.g. after a
    crawl ended and before its result is checked against the truth."""
    with run_simulator(scale=0.002, as_of=AS_OF, fault_seed=7) as handle:
        session = httpx.post(
            f"{handle.dvcqg_base_url}/auth",
            json={"username": handle.dvcqg_username, "password": handle.dvcqg_password},
        ).json()["session"]
        response = httpx.post(
            handle.admin("faults"), json={"rates": {"slow": 1.0, "shift": 1.0}, "slowSeconds": 3}
        )
        assert response.status_code == 200, response.text
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(
                f"{handle.dvcqg_base_url}/integration",
                json={
                    "session": session,
                    "madonvi": handle.root_agency_code,
                    "service": "LayDanhSachHoSoDongBo",
                },
                timeout=1,
            )
        moved = httpx.get(handle.admin("stats")).json()["asOf"]
        time.sleep(3.5)
        assert httpx.get(handle.admin("stats")).json()["asOf"] == moved
        assert moved == "2026-11-20T09:00:00.000+0700"
