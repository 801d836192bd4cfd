"""Alerts: a failed run, a failed data check or a stale asset, told by e-mail and/or webhook.

Two sensors run under the daemon (`make serve`, systemd, Docker):

- `alert_on_run_failure` (a run-failure sensor): which run, which steps failed, each step's
  own error (the asset's exception unwrapped, as the run-failure log records it);
- `alert_on_failed_checks` (a sensor over the instance's event log, cursor = the last event
  read): a failed asset check (the dbt tests) of any run, or a freshness state
  that turned FAIL (Dagster's `FreshnessPolicy`, evaluated by the daemon outside any run).

Channels, from the environment (README, Configuration): e-mail over SMTP (`ALERT_SMTP_*`,
`ALERT_EMAIL_FROM`, `ALERT_EMAIL_TO`) and a webhook (`ALERT_WEBHOOK_URL`, a JSON POST with a
`text` that chat tools' incoming webhooks show, plus the same facts as fields). Without any
channel configured, alerts are off and the sensors do nothing; the run-failure log
(`DATA_DIR/ops/run_failures.jsonl`, operations.record_run_failures) is kept either way.

What a message may contain. Every sentence is a template filled with names the code defines
(job, step, asset, check), a run id, counts and links; no setting's value other than the UI's
address. The one free text is the error of the failed step or check, which the pipeline builds
from templates too (a personal value never enters an exception), but which may quote a
library's message. It goes through `scrub` first: credentials inside URLs, query-string and
header tokens, the values of every secret setting in the environment (names containing
PASSWORD, SECRET, TOKEN or KEY, e.g. `PII_HASH_KEY`), e-mail addresses, and digit runs that
could be an identity-card or phone number (9 digits or more, separators allowed) are replaced
by `***`; the result is cut to `ERROR_CHARS`. Over-scrubbing costs the reader a look at the
run's log in the UI, which the message links; under-scrubbing would mail a secret.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import smtplib
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import dagster as dg
import httpx
from dagster._core.definitions.freshness import FreshnessState
from dagster._core.event_api import EventLogCursor, EventRecordsFilter
from dagster._core.events import DagsterEventType
from tenacity import Retrying, stop_after_attempt, wait_exponential

from pipeline.config import ConfigError
from pipeline.operations import _asset_error

RUNBOOK = "docs/operations.md#reading-an-alert"
ERROR_CHARS = 1500
# A delivery is tried this often (short backoff) before the failure is logged.
SEND_ATTEMPTS = 3
# Events read per sensor tick; the next tick continues from the cursor.
EVENTS_PER_TICK = 200
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|KEY|CREDENTIAL", re.IGNORECASE)


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


@dataclass(frozen=True)
class AlertSettings:
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_starttls: bool = True
    email_from: str | None = None
    email_to: tuple[str, ...] = ()
    webhook_url: str | None = field(default=None, repr=False)
    ui_url: str = "http://127.0.0.1:3000"
    timeout: float = 20.0

    @property
    def email_on(self) -> bool:
        return bool(self.smtp_host and self.email_to)

    @property
    def webhook_on(self) -> bool:
        return bool(self.webhook_url)

    @property
    def enabled(self) -> bool:
        return self.email_on or self.webhook_on


def _flag(name: str, default: bool) -> bool:
    value = (_env(name) or "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {value!r}")


def ui_url() -> str:
    """The Dagster UI's address as the reader of an alert reaches it."""
    explicit = _env("DAGSTER_WEBSERVER_URL")
    if explicit:
        return explicit.rstrip("/")
    return f"http://{_env('DAGSTER_HOST', '127.0.0.1')}:{_env('DAGSTER_PORT', '3000')}"


def load_alert_settings() -> AlertSettings:
    host = _env("ALERT_SMTP_HOST")
    recipients = tuple(a.strip() for a in (_env("ALERT_EMAIL_TO") or "").split(",") if a.strip())
    if host and not recipients:
        raise ConfigError("ALERT_SMTP_HOST is set but ALERT_EMAIL_TO is empty (see .env.example)")
    starttls = _flag("ALERT_SMTP_STARTTLS", True)
    port_text = _env("ALERT_SMTP_PORT", "587" if starttls else "25")
    try:
        port = int(port_text)
    except ValueError as exc:
        raise ConfigError(f"ALERT_SMTP_PORT is not a port number: {port_text!r}") from exc
    return AlertSettings(
        smtp_host=host,
        smtp_port=port,
        smtp_user=_env("ALERT_SMTP_USER"),
        smtp_password=_env("ALERT_SMTP_PASSWORD"),
        smtp_starttls=starttls,
        email_from=_env("ALERT_EMAIL_FROM", "dagster@localhost"),
        email_to=recipients,
        webhook_url=_env("ALERT_WEBHOOK_URL"),
        ui_url=ui_url(),
    )


