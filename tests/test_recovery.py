"""The decisions behind the service's recovery, freshness and housekeeping, each on its own
(the service end to end: tests/test_service.py)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time

import dagster as dg
import pytest

from pipeline import housekeeping
from pipeline.freshness import freshness_policy
from pipeline.recovery import (
    Retry,
    RunInfo,
    retries_due,
    retry_deadline,
    retry_only_unavailable_sources,
    source_retry_policy,
)
from pipeline.service import merged_settings
from pipeline.sources.http import SourceError, SourceUnavailable
from pipeline.workcal import VN_TZ

S = dg.DagsterRunStatus
TICK = dt.datetime(2026, 12, 7, 5, 0, tzinfo=VN_TZ)
UNTIL = dt.time(9, 0)
INTERVAL = dt.timedelta(minutes=15)


def run(run_id, status, ended_min=None, *, scheduled=True, unavailable=True, tick=TICK):
    return RunInfo(
        run_id=run_id,
        as_of=tick.isoformat(),
        status=status,
        ended_at=tick + dt.timedelta(minutes=ended_min) if ended_min is not None else None,
        scheduled=scheduled,
        source_unavailable=unavailable and status == S.FAILURE,
    )


def at(hour, minute=0):
    return dt.datetime(2026, 12, 7, hour, minute, tzinfo=VN_TZ)


def test_a_tick_failed_for_an_unavailable_source_is_retried_after_the_interval():
    runs = [run("a", S.FAILURE, ended_min=10)]
    assert retries_due(runs, at(5, 20), UNTIL, INTERVAL) == []  # 10 minutes after: not yet
    assert retries_due(runs, at(5, 25), UNTIL, INTERVAL) == [
        Retry(as_of=TICK.isoformat(), attempt=1, retry_of="a")
    ]
    # The second retry waits for the first one's failure, and counts the attempts.
    runs.append(run("b", S.FAILURE, ended_min=30, scheduled=False))
    assert retries_due(runs, at(5, 40), UNTIL, INTERVAL) == []
    [retry] = retries_due(runs, at(5, 46), UNTIL, INTERVAL)
    assert (retry.attempt, retry.retry_of, retry.run_key) == (2, "a", f"{TICK.isoformat()}#retry-2")


def test_no_retry_after_success_while_running_past_the_deadline_or_for_real_errors():
    failed = run("a", S.FAILURE, ended_min=10)
    assert retries_due([failed, run("b", S.SUCCESS, 50)], at(6), UNTIL, INTERVAL) == []
    assert retries_due([failed, run("b", S.STARTED, scheduled=False)], at(6), UNTIL, INTERVAL) == []
    assert retries_due([failed], at(9, 0), UNTIL, INTERVAL) == []
    bad_data = run("a", S.FAILURE, ended_min=10, unavailable=False)
    assert retries_due([bad_data], at(6), UNTIL, INTERVAL) == []
    assert retries_due([run("a", S.CANCELED, ended_min=10)], at(6), UNTIL, INTERVAL) == []
    # A later tick supersedes the failed one: its older figures are never published over it.
    later = run("c", S.QUEUED, tick=TICK + dt.timedelta(hours=1))
    assert retries_due([failed, later], at(6), UNTIL, INTERVAL) == []
    # A run started by hand is the operator's to rerun.
    manual = run("a", S.FAILURE, ended_min=10, scheduled=False)
    assert retries_due([manual], at(6), UNTIL, INTERVAL) == []


def test_the_deadline_is_on_the_ticks_day_or_a_window_after_a_late_tick():
    assert retry_deadline(TICK, UNTIL) == at(9)
    late = at(10, 30)
    assert retry_deadline(late, UNTIL) == late + dt.timedelta(hours=4)


def test_freshness_deadline_follows_the_retries_and_the_crons_days():
    policy = freshness_policy("0 5 * * *", dt.time(9, 0))
    assert policy.deadline_cron == "0 10 * * *"
    assert policy.lower_bound_delta == dt.timedelta(hours=5)  # since the 05:00 tick
    assert policy.timezone == "Asia/Ho_Chi_Minh"
    weekdays = freshness_policy("30 4 * * 1-5", dt.time(8, 45))
    assert weekdays.deadline_cron == "45 9 * * 1-5"
    assert weekdays.lower_bound_delta == dt.timedelta(hours=5, minutes=15)
    assert freshness_policy("*/30 * * * *", UNTIL).lower_bound_delta == dt.timedelta(days=1)


def test_instance_settings_are_added_never_overwritten():
    repo = {"concurrency": {"pools": {"default_limit": 1}, "runs": {"max_concurrent_runs": 1}}}
    operator = {"storage": {"postgres": {}}, "concurrency": {"runs": {"max_concurrent_runs": 2}}}
    assert merged_settings(operator, repo) == {
        "storage": {"postgres": {}},
        "concurrency": {"runs": {"max_concurrent_runs": 2}, "pools": {"default_limit": 1}},
    }


def _attempts_of(error: Exception) -> int:
    """How many times Dagster ran an extraction step that raises `error` every time."""
    return len(_run_failing(error)[0])


def _run_failing(error: Exception) -> tuple[list[int], dg.ExecuteInProcessResult]:
    calls = []

    @dg.asset(retry_policy=dg.RetryPolicy(max_retries=2))
    @retry_only_unavailable_sources
    def extraction(context):
        calls.append(context.retry_number)
        raise error

    result = dg.materialize([extraction], raise_on_error=False)
    assert not result.success
    return calls, result


def test_only_an_unavailable_source_is_retried_by_the_step_policy():
    assert _attempts_of(SourceUnavailable("one-stop is unavailable after 6 attempts")) == 3
    assert _attempts_of(SourceError("HTTP 401 from /token")) == 1
    assert _attempts_of(ValueError("a bug")) == 1


def test_a_step_whose_retries_ran_out_is_classified_and_reports_its_own_error():
    from pipeline.operations import _asset_error
    from pipeline.recovery import source_unavailable

    message = "one-stop token is unavailable after 6 attempts (last error: ConnectError)"
    _, result = _run_failing(SourceUnavailable(message))
    [failure] = [e.event_specific_data.error for e in result.all_events if e.is_step_failure]
    assert source_unavailable(failure)
    assert _asset_error(failure).endswith(f"SourceUnavailable: {message}")
    _, result = _run_failing(ValueError("a bug"))
    [failure] = [e.event_specific_data.error for e in result.all_events if e.is_step_failure]
    assert not source_unavailable(failure)
    assert _asset_error(failure).endswith("Failure: ValueError: a bug")


def test_the_step_policy_backs_off_with_jitter(monkeypatch):
    for name in ("SOURCE_STEP_RETRIES", "SOURCE_STEP_RETRY_DELAY"):
        monkeypatch.delenv(name, raising=False)
    policy = source_retry_policy()
    assert (policy.max_retries, policy.delay) == (3, 60.0)
    assert (policy.backoff, policy.jitter) == (dg.Backoff.EXPONENTIAL, dg.Jitter.PLUS_MINUS)
    monkeypatch.setenv("SOURCE_STEP_RETRIES", "0")
    assert source_retry_policy() is None


def test_housekeeping_removes_only_what_no_live_run_uses(tmp_path):
    data, target = tmp_path / "data", tmp_path / "target"
    live_worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with dg.instance_for_test() as instance:
            finished = instance.create_run_for_job(
                _job(), run_id="f" * 8 + "-0000-0000-0000-" + "0" * 12
            )
            instance.report_run_failed(finished)
            live = instance.create_run_for_job(
                _job(), run_id="a" * 8 + "-0000-0000-0000-" + "0" * 12
            )
            instance.handle_new_event(_started_event(live, live_worker.pid))
            for run_id in (finished.run_id, live.run_id, "unknown-run"):
                (data / "staging" / run_id / "dossiers").mkdir(parents=True)
            for run_id in (finished.run_id, live.run_id, "9999999"):
                (target / f"dbt_build-{run_id[:7]}-abcdef0").mkdir(parents=True)
            swept = housekeeping.sweep(instance, data, target)
            assert swept.staging == [finished.run_id]
            assert swept.dbt_targets == [f"dbt_build-{finished.run_id[:7]}-abcdef0"]
            # An unknown run's folders go once nothing in them changed for a day.
            old = time.time() - housekeeping.UNKNOWN_RUN_GRACE - 60
            for folder in (data / "staging" / "unknown-run", target / "dbt_build-9999999-abcdef0"):
                for path in (folder, *folder.rglob("*")):
                    os.utime(path, (old, old))
            swept = housekeeping.sweep(instance, data, target)
            assert swept.staging == ["unknown-run"]
            assert swept.dbt_targets == ["dbt_build-9999999-abcdef0"]
            # The live run's folders stay until its process is gone.
            live_worker.kill()
            live_worker.wait()
            swept = housekeeping.sweep(instance, data, target)
            assert swept.staging == [live.run_id]
    finally:
        live_worker.kill()
        live_worker.wait()


def _job() -> dg.JobDefinition:
    @dg.op
    def noop():
        pass

    @dg.job
    def job():
        noop()

    return job


def _started_event(run: dg.DagsterRun, pid: int) -> dg.EventLogEntry:
    from dagster._core.events import DagsterEvent, DagsterEventType

    event = DagsterEvent(
        event_type_value=DagsterEventType.RUN_START.value, job_name=run.job_name, pid=pid
    )
    return dg.EventLogEntry(
        error_info=None,
        level="debug",
        user_message="",
        run_id=run.run_id,
        timestamp=time.time(),
        dagster_event=event,
    )


@pytest.fixture(autouse=True)
def _no_ambient_retry_settings(monkeypatch):
    for name in ("DAILY_REFRESH_CRON", "DAILY_REFRESH_RETRY_UNTIL"):
        monkeypatch.delenv(name, raising=False)
