"""Client of the National Public Service Portal (sources.md B): the integration surface (session
login, synced dossier copies, PAKN) and the public evaluation surface (official scores).

Integration lists are read by keyset on their change instant (`NgayDongBo`, `NgayCapNhat`;
see `crawl.py`), in parallel windows before the tail. An expired session (`error_code` "-1")
is renewed and the call repeated; any other non-zero `error_code` is a `SourceError`. Each
worker thread holds its own session: a session the portal drops refuses only the calls of the
thread that holds it, not every call in flight (one shared session under frequent expiry made
every thread's renewed call fail together).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterator

from pipeline.config import DvcqgSettings
from pipeline.periods import Period
from pipeline.seeds import portal_groups
from pipeline.sources.crawl import KeysetCrawler, Page
from pipeline.sources.http import (
    RetryPolicy,
    SourceError,
    TransientSourceError,
    http_client,
    parse_json,
)
from pipeline.workcal import VN_TZ

log = logging.getLogger(__name__)

MAX_RECORDS = 500
COMPACT_FORMAT = "%Y%m%d%H%M%S"
SECOND = dt.timedelta(seconds=1)
SESSION_EXPIRED = "-1"
DOSSIER_COPIES = "LayDanhSachHoSoDongBo"
PETITIONS = "LayDanhSachPAKN"
SOURCE_KEYS = {DOSSIER_COPIES: "MaHoSo", PETITIONS: "MaPAKN"}
EVALUATION_GROUPS = portal_groups()  # the seed dvcqg_portal_groups
# Groups that take a date range instead of `timeType` (observed, reference captures).
DATE_RANGE_GROUPS = frozenset({"handling-satisfaction"})
EVALUATION_PAGE_SIZE = 200


def compact(ts: dt.datetime) -> str:
    """`yyyyMMddHHmmss` in Vietnam time (whole seconds, rounded down)."""
    return ts.astimezone(VN_TZ).strftime(COMPACT_FORMAT)


def parse_compact(value: object) -> dt.datetime | None:
    """A `yyyyMMddHHmmss` Vietnam-time string; None for `""`. Garbled values raise ValueError."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) != 14 or not value.isdigit():
        raise ValueError(f"not a yyyyMMddHHmmss timestamp: {value!r}")
    # fixed-width fields (the format's own definition), read without strptime's regex
    return dt.datetime(
        int(value[0:4]),
        int(value[4:6]),
        int(value[6:8]),
        int(value[8:10]),
        int(value[10:12]),
        int(value[12:14]),
        tzinfo=VN_TZ,
    )


def _key_of(field: str):
    def key(record: object) -> object:
        return record.get(field) if isinstance(record, dict) else None

    return key


def _instant_of(field: str):
    def instant(record: object) -> dt.datetime | None:
        if not isinstance(record, dict):
            return None
        try:
            return parse_compact(record.get(field))
        except ValueError:
            return None

    return instant


def evaluation_body(group: str, period: Period, root_department_id: str, page: int) -> dict:
    body: dict = {
        "rootDepartmentId": root_department_id,
        "currentPage": page,
        "pageSize": EVALUATION_PAGE_SIZE,
    }
    if group in DATE_RANGE_GROUPS:
        body |= {"fromDate": period.start.isoformat(), "toDate": period.end.isoformat()}
    else:
        body |= {"timeType": period.period_type, "year": period.start.year}
        if period.period_type != "year":
            body[period.period_type] = period.number
    return body