# --- what may leave the machine ------------------------------------------------------------

_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/\s@:]+(:[^/\s@]*)?@", re.I)
_TOKEN_PARAMS = re.compile(
    r"(?P<name>(?:access_|refresh_|id_)?token|password|passwd|secret|api_?key|key|"
    r"client_secret|authorization|session|sig|signature)(?P<sep>[\"']?\s*[=:]\s*[\"']?)"
    r"(?:Bearer\s+|Basic\s+)?[^\s&\"',;]+",
    re.I,
)
_BEARER = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.I)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# An identity-card number (9 or 12 digits) or a phone number (10-11 digits, +84), separators
# allowed; an ISO date or a run id never has 9 digits in a row with only these separators.
_LONG_NUMBER = re.compile(r"(?<![\w.])\+?\d(?:[ .-]?\d){8,}(?![\w])")
MASK = "***"


def secret_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values of the settings that are secrets by name (longest first, 4 characters or more)."""
    environ = os.environ if environ is None else environ
    values = {v for k, v in environ.items() if SECRET_NAME.search(k) and v and len(v) >= 4}
    return sorted(values, key=len, reverse=True)


def scrub(text: str, environ: Mapping[str, str] | None = None) -> str:
    """`text` with what may be a secret or a personal value replaced by `***` (module doc)."""
    for value in secret_values(environ):
        text = text.replace(value, MASK)
    text = _URL_CREDENTIALS.sub(lambda m: f"{m.group('scheme')}{MASK}@", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    text = _TOKEN_PARAMS.sub(lambda m: f"{m.group('name')}{m.group('sep')}{MASK}", text)
    text = _EMAIL.sub(MASK, text)
    text = _LONG_NUMBER.sub(MASK, text)
    if len(text) > ERROR_CHARS:
        text = text[:ERROR_CHARS] + " …"
    return text


# --- the message ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """One failed thing of an alert: a step (with its error) or a check (with its reason)."""

    step: str
    error: str


@dataclass(frozen=True)
class Alert:
    kind: str  # "run_failure" | "check_failure" | "freshness"
    job: str | None
    run_id: str | None
    failures: tuple[Failure, ...]
    at: dt.datetime
    ui: str

    @property
    def link(self) -> str:
        if self.run_id:
            return f"{self.ui}/runs/{self.run_id}"
        return f"{self.ui}/assets"

    def subject(self) -> str:
        what = {
            "run_failure": ("Lần chạy thất bại", "run failed"),
            "check_failure": ("Kiểm tra dữ liệu không đạt", "data check failed"),
            "freshness": ("Dữ liệu quá hạn", "data is stale"),
        }[self.kind]
        target = self.job or (self.failures[0].step if self.failures else "")
        return f"[Mỹ Hào kho dữ liệu] {what[0]} / {what[1]}: {target}"

    def text(self) -> str:
        """Vietnamese first, then English; every line a template."""
        steps = "\n".join(f"  • {f.step}: {f.error}" for f in self.failures) or "  • —"
        when = self.at.astimezone(dt.timezone(dt.timedelta(hours=7))).strftime("%Y-%m-%d %H:%M")
        run = self.run_id or "—"
        job = self.job or "—"
        vi_head, en_head = {
            "run_failure": (
                f"Lần chạy {run} của tác vụ {job} đã thất bại lúc {when} (giờ Việt Nam). "
                "Kho dữ liệu đã công bố vẫn giữ nguyên bản tốt gần nhất.",
                f"Run {run} of job {job} failed at {when} (Vietnam time). "
                "The published warehouse is unchanged (the last good one).",
            ),
            "check_failure": (
                f"Kiểm tra dữ liệu không đạt trong lần chạy {run} (tác vụ {job}) lúc {when} "
                "(giờ Việt Nam).",
                f"A data check failed in run {run} (job {job}) at {when} (Vietnam time).",
            ),
            "freshness": (
                f"Dữ liệu đã quá hạn làm mới lúc {when} (giờ Việt Nam): lần làm mới buổi sáng "
                "chưa thành công.",
                f"Data became stale at {when} (Vietnam time): the morning refresh has not "
                "succeeded.",
            ),
        }[self.kind]
        return (
            f"{vi_head}\n"
            f"Bước lỗi và lỗi của bước:\n{steps}\n"
            f"Xem chi tiết: {self.link}\n"
            f"Hướng dẫn xử lý: {RUNBOOK} (mục «Đọc cảnh báo»)\n"
            "\n"
            f"{en_head}\n"
            f"Failed steps and their errors:\n{steps}\n"
            f"Where to look: {self.link}\n"
            f"Runbook: {RUNBOOK} (section “Reading an alert”)\n"
        )

    def payload(self) -> dict:
        """The webhook's JSON: `text` for chat tools, the same facts as fields for machines."""
        return {
            "text": self.text(),
            "subject": self.subject(),
            "kind": self.kind,
            "job": self.job,
            "run_id": self.run_id,
            "failures": [{"step": f.step, "error": f.error} for f in self.failures],
            "at": self.at.isoformat(),
            "url": self.link,
            "runbook": RUNBOOK,
        }


