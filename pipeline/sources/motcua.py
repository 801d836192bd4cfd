"""Client of the provincial one-stop system (sources.md A): token, agencies, procedures, dossiers.

Dossiers are read in `updatedDate` order by keyset paging: each request starts at the last
`updatedDate` seen, so records that move while we page (their `updatedDate` grows) are met
again later instead of shifting others out of view. Records seen twice are deduplicated by the
caller's key.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterator

import httpx

from pipeline.config import MotcuaSettings
from pipeline.sources.http import RetryPolicy, TransientSourceError, parse_json

log = logging.getLogger(__name__)

MAX_PAGE_SIZE = 500


def format_instant(ts: dt.datetime) -> str:
    """ISO timestamp with offset; httpx percent-encodes the `+` of the offset."""
    return ts.isoformat(timespec="milliseconds")


class MotcuaClient:
    def __init__(
        self,
        settings: MotcuaSettings,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ):
        self.settings = settings
        self.retry = retry or RetryPolicy()
        self.page_size = min(page_size, MAX_PAGE_SIZE)
        self.requests = 0
        self._token: str | None = None
        self._token_expires = 0.0
        self._lock = threading.Lock()
        self._http = httpx.Client(
            timeout=timeout, limits=httpx.Limits(max_connections=8, max_keepalive_connections=8)
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> MotcuaClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _fetch_token(self) -> str:
        def attempt() -> dict:
            response = self._http.post(
                self.settings.token_url,
                data={
                    "grant_type": "password",
                    "client_id": self.settings.client_id,
                    "username": self.settings.username,
                    "password": self.settings.password,
                },
            )
            if response.status_code in (400, 401, 403):
                raise PermissionError(
                    f"one-stop system refused the credentials of {self.settings.username!r} "
                    f"(HTTP {response.status_code})"
                )
            return parse_json(response)

        body = self.retry.call("one-stop token", attempt)
        self._token_expires = time.monotonic() + float(body.get("expires_in", 300)) - 15
        return body["access_token"]

    def _bearer(self, *, renew: bool = False) -> str:
        with self._lock:
            if renew or self._token is None or time.monotonic() >= self._token_expires:
                self._token = self._fetch_token()
            return self._token

    def get(self, path: str, params: dict | None = None) -> object:
        """GET a JSON resource, renewing the token once on 401 and retrying transient faults."""
        url = f"{self.settings.base_url}{path}"

        def attempt() -> object:
            self.requests += 1
            response = self._http.get(url, params=params, headers=self._auth())
            if response.status_code == 401:
                response = self._http.get(url, params=params, headers=self._auth(renew=True))
                if response.status_code == 401:
                    raise TransientSourceError("token refused twice")
            return parse_json(response)

        return self.retry.call(f"one-stop GET {path}", attempt)

    def _auth(self, *, renew: bool = False) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._bearer(renew=renew)}"}

    def agencies(self, root_id: str | None = None) -> Iterator[dict]:
        """Every agency below the root (expired ones included), walked breadth-first."""
        queue = [root_id or self.settings.root_agency_id]
        seen: set[str] = set()
        while queue:
            parent = queue.pop(0)
            children = self.get("/ba/agency/--by-parent-id", {"parent-id": parent})
            for child in children or []:
                child_id = child.get("id") if isinstance(child, dict) else None
                if child_id is None or child_id in seen:
                    continue
                seen.add(child_id)
                queue.append(child_id)
                yield child

    def procedures(self) -> Iterator[dict]:
        page = 0
        while True:
            body = self.get("/pa/procedure/search", {"page": page, "size": self.page_size})
            yield from body.get("content", [])
            if body.get("last", True):
                return
            page += 1

    def dossiers_updated(
        self, updated_from: dt.datetime, updated_to: dt.datetime | None = None
    ) -> Iterator[list[dict]]:
        """Pages of dossiers with `updatedDate` in [updated_from, updated_to), oldest first."""
        cursor = updated_from
        while True:
            params = {
                "page": 0,
                "size": self.page_size,
                "sort": "updatedDate,asc",
                "updated-from": format_instant(cursor),
            }
            if updated_to is not None:
                params["updated-to"] = format_instant(updated_to)
            body = self.get("/pa/dossier/search", params)
            content = body.get("content", [])
            if content:
                yield content
            if body.get("last", True) or not content:
                return
            last = _updated_of(content[-1])
            if last is None or last <= cursor:
                # A whole page shares one updatedDate: page through that instant by offset.
                yield from self._pages_at_instant(cursor)
                cursor = cursor + dt.timedelta(milliseconds=1)
            else:
                cursor = last

    def _pages_at_instant(self, instant: dt.datetime) -> Iterator[list[dict]]:
        page = 1
        while True:
            body = self.get(
                "/pa/dossier/search",
                {
                    "page": page,
                    "size": self.page_size,
                    "sort": "updatedDate,asc",
                    "updated-from": format_instant(instant),
                    "updated-to": format_instant(instant + dt.timedelta(milliseconds=1)),
                },
            )
            content = body.get("content", [])
            if content:
                yield content
            if body.get("last", True) or not content:
                return
            page += 1

    def dossiers_accepted(
        self, accepted_from: dt.date, accepted_to: dt.date
    ) -> Iterator[list[dict]]:
        """Pages of dossiers accepted on [accepted_from, accepted_to] (backfill, repairs)."""
        page = 0
        while True:
            body = self.get(
                "/pa/dossier/search",
                {
                    "page": page,
                    "size": self.page_size,
                    "sort": "updatedDate,asc",
                    "accepted-from": accepted_from.isoformat(),
                    "accepted-to": accepted_to.isoformat(),
                },
            )
            content = body.get("content", [])
            if content:
                yield content
            if body.get("last", True) or not content:
                return
            page += 1


def _updated_of(record: object) -> dt.datetime | None:
    if not isinstance(record, dict):
        return None
    try:
        return dt.datetime.fromisoformat(str(record.get("updatedDate")))
    except ValueError:
        return None