class DvcqgClient:
    def __init__(
        self,
        settings: DvcqgSettings,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        page_size: int = MAX_RECORDS,
        workers: int = 4,
    ):
        self.settings = settings
        self.retry = retry or RetryPolicy()
        self.page_size = min(page_size, MAX_RECORDS)
        self.workers = workers
        self.requests = 0
        self.logins = 0
        self._lock = threading.Lock()
        self._thread = threading.local()  # .session: the calling thread's own session
        self._http = http_client(timeout, connections=max(workers, 2))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> DvcqgClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _count(self) -> None:
        with self._lock:
            self.requests += 1

    # --- integration surface (B.1) -----------------------------------------------------------
    def _login(self) -> str:
        def attempt() -> dict:
            self._count()
            response = self._http.post(
                f"{self.settings.base_url}/auth",
                json={"username": self.settings.username, "password": self.settings.password},
            )
            return parse_json(response)

        body = self.retry.call("national portal login", attempt)
        if not isinstance(body, dict) or str(body.get("error_code")) != "0":
            raise SourceError(
                "national portal refused the configured credentials; check DVCQG_USERNAME / "
                "DVCQG_PASSWORD"
            )
        session = str(body["session"])
        with self._lock:
            self.logins += 1
        return session

    def _current_session(self, *, stale: str | None = None) -> str:
        """The calling thread's session: a new one when it has none or `stale` was refused."""
        session = getattr(self._thread, "session", None)
        if session is None or session == stale:
            self._thread.session = None
            session = self._thread.session = self._login()
        return session

    def integration(self, service: str, **keys: object) -> dict:
        """One call of the integration service; the session is renewed when it expired."""
        url = f"{self.settings.base_url}/integration"

        def post(session: str) -> dict:
            self._count()
            body = {"session": session, "madonvi": self.settings.madonvi, "service": service}
            answer = parse_json(self._http.post(url, json={**body, **keys}))
            if not isinstance(answer, dict):
                raise TransientSourceError(f"{service}: answer is not a JSON object")
            return answer

        def attempt() -> dict:
            session = self._current_session()
            answer = post(session)
            if str(answer.get("error_code")) == SESSION_EXPIRED:
                answer = post(self._current_session(stale=session))
                if str(answer.get("error_code")) == SESSION_EXPIRED:
                    raise TransientSourceError(f"{service}: session refused twice")
            return answer

        answer = self.retry.call(f"national portal {service}", attempt)
        code = str(answer.get("error_code"))
        if code != "0":
            raise SourceError(
                f"national portal {service} answered error_code {code}: {answer.get('message')}"
            )
        return answer

    def dossier_copies(
        self,
        synced_from: dt.datetime,
        tail_from: dt.datetime | None = None,
        present: dt.datetime | None = None,
    ) -> Iterator[list[dict]]:
        """Pages of the synced copies (DongBoHoSoMC) with `NgayDongBo` ≥ `synced_from`."""
        return self._crawler(DOSSIER_COPIES, "NgayDongBo").crawl(
            synced_from, tail_from or synced_from, present
        )

    def petitions(
        self,
        updated_from: dt.datetime,
        tail_from: dt.datetime | None = None,
        present: dt.datetime | None = None,
    ) -> Iterator[list[dict]]:
        """Pages of the PAKN with `NgayCapNhat` ≥ `updated_from`."""
        return self._crawler(PETITIONS, "NgayCapNhat").crawl(
            updated_from, tail_from or updated_from, present
        )

    def _crawler(self, service: str, instant_field: str) -> KeysetCrawler:
        def fetch(
            lo: dt.datetime, hi: dt.datetime | None, page: int, size: int | None = None
        ) -> Page:
            keys: dict[str, object] = {
                "tuNgay": compact(lo),
                "trang": page + 1,
                "soBanGhi": size or self.page_size,
            }
            if hi is not None:
                keys["denNgay"] = compact(hi)
            answer = self.integration(service, **keys)
            records = answer.get("result")
            total = answer.get("tongSoBanGhi")
            if not isinstance(records, list) or not isinstance(total, int):
                raise SourceError(f"{service}: answer without `result` list / `tongSoBanGhi`")
            # No `last` flag on this surface: the crawler ends a list by the announced count.
            return Page(records, None, total)

        return KeysetCrawler(
            fetch,
            _instant_of(instant_field),
            SECOND,
            self.workers,
            key_of=_key_of(SOURCE_KEYS[service]),
            page_size=self.page_size,
            label=f"national {service}",
        )

    # --- public evaluation surface (B.2) -----------------------------------------------------
    def _reporting(self, path: str, body: dict) -> object:
        url = f"{self.settings.base_url}/api/v1/reporting/{path}"

        def attempt() -> object:
            self._count()
            return parse_json(self._http.post(url, json=body))

        envelope = self.retry.call(f"national portal {path}", attempt)
        if not isinstance(envelope, dict) or envelope.get("code") != "OK":
            code = envelope.get("code") if isinstance(envelope, dict) else None
            raise SourceError(f"national portal {path} answered code {code!r}, not 'OK'")
        return envelope.get("data")

    def evaluation(self, group: str, period: Period) -> list[dict]:
        """Every page of one group's evaluation for a period: the `data` object of each page."""
        root = self.settings.root_department_id
        pages, page, total_pages = [], 1, 1
        while page <= total_pages:
            data = self._reporting(
                f"evaluation/{group}", evaluation_body(group, period, root, page)
            )
            if not isinstance(data, dict):
                raise SourceError(f"evaluation/{group} {period.typed_key}: `data` is not an object")
            pages.append(data)
            pagination = data.get("pagination")
            if isinstance(pagination, dict) and isinstance(pagination.get("totalPages"), int):
                total_pages = pagination["totalPages"]
            page += 1
        return pages

    def formalities(self) -> Iterator[dict]:
        """The national procedure list (sources.md B.2; page shape assumed like evaluation)."""
        page, total_pages = 1, 1
        while page <= total_pages:
            data = self._reporting(
                "formalities",
                {
                    "rootDepartmentId": self.settings.root_department_id,
                    "currentPage": page,
                    "pageSize": EVALUATION_PAGE_SIZE,
                },
            )
            items = data
            if isinstance(data, dict):
                items = next(
                    (data[k] for k in ("items", "content", "data", "formalities") if k in data),
                    [],
                )
                pagination = data.get("pagination")
                if isinstance(pagination, dict) and isinstance(pagination.get("totalPages"), int):
                    total_pages = pagination["totalPages"]
            if not isinstance(items, list):
                raise SourceError("formalities: no list of procedures in `data`")
            yield from items
            page += 1