def run_failure_alert(
    run: dg.DagsterRun, step_failures: Iterable[dg.DagsterEvent], run_message: str, ui: str
) -> Alert:
    failures = []
    for event in step_failures:
        data = event.event_specific_data
        error = _asset_error(data.error) if data is not None and data.error else ""
        failures.append(Failure(event.step_key or "—", scrub(error)))
    if not failures:
        failures.append(Failure("—", scrub(run_message)))
    return Alert("run_failure", run.job_name, run.run_id, tuple(failures), _now(), ui)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- delivery ------------------------------------------------------------------------------


def _retrying() -> Retrying:
    return Retrying(
        stop=stop_after_attempt(SEND_ATTEMPTS), wait=wait_exponential(0.5, max=5), reraise=True
    )


def send_email(settings: AlertSettings, alert: Alert) -> None:
    message = EmailMessage()
    message["Subject"] = alert.subject()
    message["From"] = settings.email_from
    message["To"] = ", ".join(settings.email_to)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="motcua-warehouse")
    message.set_content(alert.text(), charset="utf-8")

    def deliver() -> None:
        if settings.smtp_port == 465:
            smtp = smtplib.SMTP_SSL(
                settings.smtp_host,
                settings.smtp_port,
                timeout=settings.timeout,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.timeout)
        with smtp:
            if settings.smtp_starttls and settings.smtp_port != 465:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(message)

    _retrying()(deliver)


def send_webhook(settings: AlertSettings, alert: Alert) -> None:
    def deliver() -> None:
        response = httpx.post(settings.webhook_url, json=alert.payload(), timeout=settings.timeout)
        response.raise_for_status()

    _retrying()(deliver)


def deliver(settings: AlertSettings, alert: Alert, log) -> list[str]:
    """Sends `alert` on every configured channel; returns the channels that failed (logged
    with the exception's class only: an SMTP or HTTP error may quote an address)."""
    failed = []
    for channel, on, send in (
        ("email", settings.email_on, send_email),
        ("webhook", settings.webhook_on, send_webhook),
    ):
        if not on:
            continue
        try:
            send(settings, alert)
        except Exception as exc:  # noqa: BLE001 - one channel down must not stop the other
            failed.append(channel)
            log.error(
                f"alert by {channel} not delivered after {SEND_ATTEMPTS} attempts "
                f"({type(exc).__name__}); see the instance's run log for the failure"
            )
        else:
            log.info(f"alert ({alert.kind}) sent by {channel}")
    return failed


# --- sensors -------------------------------------------------------------------------------


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    description="E-mail and/or webhook alert (Vietnamese and English) for every failed run; "
    "off without ALERT_SMTP_HOST / ALERT_WEBHOOK_URL.",
    default_status=dg.DefaultSensorStatus.RUNNING,
    # Every run of the instance, also those started outside the daemon and the UI (`make
    # refresh`, `dagster job execute`), which carry no code location and would be skipped.
    monitor_all_code_locations=True,
)
def alert_on_run_failure(context: dg.RunFailureSensorContext) -> dg.SkipReason | None:
    settings = load_alert_settings()
    if not settings.enabled:
        return dg.SkipReason("alerts are off: no ALERT_SMTP_HOST nor ALERT_WEBHOOK_URL")
    alert = run_failure_alert(
        context.dagster_run,
        context.get_step_failure_events(),
        context.failure_event.message or "",
        settings.ui_url,
    )
    deliver(settings, alert, context.log)
    return None


def _check_alert(record, ui: str) -> Alert | None:
    event = record.event_log_entry.dagster_event
    if event is None:
        return None
    at = dt.datetime.fromtimestamp(record.event_log_entry.timestamp, dt.UTC)
    run_id = record.run_id or None
    if run_id == "" or (run_id and run_id.startswith("RUNLESS")):
        run_id = None
    data = event.event_specific_data
    if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
        if data.passed:
            return None
        step = f"{data.asset_key.to_user_string()} › {data.check_name}"
        reason = data.description or _metadata_text(data.metadata) or "check did not pass"
        severity = getattr(data.severity, "value", str(data.severity))
        failure = Failure(step, scrub(f"[{severity}] {reason}"))
        job = event.job_name if run_id else None
        return Alert("check_failure", job, run_id, (failure,), at, ui)
    if event.event_type == DagsterEventType.FRESHNESS_STATE_CHANGE:
        if data.new_state != FreshnessState.FAIL:
            return None
        failure = Failure(
            data.key.to_user_string(),
            f"freshness {data.previous_state.value} → {data.new_state.value}",
        )
        return Alert("freshness", None, None, (failure,), at, ui)
    return None


