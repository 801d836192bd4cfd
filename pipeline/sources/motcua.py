"""Client of the provincial one-stop system (sources.md A): token, agencies, procedures, dossiers.

Dossiers are read in `updatedDate` order by keyset paging (see `crawl.py`), so records that
move while we page are met again later instead of being skipped. Records seen twice are
deduplicated by the caller's key.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterator

from pipeline.config import MotcuaSettings
from pipeline.sources.crawl import IncompleteCrawl, KeysetCrawler, Page, is_final
from pipeline.sources.http import (
    RetryPolicy,
    SourceError,
    TransientSourceError,
    http_client,
    parse_json,
)

log = logging.getLogger(__name__)

MAX_PAGE_SIZE = 500
DOSSIER_PATH = "/pa/dossier/search"
# A page filled by one instant is read through by offset over this span from that instant.
# `updatedDate` carries milliseconds, but a source may compare filters at a coarser precision
# (the simulator compares whole seconds): over one second the offset read is right either way,
# whereas a millisecond span could come back empty and skip the rest of a crowded instant.
INSTANT_SPAN = dt.timedelta(seconds=1)


def format_instant(ts: dt.datetime) -> str:
    """ISO timestamp with offset; httpx percent-encodes the `+` of the offset."""
    return ts.isoformat(timespec="milliseconds")


def updated_of(record: object) -> dt.datetime | None:
    """The record's `updatedDate`, None when absent or garbled (the record will be rejected)."""
    if not isinstance(record, dict):
        return None
    try:
        ts = dt.datetime.fromisoformat(str(record.get("updatedDate")))
    except ValueError:
        return None
    return ts if ts.tzinfo else None


class MotcuaClient:
    def __init__(
        self,
        settings: MotcuaSettings,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        page_size: int = MAX_PAGE_SIZE,
        workers: int = 4,
    ):
        self.settings = settings
        self.retry = retry or RetryPolicy()
        self.page_size = min(page_size, MAX_PAGE_SIZE)
        self.workers = workers
        self.requests = 0
        self._token: str | None = None
        self._token_expires = 0.0
        self._lock = threading.Lock()
        self._http = http_client(timeout, connections=max(workers, 2))

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
                raise SourceError(
                    "one-stop system refused the configured credentials "
                    f"(HTTP {response.status_code}); check MOTCUA_USERNAME / MOTCUA_PASSWORD"
                )
            return parse_json(response)

        body = self.retry.call("one-stop token", attempt)
        if not isinstance(body, dict) or not body.get("access_token"):
            raise SourceError("one-stop token endpoint answered without an access_token")
        self._token_expires = time.monotonic() + float(body.get("expires_in", 300)) - 15
        return body["access_token"]

    def _bearer(self, *, stale: str | None = None) -> str:
        """The current token; a new one when it expired or when `stale` was just refused."""
        with self._lock:
            expired = time.monotonic() >= self._token_expires
            if self._token is None or expired or (stale is not None and stale == self._token):
                self._token = self._fetch_token()
            return self._token

    def get(self, path: str, params: dict | None = None) -> object:
        """GET a JSON resource, renewing the token on 401 and retrying transient faults."""
        url = f"{self.settings.base_url}{path}"

        def attempt() -> object:
            with self._lock:
                self.requests += 1
            token = self._bearer()
            response = self._http.get(url, params=params, headers=_auth(token))
            if response.status_code == 401:
                token = self._bearer(stale=token)
                response = self._http.get(url, params=params, headers=_auth(token))
                if response.status_code == 401:
                    raise TransientSourceError(f"token refused twice on {path}")
            return parse_json(response)

        return self.retry.call(f"one-stop GET {path}", attempt)

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
        """Every procedure version, page after page until the announced count is reached (a
        short page or a missing `last` flag ends nothing); fewer than announced fails."""
        page, announced, read = 0, None, 0
        while True:
            body = _spring_page(
                self.get("/pa/procedure/search", {"page": page, "size": self.page_size})
            )
            announced = body.total if announced is None else announced
            read += len(body.records)
            yield from body.records
            if is_final(body, page, self.page_size):
                break
            page += 1
        recount = body.total
        if announced is not None and read < min(announced, recount or announced):
            raise IncompleteCrawl(
                f"one-stop procedures: the portal announced {announced} records "
                f"({recount} on the last page) but the crawl read {read}"
            )

    def dossiers_updated(
        self,
        updated_from: dt.datetime,
        tail_from: dt.datetime | None = None,
        present: dt.datetime | None = None,
    ) -> Iterator[list[dict]]:
        """Pages of every dossier with `updatedDate` ≥ `updated_from`.

        `tail_from` (not later than the source's clock) lets the span before it be read in
        parallel windows; None reads everything in one sequential keyset pass. `present`
        bounds the tail so future-dated records cannot move the cursor (see `crawl.py`).
        """
        return self._crawler({}).crawl(updated_from, tail_from or updated_from, present)

    def dossiers_accepted(
        self, accepted_from: dt.date, accepted_to: dt.date
    ) -> Iterator[list[dict]]:
        """Pages of dossiers accepted on [accepted_from, accepted_to] (backfill, repairs)."""
        filters = {
            "accepted-from": accepted_from.isoformat(),
            "accepted-to": accepted_to.isoformat(),
        }
        start = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        return self._crawler(filters).crawl(start, start)

    def _crawler(self, filters: dict[str, str]) -> KeysetCrawler:
        def fetch(
            lo: dt.datetime, hi: dt.datetime | None, page: int, size: int | None = None
        ) -> Page:
            params = {
                **filters,
                "page": page,
                "size": size or self.page_size,
                "sort": "updatedDate,asc",
                "updated-from": format_instant(lo),
            }
            if hi is not None:
                params["updated-to"] = format_instant(hi)
            return _spring_page(self.get(DOSSIER_PATH, params))

        return KeysetCrawler(
            fetch,
            updated_of,
            INSTANT_SPAN,
            self.workers,
            key_of=record_id,
            page_size=self.page_size,
            label="one-stop dossiers",
        )


def record_id(record: object) -> object:
    return record.get("id") if isinstance(record, dict) else None


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _spring_page(body: object) -> Page:
    """A Spring page; `last` and `totalElements` kept only when they are what they claim."""
    if not isinstance(body, dict) or not isinstance(body.get("content"), list):
        raise SourceError("one-stop page without a `content` list")
    last, total = body.get("last"), body.get("totalElements")
    return Page(
        body["content"],
        last if isinstance(last, bool) else None,
        total if isinstance(total, int) and not isinstance(total, bool) else None,
    )
