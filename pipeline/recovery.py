"""Recovery of the daily refresh when a portal is down: three layers, each with its settings.

1. A request: the connectors retry a failed request with backoff (pipeline/sources/http.py):
   `SOURCE_HTTP_ATTEMPTS` attempts (6), the first pause `SOURCE_HTTP_BACKOFF` seconds (0.5).
2. A step: an extraction asset whose source stayed unavailable is retried by Dagster
   (`SOURCE_RETRY_POLICY`, exponential backoff with jitter): `SOURCE_STEP_RETRIES` more times
   (3), the first after about `SOURCE_STEP_RETRY_DELAY` seconds (60). Any other error (bad
   data over the reject-rate gate, refused credentials, a bug) fails the step at once: trying
   again would give the same answer.
3. A run: a scheduled run that failed only because a source was unavailable is run again
   later in the morning by the sensor `retry_daily_refresh`, with the same evaluation instant
   (`motcua/as_of`) and a run key per attempt, every `DAILY_REFRESH_RETRY_INTERVAL` seconds
   (900) after the last failure, until `DAILY_REFRESH_RETRY_UNTIL` (09:00, Vietnam time, on the
   tick's day; a tick at or after that time is retried for `LATE_TICK_WINDOW`; never once a
   later tick has run, whose figures are newer). The first
   attempt that reaches the portals publishes the day's figures; a rerun never duplicates (the
   latest version of a record wins at landing and in the models).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import dagster as dg

from pipeline.config import ConfigError
from pipeline.runtime import AS_OF_TAG
from pipeline.sources.http import RetryPolicy, SourceUnavailable
from pipeline.workcal import VN_TZ

DEFAULT_CRON = "0 5 * * *"
DEFAULT_RETRY_UNTIL = dt.time(9, 0)
DEFAULT_RETRY_INTERVAL = 900
LATE_TICK_WINDOW = dt.timedelta(hours=4)
# Tags of a run launched by the retry sensor.
RETRY_OF_TAG = "motcua/retry_of"
RETRY_ATTEMPT_TAG = "motcua/retry_attempt"
SCHEDULE_NAME_TAG = "dagster/schedule_name"
SOURCE_UNAVAILABLE = "SourceUnavailable"


def _env(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else None


def _number(name: str, default: float, minimum: float = 0.0) -> float:
    value = _env(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError as exc:
        raise ConfigError(f"{name} is not a number: {value!r}") from exc
    if number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {number}")
    return number


def daily_refresh_cron() -> str:
    """`DAILY_REFRESH_CRON` (Vietnam time), checked here so a typo fails at load, not at 05:00."""
    from dagster._utils.schedules import is_valid_cron_string

    cron = _env("DAILY_REFRESH_CRON") or DEFAULT_CRON
    if not is_valid_cron_string(cron):
        raise ConfigError(f"DAILY_REFRESH_CRON is not a cron expression: {cron!r}")
    return cron


def retry_until() -> dt.time:
    value = _env("DAILY_REFRESH_RETRY_UNTIL")
    if value is None:
        return DEFAULT_RETRY_UNTIL
    try:
        return dt.time.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(f"DAILY_REFRESH_RETRY_UNTIL is not a time (HH:MM): {value!r}") from exc


def retry_interval() -> int:
    return int(_number("DAILY_REFRESH_RETRY_INTERVAL", DEFAULT_RETRY_INTERVAL, minimum=5))


# --- 1. requests --------------------------------------------------------------------------


def connector_options() -> dict[str, RetryPolicy]:
    """The connectors' per-request retry policy when the environment sets one (else their
    own defaults)."""
    if _env("SOURCE_HTTP_ATTEMPTS") is None and _env("SOURCE_HTTP_BACKOFF") is None:
        return {}
    return {
        "retry": RetryPolicy(
            attempts=int(_number("SOURCE_HTTP_ATTEMPTS", 6, minimum=1)),
            initial=_number("SOURCE_HTTP_BACKOFF", 0.5),
        )
    }


# --- 2. steps -----------------------------------------------------------------------------


def source_retry_policy() -> dg.RetryPolicy | None:
    retries = int(_number("SOURCE_STEP_RETRIES", 3))
    if retries == 0:
        return None
    return dg.RetryPolicy(
        max_retries=retries,
        delay=_number("SOURCE_STEP_RETRY_DELAY", 60.0),
        backoff=dg.Backoff.EXPONENTIAL,
        jitter=dg.Jitter.PLUS_MINUS,
    )


SOURCE_RETRY_POLICY = source_retry_policy()


def retry_only_unavailable_sources(fn: Callable) -> Callable:
    """An extraction asset's body: a source that stayed unavailable goes to the step's retry
    policy; any other error fails the step without retries (the same input gives the same
    error). The error itself is kept as the cause."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (SourceUnavailable, dg.Failure):
            raise
        except Exception as exc:
            raise dg.Failure(
                description=f"{type(exc).__name__}: {exc}", allow_retries=False
            ) from exc

    return wrapper


# --- 3. runs ------------------------------------------------------------------------------


def source_unavailable(error) -> bool:
    """Whether a step failure's error (a SerializableErrorInfo) is, or was caused by, a
    source that stayed unavailable."""
    while error is not None:
        if error.cls_name == SOURCE_UNAVAILABLE:
            return True
        error = error.cause
    return False


