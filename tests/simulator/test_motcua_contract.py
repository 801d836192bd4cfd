"""Contract of the one-stop API (sources.md A) over real HTTP."""

from __future__ import annotations

import datetime as dt
import re

import httpx

from simulator.units import agency_id
from tests.simulator.conftest import AS_OF, crawl

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0700$")
DOSSIER_FIELDS = {
    "id",
    "code",
    "nationCode",
    "procedure",
    "agency",
    "applyMethod",
    "resultDelivery",
    "applicant",
    "submittedDate",
    "acceptedDate",
    "appointmentDate",
    "completedDate",
    "returnedDate",
    "updatedDate",
    "dossierStatus",
    "vneidAuthenticated",
    "connectedDatabases",
    "fees",
    "files",
    "rating",
    "history",
    "interAgencyCopy",
}
HISTORY_FIELDS = {
    "seq",
    "at",
    "action",
    "statusId",
    "fromAgencyCode",
    "toAgencyCode",
    "officer",
    "note",
    "documentNo",
    "newAppointmentDate",
}


def ts(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def test_token_is_required_and_checked(sim):
    url = f"{sim.motcua_base_url}/pa/dossier/search"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401
    bad = httpx.post(
        sim.token_url,
        data={
            "grant_type": "password",
            "client_id": sim.client_id,
            "username": sim.username,
            "password": "wrong",
        },
    )
    assert bad.status_code == 401
    good = httpx.post(
        sim.token_url,
        data={
            "grant_type": "password",
            "client_id": sim.client_id,
            "username": sim.username,
            "password": sim.password,
        },
    )
    assert good.json()["expires_in"] == 300 and good.json()["token_type"] == "Bearer"


def test_agency_tree_matches_the_domain(client, sim):
    root_children = client.get(
        "/ba/agency/--by-parent-id", params={"parent-id": sim.root_agency_id}
    ).json()
    codes = {a["code"] for a in root_children}
    assert codes == {"000.00.28.H31", "000.00.71.H31", "000.00.72.H31", "000.00.73.H31"}
    town = next(a for a in root_children if a["code"] == "000.00.28.H31")
    assert town["id"] == agency_id("000.00.28.H31") and town["validTo"] == "2025-06-30"
    assert town["level"] == "TOWN" and town["gsoCode"] == "328"
    below_town = client.get("/ba/agency/--by-parent-id", params={"parent-id": town["id"]}).json()
    levels = sorted(a["level"] for a in below_town)
    assert levels.count("TOWN_DEPT") == 8 and len(below_town) == 21
    cam_xa = next(a for a in below_town if a["code"] == "000.23.28.H31")
    assert cam_xa["name"] == "Xã Cẩm Xá" and cam_xa["successorCode"] == "000.00.71.H31"
    ward = next(a for a in root_children if a["code"] == "000.00.73.H31")
    assert ward["validFrom"] == "2025-07-01" and ward["validTo"] is None
    depts = client.get("/ba/agency/--by-parent-id", params={"parent-id": ward["id"]}).json()
    assert {d["name"] for d in depts} == {
        "Văn phòng HĐND và UBND phường",
        "Phòng Kinh tế, Hạ tầng và Đô thị",
        "Phòng Văn hóa - Xã hội",
    }
    assert all(d["level"] == "WARD_DEPT" for d in depts)


def test_procedure_catalogue(client):
    rows, page = [], 0
    while True:
        body = client.get("/pa/procedure/search", params={"page": page, "size": 50}).json()
        rows += body["content"]
        if body["last"]:
            break
        page += 1
    assert body["totalElements"] == len(rows)
    codes = {r["code"] for r in rows}
    assert len(codes) >= 150
    assert {r["processingTimeUnit"] for r in rows} == {"WORKING_DAY", "DAY", "HOUR", "MONTH"}
    same_day = [r for r in rows if r["sameDayCutoff"]]
    assert same_day and all(
        r["sameDayCutoff"] == "15:00" and r["processingTime"] == 0 for r in same_day
    )
    assert len({r["code"] for r in rows if r["eCertifiedCopy"]}) == 1
    assert {r["level"] for r in rows} == {"FULL", "PARTIAL", "NONE"}
    replaced = [r for r in rows if r["validTo"]]
    assert any(
        r["code"] == s["code"] and s["validFrom"] > r["validTo"] for r in replaced for s in rows
    )
    assert all(r["appliedAgencyCodes"] for r in rows)
    assert any(r["feeAmount"] for r in rows) and any(r["feeAmount"] is None for r in rows)


def test_dossier_shape(client):
    body = client.get("/pa/dossier/search", params={"size": 200, "sort": "updatedDate,desc"}).json()
    assert body["size"] == 200 and len(body["content"]) == 200 and body["number"] == 0
    for d in body["content"]:
        assert set(d) == DOSSIER_FIELDS
        assert re.fullmatch(r"[0-9a-f]{24}", d["id"])
        assert d["code"].startswith(d["agency"]["code"] + "-")
        assert TIMESTAMP.match(d["submittedDate"]) and TIMESTAMP.match(d["updatedDate"])
        assert d["applyMethod"]["id"] in (1, 2, 3)
        applicant = d["applicant"]
        assert re.fullmatch(r"\d{12}", applicant["identityNumber"])
        assert applicant["fullname"] and applicant["address"].endswith("tỉnh Hưng Yên")
        for step in d["history"]:
            assert set(step) == HISTORY_FIELDS and TIMESTAMP.match(step["at"])
        if d["history"]:
            assert d["history"][-1]["statusId"] == d["dossierStatus"]["id"]
            assert ts(d["updatedDate"]) >= ts(d["history"][-1]["at"])
        if d["dossierStatus"]["id"] == 0:
            assert d["acceptedDate"] is None and not d["history"]
        assert ts(d["updatedDate"]) <= dt.datetime.fromisoformat(AS_OF)


def test_size_is_clamped_and_sort_breaks_ties_by_id(client):
    body = client.get("/pa/dossier/search", params={"size": 5000}).json()
    assert body["size"] == 500 and len(body["content"]) == 500
    for direction in ("asc", "desc"):
        content = client.get(
            "/pa/dossier/search", params={"size": 500, "sort": f"updatedDate,{direction}"}
        ).json()["content"]
        keys = [(ts(d["updatedDate"]), d["id"]) for d in content]
        assert keys == sorted(keys, reverse=direction == "desc")


def test_paging_covers_the_truth_exactly(client, truth):
    records = crawl(client)
    ids = [d["id"] for d in records]
    assert len(ids) == len(set(ids)) == truth["count"]
    assert set(ids) == {t["id"] for t in truth["dossiers"]}
    by_id = {t["id"]: t for t in truth["dossiers"]}
    assert all(
        by_id[d["id"]]["updatedDate"] == d["updatedDate"]
        and by_id[d["id"]]["nationCode"] == d["nationCode"]
        for d in records
    )


def test_updated_window_is_inclusive_exclusive_in_every_offset_format(client, truth):
    stamps = sorted(t["updatedDate"] for t in truth["dossiers"])
    lo, hi = stamps[len(stamps) // 3], stamps[2 * len(stamps) // 3]
    expected = sum(lo <= s < hi for s in stamps)
    lo_dt, hi_dt = ts(lo), ts(hi)
    variants = [
        (lo_dt.isoformat(), hi_dt.isoformat()),  # +07:00
        (lo.replace(".000", ""), hi),  # +0700
        (
            lo_dt.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            hi_dt.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        ),
    ]
    for start, end in variants:
        got = client.get(
            "/pa/dossier/search", params={"updated-from": start, "updated-to": end, "size": 1}
        ).json()["totalElements"]
        assert got == expected, (start, end)
    raw = client.get(
        f"/pa/dossier/search?size=1&updated-from={lo_dt.isoformat()}"
        f"&updated-to={hi_dt.isoformat().replace('+', '%2B')}"
    ).json()
    assert raw["totalElements"] == expected
    assert client.get("/pa/dossier/search", params={"updated-from": "yesterday"}).status_code == 400


def test_accepted_and_agency_filters(client):
    ward = agency_id("000.00.72.H31")
    records = crawl(
        client, **{"agency-id": ward, "accepted-from": "2025-10-01", "accepted-to": "2025-10-31"}
    )
    assert records
    for d in records:
        assert d["agency"]["id"] == ward
        assert "2025-10-01" <= d["acceptedDate"][:10] <= "2025-10-31"
    assert (
        client.get("/pa/dossier/search", params={"agency-id": "0" * 24}).json()["totalElements"]
        == 0
    )


def test_world_is_realistic(client, truth):
    records = crawl(client, **{"accepted-from": "2026-01-01", "accepted-to": "2026-06-30"})
    n = len(records)
    online = sum(d["applyMethod"]["id"] == 2 for d in records) / n
    assert 0.55 < online < 0.95
    actions = {s["action"] for d in records for s in d["history"]}
    assert {
        "RECEIVE",
        "TRANSFER",
        "COMPLETE",
        "RETURN",
        "REQUEST_SUPPLEMENT",
        "SUPPLEMENT_RECEIVED",
        "APOLOGY",
        "RESULT_TO_COUNTER",
        "CONTACT_CITIZEN",
    } <= actions
    methods = {f["method"] for d in records for f in d["fees"] if f["status"] == "PAID"}
    assert {"ONLINE_NATIONAL", "ONLINE_PROVINCIAL", "CASH"} <= methods
    finished = [d for d in records if d["completedDate"] and d["appointmentDate"]]
    on_time = sum(d["completedDate"] <= d["appointmentDate"] for d in finished) / len(finished)
    assert 0.8 < on_time < 0.995
    assert any(d["nationCode"] and d["nationCode"] != d["code"] for d in records) or n < 500
