"""Contract of the simulated national evaluation surface (sources.md B.2), over real HTTP.

Every group answers in the shape of the portal's captured responses in
../shared/reference/dvcqg-evaluation (same keys, nesting and JSON types; a null matches any
scalar, since the portal nulls numbers it cannot compute; `departmentCode` may be extra, the
simulator serves it in every group), with HTTP 201, pages, totals that are sums of the rounded
components, bounded scores, byte-identical repeats and one entry per unit alive in the period.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import httpx
import pytest

from simulator.evaluation import department_id
from simulator.server import run_simulator

REFERENCE_DIR = (
    Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "dvcqg-evaluation"
)
ROOT_CODE = "000.00.00.H31"
ROOT = department_id(ROOT_CODE)
METRIC_GROUPS = ("transparency", "handling-satisfaction", "dossier-digitized")
TREE_GROUPS = ("dvc-progress-tree", "provide-online-tree", "formality-online-payment-tree")
GROUP_MAX = {
    "transparency": 18,
    "handling-satisfaction": 18,
    "dossier-digitized": 22,
    "dvc-progress-tree": 20,
    "provide-online-tree": 12,
    "formality-online-payment-tree": 10,
}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
# One item of `POST /api/v1/reporting/formalities` as captured from the portal (manifest.json
# lists formalities/page-1.json; the file itself is not in the reference folder).
FORMALITY_ITEM = {
    "id": "019d2bfe-03ae-70ab-a3d7-d87d3f86c872",
    "code": "1.000010",
    "name": "…",
    "state": "UPDATED",
    "departmentId": "019d2be3-6a81-771b-b66d-4ef4369c303d",
    "publishingDepartmentIds": ["019d2be3-6a81-771b-b66d-4ef4369c303d"],
    "appliedDepartmentIds": ["019d2be3-6a81-771b-b66e-fcabbc583dd6"],
}
FORMALITIES = {
    "code": "OK",
    "message": "OK",
    "data": {
        "items": [FORMALITY_ITEM],
        "pagination": {"total": 5741, "currentPage": 1, "pageSize": 10, "totalPages": 575},
    },
}


def reference_files() -> list[Path]:
    return sorted(p for p in REFERENCE_DIR.glob("*/*.json"))


def payload_for(path: Path) -> dict:
    """The request the reference capture was made with, aimed at the simulated root."""
    group, kind = path.parent.name, path.stem.split("-")[0]
    body = {"rootDepartmentId": ROOT, "currentPage": 1, "pageSize": 200}
    if group == "handling-satisfaction":
        return {**body, "fromDate": "2026-08-01", "toDate": "2026-08-31"}
    if kind == "quarter":
        return {**body, "timeType": "quarter", "year": 2026, "quarter": 3}
    return {**body, "timeType": "month", "year": 2026, "month": 8}


def evaluate(sim, group: str, **body) -> httpx.Response:
    return httpx.post(
        f"{sim.dvcqg_base_url}/api/v1/reporting/evaluation/{group}", json=body, timeout=120
    )


def month_body(year: int, month: int, group: str = "", **extra) -> dict:
    if group == "handling-satisfaction":
        last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
        return {
            "rootDepartmentId": ROOT,
            "fromDate": f"{year}-{month:02d}-01",
            "toDate": last.isoformat(),
            **extra,
        }
    return {"rootDepartmentId": ROOT, "timeType": "month", "year": year, "month": month, **extra}


def data_of(response: httpx.Response) -> dict:
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["code"], body["message"]) == ("OK", "OK")
    return body["data"]


def units_of(data: dict) -> list[dict]:
    return data["evaluation"] if "evaluation" in data else data["children"]


# --- structure ------------------------------------------------------------------------------
def shape(value):
    """Keys, nesting and JSON types; a list becomes its distinct element shapes."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        shapes = {json.dumps(shape(v), sort_keys=True) for v in value}
        return [json.loads(s) for s in sorted(shapes)]
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    return "number" if isinstance(value, int | float) else "string"