@dataclass(frozen=True)
class RunInfo:
    """What the retry decision reads of one run of the daily job."""

    run_id: str
    as_of: str
    status: dg.DagsterRunStatus
    ended_at: dt.datetime | None
    scheduled: bool
    # True when every failed step failed because a source stayed unavailable.
    source_unavailable: bool = False


@dataclass(frozen=True)
class Retry:
    as_of: str
    attempt: int
    retry_of: str

    @property
    def run_key(self) -> str:
        return f"{self.as_of}#retry-{self.attempt}"


FINISHED = {
    dg.DagsterRunStatus.SUCCESS,
    dg.DagsterRunStatus.FAILURE,
    dg.DagsterRunStatus.CANCELED,
}


def retry_deadline(as_of: dt.datetime, until: dt.time) -> dt.datetime:
    """Until when a tick evaluated at `as_of` is retried: `until` on the tick's day, or
    `LATE_TICK_WINDOW` after a tick at or past that time."""
    local = as_of.astimezone(VN_TZ)
    deadline = dt.datetime.combine(local.date(), until, tzinfo=VN_TZ)
    return deadline if deadline > local else local + LATE_TICK_WINDOW


def retries_due(
    runs: Iterable[RunInfo], now: dt.datetime, until: dt.time, interval: dt.timedelta
) -> list[Retry]:
    """The retries to launch now: for the latest scheduled evaluation instant, when its runs
    are all finished, none succeeded, and the latest failed only because a source was
    unavailable — once `interval` has passed since that failure and before the deadline."""
    by_as_of: dict[str, list[RunInfo]] = {}
    for run in runs:
        by_as_of.setdefault(run.as_of, []).append(run)
    ticks = {
        dt.datetime.fromisoformat(as_of)
        for as_of, group in by_as_of.items()
        if any(r.scheduled for r in group)
    }
    due = []
    for as_of, group in sorted(by_as_of.items()):
        first = next((r for r in group if r.scheduled), None)
        if first is None:
            continue  # a run started by hand is the operator's to rerun
        if any(tick > dt.datetime.fromisoformat(as_of) for tick in ticks):
            continue  # a later tick supersedes it: never publish older figures over newer
        if any(r.status == dg.DagsterRunStatus.SUCCESS for r in group):
            continue
        if any(r.status not in FINISHED for r in group):
            continue
        latest = max(group, key=lambda r: r.ended_at or dt.datetime.min.replace(tzinfo=dt.UTC))
        if latest.status != dg.DagsterRunStatus.FAILURE or not latest.source_unavailable:
            continue
        if latest.ended_at is None or now < latest.ended_at + interval:
            continue
        if now >= retry_deadline(dt.datetime.fromisoformat(as_of), until):
            continue
        due.append(Retry(as_of=as_of, attempt=len(group), retry_of=first.run_id))
    return due


def failed_only_for_unavailable_sources(instance: dg.DagsterInstance, run_id: str) -> bool:
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_FAILURE).records
    errors = [
        r.event_log_entry.dagster_event.event_specific_data.error
        for r in records
        if r.event_log_entry.dagster_event is not None
        and r.event_log_entry.dagster_event.event_specific_data is not None
    ]
    return bool(errors) and all(source_unavailable(error) for error in errors)


def recent_runs(instance: dg.DagsterInstance, job_name: str, since: dt.datetime) -> list[RunInfo]:
    runs = []
    for record in instance.get_run_records(
        dg.RunsFilter(job_name=job_name, created_after=since), limit=200
    ):
        run = record.dagster_run
        as_of = run.tags.get(AS_OF_TAG)
        if not as_of:
            continue
        failed = run.status == dg.DagsterRunStatus.FAILURE
        runs.append(
            RunInfo(
                run_id=run.run_id,
                as_of=as_of,
                status=run.status,
                ended_at=record.end_time and dt.datetime.fromtimestamp(record.end_time, tz=dt.UTC),
                scheduled=SCHEDULE_NAME_TAG in run.tags and RETRY_OF_TAG not in run.tags,
                source_unavailable=failed
                and failed_only_for_unavailable_sources(instance, run.run_id),
            )
        )
    return runs


def build_retry_sensor(job: dg.UnresolvedAssetJobDefinition) -> dg.SensorDefinition:
    interval = retry_interval()

    @dg.sensor(
        name="retry_daily_refresh",
        job=job,
        minimum_interval_seconds=min(interval, 60),
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Runs the day's refresh again when its scheduled run failed only because "
        "a portal was unavailable: same evaluation instant, every DAILY_REFRESH_RETRY_INTERVAL "
        "seconds after the last failure, until DAILY_REFRESH_RETRY_UNTIL (pipeline/recovery.py).",
    )
    def retry_daily_refresh(context: dg.SensorEvaluationContext):
        now = dt.datetime.now(dt.UTC)
        runs = recent_runs(context.instance, job.name, now - dt.timedelta(days=1))
        due = retries_due(runs, now, retry_until(), dt.timedelta(seconds=interval))
        if not due:
            return dg.SkipReason("no scheduled run is waiting for an unavailable source")
        requests = []
        for retry in due:
            context.log.info(
                f"the run of {retry.as_of} failed because a source was unavailable; "
                f"attempt {retry.attempt + 1}"
            )
            requests.append(
                dg.RunRequest(
                    run_key=retry.run_key,
                    tags={
                        AS_OF_TAG: retry.as_of,
                        RETRY_OF_TAG: retry.retry_of,
                        RETRY_ATTEMPT_TAG: str(retry.attempt),
                    },
                )
            )
        return requests

    return retry_daily_refresh