def _metadata_text(metadata: Mapping) -> str:
    """A check's counts (e.g. dbt's `failed rows`) as `name=value`, numbers and short codes
    only: metadata can hold any text, and only these kinds are safe to send."""
    parts = []
    for name, value in (metadata or {}).items():
        raw = getattr(value, "value", value)
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            parts.append(f"{name}={raw}")
    return ", ".join(parts)


# Runs that ended (either way): their failed checks are alerted. The event log is read by the
# run-status index, the one every instance storage keeps in order (the default SQLite storage
# shards the rest of the log by run).
ENDED_RUNS = (DagsterEventType.RUN_SUCCESS, DagsterEventType.RUN_FAILURE)


def _latest_ids(instance: dg.DagsterInstance) -> dict[str, int]:
    latest = {}
    for event_type in ENDED_RUNS:
        records = instance.fetch_run_status_changes(event_type, limit=1).records
        latest[event_type.value] = records[0].storage_id if records else 0
    records = instance.event_log_storage.get_event_records(
        EventRecordsFilter(DagsterEventType.FRESHNESS_STATE_CHANGE), limit=1
    )
    latest[DagsterEventType.FRESHNESS_STATE_CHANGE.value] = records[0].storage_id if records else 0
    return latest


def _new_records(instance: dg.DagsterInstance, cursor: dict[str, int]):
    """(cursor key, record) of the events after the cursor: checks evaluated in runs that
    ended since, then freshness state changes."""
    for event_type in ENDED_RUNS:
        after = cursor.get(event_type.value, 0)
        ended = instance.fetch_run_status_changes(
            event_type,
            limit=EVENTS_PER_TICK,
            cursor=EventLogCursor.from_storage_id(after).to_string(),
            ascending=True,
        ).records
        for run_record in ended:
            checks = instance.get_records_for_run(
                run_record.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
            ).records
            for record in checks:
                yield None, record
            yield event_type.value, run_record
    after = cursor.get(DagsterEventType.FRESHNESS_STATE_CHANGE.value, 0)
    for record in instance.event_log_storage.get_event_records(
        EventRecordsFilter(DagsterEventType.FRESHNESS_STATE_CHANGE, after_cursor=after),
        limit=EVENTS_PER_TICK,
        ascending=True,
    ):
        yield DagsterEventType.FRESHNESS_STATE_CHANGE.value, record


@dg.sensor(
    name="alert_on_failed_checks",
    description="E-mail and/or webhook alert for the failed asset checks (the dbt tests) of "
    "every run that ended, and for every asset whose freshness policy turns FAIL; off without "
    "alert settings.",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def alert_on_failed_checks(context: dg.SensorEvaluationContext) -> dg.SkipReason | None:
    """Reads the event log from its cursor (per event type, the last storage id read). The
    first tick starts at the present: what happened before the sensor ever ran is not
    alerted."""
    settings = load_alert_settings()
    instance = context.instance
    if context.cursor is None:
        context.update_cursor(json.dumps(_latest_ids(instance)))
        return dg.SkipReason("first tick: watching the event log from now on")
    cursor = json.loads(context.cursor)
    # One alert per run (or per runless evaluation) and kind: a dbt build with ten failing
    # tests sends one message listing the ten.
    grouped: dict[tuple, Alert] = {}
    for key, record in _new_records(instance, cursor):
        if key is not None:
            cursor[key] = record.storage_id
            if key != DagsterEventType.FRESHNESS_STATE_CHANGE.value:
                continue
        alert = _check_alert(record, settings.ui_url) if settings.enabled else None
        if alert is None:
            continue
        group = (alert.kind, alert.run_id)
        if group in grouped:
            alert = replace(grouped[group], failures=grouped[group].failures + alert.failures)
        grouped[group] = alert
    for alert in grouped.values():
        deliver(settings, alert, context.log)
    context.update_cursor(json.dumps(cursor))
    if not settings.enabled:
        return dg.SkipReason("alerts are off: no ALERT_SMTP_HOST nor ALERT_WEBHOOK_URL")
    return None if grouped else dg.SkipReason("no failed check since the last tick")
