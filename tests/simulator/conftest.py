"""Simulator servers for the contract tests: one shared read-only world, and helpers."""

from __future__ import annotations

import httpx
import pytest

from simulator.server import run_simulator

AS_OF = "2026-11-20T08:00:00+07:00"
SCALE = 0.02


@pytest.fixture(scope="session")
def sim():
    """A shared server whose state the tests never change."""
    with run_simulator(scale=SCALE, as_of=AS_OF) as handle:
        yield handle


@pytest.fixture(scope="session")
def token(sim):
    return fetch_token(sim)


def fetch_token(handle) -> str:
    response = httpx.post(
        handle.token_url,
        data={
            "grant_type": "password",
            "client_id": handle.client_id,
            "username": handle.username,
            "password": handle.password,
        },
    )
    response.raise_for_status()
    return response.json()["access_token"]


@pytest.fixture(scope="session")
def client(sim, token):
    with httpx.Client(
        base_url=sim.motcua_base_url, timeout=60, headers={"Authorization": f"Bearer {token}"}
    ) as c:
        yield c


@pytest.fixture(scope="session")
def truth(sim):
    return httpx.get(sim.admin("truth"), timeout=120).json()


def crawl(client: httpx.Client, **params) -> list[dict]:
    """Every dossier matching the filters, page by page."""
    records, page = [], 0
    while True:
        body = client.get("/pa/dossier/search", params={**params, "page": page, "size": 500}).json()
        records += body["content"]
        if body["last"]:
            return records
        page += 1
