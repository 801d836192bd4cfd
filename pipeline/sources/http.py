"""HTTP plumbing shared by both connectors: bounded retries, backoff with jitter, Retry-After.

A source that stays down raises `SourceUnavailable` with a clear message; nothing downstream
sees a partial success.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

log = logging.getLogger(__name__)

RETRYABLE_STATUS = {408, 425, 429, 500, 502, 503, 504}


class SourceUnavailable(RuntimeError):
    """The source kept failing after every retry."""


class TransientSourceError(Exception):
    """A failure worth retrying: 5xx, 429, timeout, reset connection, truncated body."""

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
    if response.status_code in RETRYABLE_STATUS:
        raise TransientSourceError(
            f"HTTP {response.status_code} from {response.request.url.path}",
            retry_after=_retry_after_seconds(response),
        )
    response.raise_for_status()
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TransientSourceError(
            f"unreadable JSON from {response.request.url.path}: {exc}"
        ) from exc


class RetryPolicy:
    """Exponential backoff with jitter, bounded in attempts; honours `Retry-After`."""

    def __init__(self, attempts: int = 6, initial: float = 0.2, maximum: float = 10.0):
        self.attempts = attempts
        self._backoff = wait_exponential_jitter(initial=initial, max=maximum)
        self.maximum = maximum

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, TransientSourceError) and exc.retry_after is not None:
            return min(exc.retry_after, 60.0)
        return self._backoff(state)

    def call(self, source: str, fn: Callable[[], Any]) -> Any:
        def _log(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            log.warning("%s: attempt %d failed (%s); retrying", source, state.attempt_number, exc)

        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            retry=retry_if_exception_type((TransientSourceError, httpx.TransportError)),
            before_sleep=_log,
            reraise=True,
        )
        try:
            return retrying(fn)
        except (TransientSourceError, httpx.TransportError) as exc:
            raise SourceUnavailable(
                f"{source} is unavailable after {self.attempts} attempts: {exc}"
            ) from exc