def mismatches(mine, ref, path: str = "$") -> list[str]:
    if isinstance(ref, dict) and isinstance(mine, dict):
        errors = []
        extra = set(mine) - set(ref) - {"departmentCode"}
        missing = set(ref) - set(mine)
        if extra or missing:
            errors.append(f"{path}: extra {sorted(extra)}, missing {sorted(missing)}")
        for k in set(ref) & set(mine):
            errors += mismatches(mine[k], ref[k], f"{path}.{k}")
        return errors
    if isinstance(ref, list) and isinstance(mine, list):
        if not ref or not mine:
            return [] if not ref and not mine else [f"{path}: one list is empty"]
        errors = [
            f"{path}[]: {json.dumps(m)[:300]} matches no reference element"
            for m in mine
            if all(mismatches(m, r) for r in ref)
        ]
        errors += [
            f"{path}[]: reference element {json.dumps(r)[:300]} has no match"
            for r in ref
            if all(mismatches(m, r) for m in mine)
        ]
        return errors
    scalar = {"null", "bool", "number", "string"}
    if mine in scalar and ref in scalar and (mine == ref or "null" in (mine, ref)):
        return []
    return [f"{path}: {str(mine)[:80]} where the portal has {str(ref)[:80]}"]


def test_mismatches_reports_what_differs():
    ref = shape({"a": 1, "b": [{"x": None}, {"x": 1, "y": "s"}]})
    assert mismatches(shape({"a": 2.5, "b": [{"x": 3}, {"x": None, "y": "t"}]}), ref) == []
    assert mismatches(shape({"a": "1", "b": [{"x": 3}, {"x": 1, "y": "t"}]}), ref)
    assert mismatches(shape({"a": 1, "b": [{"x": 3}]}), ref)
    assert mismatches(shape({"a": 1, "c": 2, "b": [{"x": 3}, {"x": 1, "y": "t"}]}), ref)


