"""HTTP plumbing shared by the connectors: bounded retries, backoff with jitter, Retry-After.

A source that stays down raises `SourceUnavailable` with a clear message; nothing downstream
sees a partial success. A source that answers but refuses the request (4xx other than the
retryable ones, an error envelope) raises `SourceError`: retrying would not help.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import orjson
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

log = logging.getLogger(__name__)

RETRYABLE_STATUS = {408, 425, 429, 500, 502, 503, 504}
# A portal asking for longer than this is treated as down for this attempt, not waited on.
MAX_RETRY_AFTER = 120.0


class SourceError(RuntimeError):
    """The source answered, but not with what the connector asked for."""


class SourceUnavailable(SourceError):
    """The source kept failing after every retry."""


class TransientSourceError(Exception):
    """A failure worth retrying: 5xx, 429, timeout, reset connection, truncated body, session."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


def _retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def parse_json(response: httpx.Response) -> Any:
    """The body as JSON; a truncated or garbled body is transient (the next try may be whole)."""
    path = response.request.url.path
    if response.status_code in RETRYABLE_STATUS:
        raise TransientSourceError(
            f"HTTP {response.status_code} from {path}",
            retry_after=_retry_after_seconds(response),
        )
    if response.status_code >= 400:
        raise SourceError(f"HTTP {response.status_code} from {path}")
    try:
        # orjson parses a page several times faster; it refuses what the standard parser
        # accepts (a lone surrogate escape, NaN, integers past 64 bits), and such a body is
        # parsed again the standard way so that only the bad record is rejected, not the page.
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        pass
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TransientSourceError(f"unreadable JSON from {path}: {exc}") from exc


def http_client(timeout: float, connections: int) -> httpx.Client:
    """One pooled client per connector: connections are reused across pages and threads."""
    log_path = os.environ.get(REQUEST_LOG_ENV)
    return httpx.Client(
        timeout=timeout,
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        event_hooks={"request": [RequestLog(log_path)]} if log_path else None,
    )


# When set, every request the connectors send is appended to this file, one JSON line each
# (the benchmark replays them with plain httpx: the raw-fetch ceiling of the same requests).
REQUEST_LOG_ENV = "SOURCE_REQUEST_LOG"
_REQUEST_LOG_LOCK = threading.Lock()


def loggable_request(request: httpx.Request) -> dict:
    """What a replay needs of a request, and no credential: no header is kept; a login (a form
    body, or a JSON body with a password) is kept as its URL and a mark only; a session in a
    JSON body is replaced by a mark (the replay logs in itself)."""
    entry: dict = {"method": request.method, "url": str(request.url)}
    if not request.content:
        return entry
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return entry | {"login": True}
    try:
        body = orjson.loads(request.content)
    except orjson.JSONDecodeError:
        return entry | {"body_bytes": len(request.content)}
    if isinstance(body, dict) and "password" in body:
        return entry | {"login": True}
    if isinstance(body, dict) and "session" in body:
        body = {**body, "session": None}
        entry["session"] = True
    return entry | {"json": body}


class RequestLog:
    """The request hook that appends each request (`loggable_request`) to a file."""

    def __init__(self, path: str):
        self.path = path

    def __call__(self, request: httpx.Request) -> None:
        line = orjson.dumps(loggable_request(request)).decode() + "\n"
        with _REQUEST_LOG_LOCK, open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line)


class RetryPolicy:
    """Exponential backoff with jitter, bounded in attempts; honours `Retry-After`.

    `waits` counts the pauses taken, by cause (`retry-after` or `backoff`), so a run can show
    (and a test can check) that a portal's `Retry-After` was obeyed without timing anything.
    """

    def __init__(
        self,
        attempts: int = 6,
        initial: float = 0.5,
        maximum: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.attempts = attempts
        self._backoff = wait_exponential_jitter(multiplier=initial, max=maximum, jitter=initial)
        self._sleep = sleep
        self.waits: Counter[str] = Counter()
        self.retry_after_seconds: list[float] = []
        self._lock = threading.Lock()

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, TransientSourceError) and exc.retry_after is not None:
            seconds = min(exc.retry_after, MAX_RETRY_AFTER)
            with self._lock:
                self.waits["retry-after"] += 1
                self.retry_after_seconds.append(seconds)
            return seconds
        with self._lock:
            self.waits["backoff"] += 1
        return self._backoff(state)

    def call(self, source: str, fn: Callable[[], Any]) -> Any:
        def _log(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            log.warning(
                "%s: attempt %d failed (%s: %s); retrying",
                source,
                state.attempt_number,
                type(exc).__name__,
                exc,
            )

        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            sleep=self._sleep,
            retry=retry_if_exception_type((TransientSourceError, httpx.TransportError)),
            before_sleep=_log,
            reraise=True,
        )
        try:
            return retrying(fn)
        except (TransientSourceError, httpx.TransportError) as exc:
            raise SourceUnavailable(
                f"{source} is unavailable after {self.attempts} attempts "
                f"(last error: {type(exc).__name__}: {exc})"
            ) from exc
