"""The connectors' request log (SOURCE_REQUEST_LOG, what the benchmark replays) holds what a
replay needs and never a credential: no header, no password, no token, no session."""

from __future__ import annotations

import json

import httpx

from pipeline.sources.http import REQUEST_LOG_ENV, http_client, loggable_request

SECRETS = ("s3cret-password", "tok-123", "sess-456")


def _requests() -> list[httpx.Request]:
    return [
        httpx.Request(
            "POST",
            "http://portal/motcua/auth/realms/digo/protocol/openid-connect/token",
            data={"grant_type": "password", "username": "u", "password": "s3cret-password"},
        ),
        httpx.Request(
            "POST",
            "http://portal/dvcqg/auth",
            json={"username": "u", "password": "s3cret-password"},
        ),
        httpx.Request(
            "POST",
            "http://portal/dvcqg/integration",
            json={
                "session": "sess-456",
                "madonvi": "000.00.00.H31",
                "service": "LayDanhSachPAKN",
                "trang": 2,
            },
        ),
        httpx.Request(
            "GET",
            "http://portal/motcua/pa/dossier/search",
            params={"page": 1, "size": 500},
            headers={"Authorization": "Bearer tok-123"},
        ),
    ]


def test_entries_keep_what_a_replay_needs_and_no_credential():
    token, login, integration, search = map(loggable_request, _requests())
    assert token == {"method": "POST", "url": str(_requests()[0].url), "login": True}
    assert login["login"] is True and "json" not in login
    assert integration["session"] is True
    assert integration["json"] == {
        "session": None,
        "madonvi": "000.00.00.H31",
        "service": "LayDanhSachPAKN",
        "trang": 2,
    }
    assert search == {
        "method": "GET",
        "url": "http://portal/motcua/pa/dossier/search?page=1&size=500",
    }
    text = json.dumps([token, login, integration, search])
    assert not any(secret in text for secret in SECRETS)


def test_clients_log_every_request_only_when_asked(tmp_path, monkeypatch):
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={})

    log = tmp_path / "requests.jsonl"
    monkeypatch.delenv(REQUEST_LOG_ENV, raising=False)
    with http_client(5, 2) as client:
        client._transport = httpx.MockTransport(answer)
        client.get("http://portal/motcua/ba/agency")
    assert not log.exists()
    monkeypatch.setenv(REQUEST_LOG_ENV, str(log))
    with http_client(5, 2) as client:
        client._transport = httpx.MockTransport(answer)
        for request in _requests():
            client.send(request)
    lines = log.read_text().splitlines()
    assert len(lines) == 4
    assert not any(secret in line for line in lines for secret in SECRETS)