@pytest.mark.parametrize("path", reference_files(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_responses_have_the_reference_shape(sim, path):
    reference = json.loads(path.read_text(encoding="utf-8-sig"))
    response = evaluate(sim, path.parent.name, **payload_for(path))
    assert response.status_code == 201
    assert response.headers["content-type"].startswith("application/json")
    assert mismatches(shape(response.json()), shape(reference)) == []


def test_reference_captures_are_present():
    groups = {p.parent.name for p in reference_files()}
    assert groups == set(METRIC_GROUPS + TREE_GROUPS), f"reference missing in {REFERENCE_DIR}"


def test_formalities_list_procedures(sim):
    url = f"{sim.dvcqg_base_url}/api/v1/reporting/formalities"
    first = httpx.post(url, json={"currentPage": 1, "pageSize": 10}, timeout=60)
    assert first.status_code == 201
    body = first.json()
    assert mismatches(shape(body), shape(FORMALITIES)) == []
    items, pagination = body["data"]["items"], body["data"]["pagination"]
    assert len(items) == 10 and pagination["total"] >= 150
    assert pagination["totalPages"] == math.ceil(pagination["total"] / 10)
    assert all(UUID.match(i["id"]) and i["departmentId"] == ROOT for i in items)
    code = items[3]["code"]
    found = httpx.post(url, json={"q": code, "currentPage": 1, "pageSize": 10}).json()["data"]
    assert [i["code"] for i in found["items"]] == [code]


# --- contents ---------------------------------------------------------------------------------
@pytest.mark.parametrize("group", METRIC_GROUPS)
def test_metric_groups_page_through_every_unit(sim, group):
    whole = data_of(evaluate(sim, group, **month_body(2026, 8, group), pageSize=500))
    pages, page = [], 1
    while True:
        data = data_of(
            evaluate(sim, group, **month_body(2026, 8, group), currentPage=page, pageSize=4)
        )
        assert data["pagination"] == {
            "total": len(whole["evaluation"]),
            "currentPage": page,
            "pageSize": 4,
            "totalPages": math.ceil(len(whole["evaluation"]) / 4),
        }
        assert data["overview"] == whole["overview"]
        pages += data["evaluation"]
        if page >= data["pagination"]["totalPages"]:
            break
        page += 1
    assert pages == whole["evaluation"]
    assert [e["stt"] for e in pages] == list(range(1, len(pages) + 1))
    beyond = data_of(
        evaluate(sim, group, **month_body(2026, 8, group), currentPage=page + 1, pageSize=4)
    )
    assert beyond["evaluation"] == []


@pytest.mark.parametrize("group", TREE_GROUPS)
def test_tree_groups_list_every_child_whatever_the_page_size(sim, group):
    """The portal answered 163 children to pageSize 100 (reference captures)."""
    small = data_of(evaluate(sim, group, **month_body(2026, 8), pageSize=3))
    large = data_of(evaluate(sim, group, **month_body(2026, 8), pageSize=500))
    assert small == large and len(small["children"]) > 3


def half_up(x: Decimal | float) -> Decimal:
    return Decimal(str(x)).quantize(Decimal("0.01"), ROUND_HALF_UP)


@pytest.mark.parametrize("group", METRIC_GROUPS + TREE_GROUPS)
@pytest.mark.parametrize("period", ["month", "quarter", "year"])
def test_totals_are_sums_of_rounded_components_and_scores_are_bounded(sim, group, period):
    body = {
        "rootDepartmentId": ROOT,
        "pageSize": 500,
        "timeType": period,
        "year": 2026,
        "month": 8,
        "quarter": 3,
    }
    if group == "handling-satisfaction":
        first, last = {
            "month": ("2026-08-01", "2026-08-31"),
            "quarter": ("2026-07-01", "2026-09-30"),
            "year": ("2026-01-01", "2026-12-31"),
        }[period]
        body = {"rootDepartmentId": ROOT, "pageSize": 500, "fromDate": first, "toDate": last}
    data = data_of(evaluate(sim, group, **body))
    top = GROUP_MAX[group]
    if group in METRIC_GROUPS:
        for entry in [data["overview"], *data["evaluation"]]:
            scored = [m for m in entry["metrics"] if m["maxScore"]]
            assert sum(m["maxScore"] for m in scored) == entry["totalMaxScore"] == top
            for m in entry["metrics"]:
                if m["score"] is not None:
                    assert 0 <= m["score"] <= m["maxScore"]
                    assert Decimal(str(m["score"])) == half_up(m["score"])
                if m["ratio"] is not None:
                    assert 0 <= m["ratio"] <= 100
                if m["denominator"] is not None and m["numerator"] is not None:
                    assert 0 <= m["numerator"] <= max(m["denominator"], 0) or m["maxScore"] == 0
            total = sum(
                (Decimal(str(m["score"])) for m in scored if m["score"] is not None), Decimal(0)
            )
            assert Decimal(str(entry["totalScore"])) == total
            assert entry["ratio"] == float(half_up(total * 100 / top))
        return
    entries = [data["parent"], *data["children"]]
    for entry in entries:
        score = entry.get("totalScore", entry.get("score"))
        assert 0 <= score <= top and Decimal(str(score)) == half_up(score)
    if group == "dvc-progress-tree":
        for entry in entries:
            received, on_time = entry["totalReceived"], entry["totalOnTime"]
            score = entry.get("totalScore", entry.get("score"))
            assert 0 <= on_time <= received
            expected = half_up(Decimal(20 * on_time) / received) if received else 0
            assert Decimal(str(score)) == expected
        # the root also counts open dossiers of units dissolved before the period
        assert data["parent"]["totalReceived"] >= sum(c["totalReceived"] for c in data["children"])
    elif group == "formality-online-payment-tree":
        for entry in entries:
            assert float(half_up(Decimal(str(entry["totalScore"])) * 10)) == entry["ratio"]
            obligation = entry["totalDossierFinancialObligation"]
            fee_procedures = entry["totalFeeFormality"]
            a = Decimal(entry["totalDossierOnlinePaymentSuccess"]) / obligation if obligation else 0
            parts = [half_up(6 * a)]
            for n in ("totalDossierOnlineFormalityPaymentSuccess", "totalFeeDossierFormality"):
                r = Decimal(entry[n]) / fee_procedures if fee_procedures else Decimal(0)
                parts.append(half_up(min(Decimal(2), Decimal("2.5") * r)))
            assert Decimal(str(entry["totalScore"])) == sum(parts)
    else:
        parent = data["parent"]
        assert (
            parent["channelTotalSum"]
            == parent["channelOnlineSum"] + parent["channelDirectSum"] + parent["channelPostalSum"]
        )
        assert (
            parent["partialCount"] + parent["fullCount"]
            == parent["onlineServiceTotal"]
            <= parent["authorityCount"]
        )
        for entry in entries:
            assert float(half_up(Decimal(str(entry["totalScore"])) * 100 / 12)) == entry["ratio"]


@pytest.mark.parametrize("group", METRIC_GROUPS + TREE_GROUPS)
def test_identical_requests_give_identical_bytes(sim, group):
    body = month_body(2026, 7, group, pageSize=7, currentPage=2)
    assert evaluate(sim, group, **body).content == evaluate(sim, group, **body).content


@pytest.mark.parametrize("group", METRIC_GROUPS + TREE_GROUPS)
def test_units_appear_only_in_periods_they_exist(sim, group):
    """Units of domain.md §2: the new wards from 2025-07-01, the old communes until 06-30."""

    def codes(year, month):
        data = data_of(evaluate(sim, group, **month_body(year, month, group), pageSize=500))
        return [u["departmentCode"] for u in units_of(data)]

    before, after = codes(2025, 3), codes(2025, 9)
    assert "000.00.71.H31" not in before and "000.00.71.H31" in after
    assert "000.21.28.H31" in before and "000.21.28.H31" not in after
    assert ROOT_CODE not in before + after
    assert len(set(after)) == len(after)
    for entry in units_of(data_of(evaluate(sim, group, **month_body(2025, 9, group)))):
        assert entry["departmentId"] == department_id(entry["departmentCode"])


def test_root_counts_every_dossier_of_its_units(sim):
    """Before the reorganisation every unit with dossiers is listed: parent = sum of children."""
    data = data_of(evaluate(sim, "dvc-progress-tree", **month_body(2025, 3)))
    assert data["parent"]["totalReceived"] == sum(c["totalReceived"] for c in data["children"])
    assert data["parent"]["totalOnTime"] == sum(c["totalOnTime"] for c in data["children"])


def test_department_ids_are_served_for_the_seed(sim):
    rows = httpx.get(sim.admin("dvcqg-departments")).json()
    assert {r["unit_code"] for r in rows} >= {ROOT_CODE, "000.00.71.H31", "000.21.28.H31"}
    assert all(UUID.match(r["department_id"]) for r in rows)
    assert len({r["department_id"] for r in rows}) == len(rows)
    assert {r["unit_code"]: r["department_id"] for r in rows}[ROOT_CODE] == ROOT


def integration_rows(sim, service: str) -> list[dict]:
    """Every record of an integration service for the root (sources.md B.1)."""
    session = httpx.post(
        f"{sim.dvcqg_base_url}/auth",
        json={"username": sim.dvcqg_username, "password": sim.dvcqg_password},
    ).json()["session"]
    rows, page = [], 1
    while True:
        body = httpx.post(
            f"{sim.dvcqg_base_url}/integration",
            timeout=60,
            json={
                "session": session,
                "madonvi": ROOT_CODE,
                "service": service,
                "trang": page,
                "soBanGhi": 500,
            },
        ).json()
        rows += body["result"]
        if page * 500 >= body["tongSoBanGhi"]:
            return rows
        page += 1


def test_official_counts_come_from_the_national_copies(sim):
    """Channel sums count national copies received in the month; DOSSIER_SYNC's numerator
    counts one-stop receptions of the month that have a national copy; petitions are the
    PAKN received in the year."""
    august = [
        c
        for c in integration_rows(sim, "LayDanhSachHoSoDongBo")
        if c["NgayTiepNhan"].startswith("202608") and c["TrangThaiHoSo"] not in ("1", "3")
    ]
    parent = data_of(evaluate(sim, "provide-online-tree", **month_body(2026, 8)))["parent"]
    assert parent["channelTotalSum"] == len(august) > 0
    assert parent["channelOnlineSum"] == sum(c["KenhThucHien"] == "2" for c in august)

    petitions = [
        p for p in integration_rows(sim, "LayDanhSachPAKN") if p["NgayTiepNhan"][:4] == "2026"
    ]
    year = {"rootDepartmentId": ROOT, "fromDate": "2026-01-01", "toDate": "2026-12-31"}
    overview = data_of(evaluate(sim, "handling-satisfaction", **year))["overview"]
    assert overview["totalPetitions"] == len(petitions) > 0
    staff = next(m for m in overview["metrics"] if m["code"] == "PETITION_CLASSIFICATION_STAFF")
    assert staff["numerator"] == sum(p["LoaiPAKN"] == "CAN_BO" for p in petitions)

    token = httpx.post(
        sim.token_url,
        data={
            "grant_type": "password",
            "client_id": sim.client_id,
            "username": sim.username,
            "password": sim.password,
        },
    ).json()["access_token"]
    received, page = [], 0
    while True:
        body = httpx.get(
            f"{sim.motcua_base_url}/pa/dossier/search",
            timeout=60,
            headers={"Authorization": f"Bearer {token}"},
            params={
                "accepted-from": "2026-08-01",
                "accepted-to": "2026-08-31",
                "page": page,
                "size": 500,
            },
        ).json()
        received += [d for d in body["content"] if not d["interAgencyCopy"]]
        if body["last"]:
            break
        page += 1
    overview = data_of(evaluate(sim, "transparency", **month_body(2026, 8)))["overview"]
    sync = next(m for m in overview["metrics"] if m["code"] == "DOSSIER_SYNC")
    assert sync["numerator"] == sum(d["nationCode"] is not None for d in received)
    assert sync["denominator"] >= len(received)


def test_warmup_builds_the_facts_of_the_current_as_of(sim):
    body = httpx.post(sim.admin("evaluation-warmup"), timeout=300).json()
    assert body["asOf"].startswith("2026-11-20T08:00:00")
    assert 0 < body["copies"] <= body["dossiers"]


def test_requests_the_portal_refuses(sim):
    assert (
        evaluate(
            sim, "transparency", **{**month_body(2026, 8), "rootDepartmentId": "nope"}
        ).status_code
        == 400
    )
    assert evaluate(sim, "transparency", **month_body(2026, 13)).status_code == 400
    assert (
        evaluate(sim, "transparency", rootDepartmentId=ROOT, timeType="week", year=2026).status_code
        == 400
    )
    assert evaluate(sim, "no-such-group", **month_body(2026, 8)).status_code == 404


def test_evaluation_goes_through_request_faults():
    with run_simulator(scale=0.005, faults={"server_error": 1.0}) as faulty:
        response = evaluate(faulty, "transparency", **month_body(2026, 8))
        assert response.status_code in (500, 502, 503, 504)
        stats = httpx.get(faulty.admin("stats")).json()
        assert stats["faults"]["injected"]["server_error"] >= 1
