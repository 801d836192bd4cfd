"""Alerts (issue 17): a real failed run and failed checks on a real instance, the sensors
evaluated through Dagster's APIs, the e-mail received by a local SMTP server (aiosmtpd) and the
webhook by a local HTTP receiver; both read in Vietnamese and English, with no secret in them."""

from __future__ import annotations

import email
import email.policy
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from dagster._core.definitions.freshness import FreshnessState, FreshnessStateChange
from dagster._core.events import DagsterEventType

from pipeline import alerts
from pipeline.pipeline_env import patched_environ
from pipeline.runtime import AS_OF_TAG
from simulator.server import free_port
from tests.conftest import AS_OF, pipeline_environment
from tests.reliability.runner import fast_clients

REPO = Path(__file__).resolve().parent.parent
SMTP_USER, SMTP_PASSWORD = "alerts", "smtp-pass-5f2e9c"
WEBHOOK_TOKEN = "hook-token-8d1b77"
UI = "http://warehouse.example:3000"


class _Mailbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.raw: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook
        self.raw.append(envelope.content.decode("utf-8", "replace"))
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"


def _authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login.decode(),
        auth_data.password.decode(),
    ) == (SMTP_USER, SMTP_PASSWORD)
    return AuthResult(success=ok)


@pytest.fixture
def smtp_server():
    mailbox = _Mailbox()
    port = free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=_authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield port, mailbox
    finally:
        controller.stop()


@pytest.fixture
def webhook_receiver():
    received: list[dict] = []
    paths: list[str] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's hook
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            paths.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", received, paths
    finally:
        server.shutdown()
        server.server_close()


def alert_environment(smtp_port: int, webhook_url: str) -> dict[str, str]:
    return {
        "ALERT_SMTP_HOST": "127.0.0.1",
        "ALERT_SMTP_PORT": str(smtp_port),
        "ALERT_SMTP_USER": SMTP_USER,
        "ALERT_SMTP_PASSWORD": SMTP_PASSWORD,
        "ALERT_SMTP_STARTTLS": "false",
        "ALERT_EMAIL_FROM": "warehouse@example.org",
        "ALERT_EMAIL_TO": "ops@example.org, data-office@example.org",
        "ALERT_WEBHOOK_URL": f"{webhook_url}/hooks/ops?token={WEBHOOK_TOKEN}",
        "DAGSTER_WEBSERVER_URL": UI,
    }


def secrets_of(env: dict[str, str]) -> list[str]:
    names = ("PASSWORD", "PII_HASH_KEY")
    return [v for k, v in env.items() if any(n in k for n in names) and v] + [WEBHOOK_TOKEN]


def assert_no_secret(text: str, env: dict[str, str]) -> None:
    for secret in secrets_of(env):
        assert secret not in text, f"a secret setting's value ({secret[:3]}…) is in the alert"


def readable(message: email.message.EmailMessage) -> str:
    """Headers decoded and the body decoded (the wire form may be base64)."""
    headers = "\n".join(f"{name}: {value}" for name, value in message.items())
    return f"{headers}\n\n{message.get_content()}"


def test_scrub_removes_credentials_secrets_and_personal_numbers():
    env = {"PII_HASH_KEY": "k3y-of-the-province", "MOTCUA_PASSWORD": "p@ss-word-1"}
    text = (
        "GET https://warehouse:hunter2@motcua.example.gov.vn/api?access_token=eyJabc.def&page=2 "
        "failed; Authorization: Bearer eyJhbGciOi.payload.sig; key k3y-of-the-province; "
        "password=p@ss-word-1; applicant 0912 345 678 / +84912345678, CCCD 001204012345, "
        "CMND 123456789, mail nguyen.van.a@gmail.com; run 3f2c1d7e-9a4b-4c1e-8f00-1a2b3c4d5e6f "
        "as of 2026-11-20T05:00:00+07:00, 3 of 120 records rejected (2.5% > 1.0%)"
    )
    clean = alerts.scrub(text, env)
    for leaked in (
        "hunter2",
        "eyJabc",
        "eyJhbGciOi",
        "k3y-of-the-province",
        "p@ss-word-1",
        "0912 345 678",
        "84912345678",
        "001204012345",
        "123456789",
        "nguyen.van.a",
    ):
        assert leaked not in clean, leaked
    # What an operator needs stays: the host, the run, the instant, the counts.
    assert "motcua.example.gov.vn/api" in clean
    assert "3f2c1d7e-9a4b-4c1e-8f00-1a2b3c4d5e6f" in clean
    assert "2026-11-20T05:00:00+07:00" in clean
    assert "3 of 120 records rejected (2.5% > 1.0%)" in clean
    assert len(alerts.scrub("x" * 5000, env)) <= alerts.ERROR_CHARS + 2


def test_without_settings_alerts_are_off():
    names = [n for n in alert_environment(25, "http://x") if n.startswith("ALERT_")]
    with patched_environ({name: "" for name in names}):
        settings = alerts.load_alert_settings()
        assert not settings.enabled
        with dg.instance_for_test() as instance:
            context = dg.build_sensor_context(instance=instance, cursor='{"x": 0}')
            result = alerts.alert_on_failed_checks(context)
    assert isinstance(result, dg.SkipReason) and "alerts are off" in result.skip_message


def test_failed_run_alert_by_email_and_webhook(simulator, tmp_path, smtp_server, webhook_receiver):
    """A daily_refresh whose one-stop portal is unreachable fails for real; the run-failure
    sensor, evaluated on that instance, mails and posts the alert."""
    from pipeline.definitions import defs

    smtp_port, mailbox = smtp_server
    hook_url, received, paths = webhook_receiver
    env = {
        **pipeline_environment(tmp_path, simulator),
        "MOTCUA_BASE_URL": f"http://127.0.0.1:{free_port()}",  # nothing listens there
        **alert_environment(smtp_port, hook_url),
    }
    with dg.instance_for_test() as instance, patched_environ(env), fast_clients():
        result = defs.resolve_job_def("daily_refresh").execute_in_process(
            instance=instance,
            tags={AS_OF_TAG: AS_OF},
            asset_selection=[dg.AssetKey(["raw", "motcua_agencies"])],
            raise_on_error=False,
        )
        assert not result.success
        run = instance.get_run_by_id(result.run_id)
        [failure] = [e for e in result.all_events if e.event_type == DagsterEventType.RUN_FAILURE]
        context = dg.build_run_status_sensor_context(
            sensor_name="alert_on_run_failure",
            dagster_event=failure,
            dagster_instance=instance,
            dagster_run=run,
        ).for_run_failure()
        alerts.alert_on_run_failure(context)

    [message] = mailbox.messages
    assert message["To"] == "ops@example.org, data-office@example.org"
    subject = message["Subject"]
    assert "Lần chạy thất bại" in subject and "run failed" in subject and "daily_refresh" in subject
    body = message.get_content().replace("\r\n", "\n")
    [hook] = received
    assert paths == [f"/hooks/ops?token={WEBHOOK_TOKEN}"]
    assert hook["text"] == body
    assert hook["kind"] == "run_failure" and hook["run_id"] == result.run_id
    assert hook["job"] == "daily_refresh"
    assert hook["url"] == f"{UI}/runs/{result.run_id}"
    [step] = hook["failures"]
    assert step["step"] == "raw__motcua_agencies"
    # Its own error, unwrapped from Dagster's wrappers.
    unavailable = "SourceUnavailable: one-stop token is unavailable after 12 attempts"
    assert unavailable in step["error"]
    assert not step["error"].startswith("Dagster")
    for text in (body, json.dumps(hook, ensure_ascii=False)):
        # Vietnamese (with its diacritics) and English, which run, which step, where to look.
        assert f"Lần chạy {result.run_id} của tác vụ daily_refresh đã thất bại" in text
        assert f"Run {result.run_id} of job daily_refresh failed" in text
        assert "Kho dữ liệu đã công bố vẫn giữ nguyên" in text
        assert f"raw__motcua_agencies: pipeline.sources.http.{unavailable}" in text
        assert f"Xem chi tiết: {UI}/runs/{result.run_id}" in text
        assert f"Where to look: {UI}/runs/{result.run_id}" in text
        assert "docs/operations.md#reading-an-alert" in text
    for text in (readable(message), mailbox.raw[0], json.dumps(hook, ensure_ascii=False)):
        assert_no_secret(text, env)


@dg.asset(key=["marts", "fct_dossier"])
def fct_dossier() -> None:
    return None


@dg.asset_check(asset=fct_dossier, name="unique_fct_dossier_dossier_code")
def unique_code() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        description="12 duplicate rows; key the-province-key-1; tel 0987654321",
    )


@dg.asset_check(asset=fct_dossier, name="not_null_dossier_code")
def not_null_code() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


def test_failed_check_and_stale_asset_alerts(smtp_server, webhook_receiver):
    """The check sensor over a real instance's event log: its first tick starts at the present;
    the failed check of a run that ended after it, and a freshness state turned FAIL (as the
    daemon reports it for a FreshnessPolicy), are alerted once each."""
    smtp_port, mailbox = smtp_server
    hook_url, received, _ = webhook_receiver
    env = {**alert_environment(smtp_port, hook_url), "PII_HASH_KEY": "the-province-key-1"}
    checks = [fct_dossier, unique_code, not_null_code]
    with dg.instance_for_test() as instance, patched_environ(env):
        # Before the sensor's first tick: history, never alerted.
        dg.materialize(checks, instance=instance, raise_on_error=False)
        first = dg.build_sensor_context(instance=instance)
        assert isinstance(alerts.alert_on_failed_checks(first), dg.SkipReason)
        run = dg.materialize(checks, instance=instance, raise_on_error=False)
        instance.report_runless_asset_event(
            FreshnessStateChange(
                key=dg.AssetKey(["publish", "warehouse"]),
                new_state=FreshnessState.FAIL,
                previous_state=FreshnessState.PASS,
                state_change_timestamp=1.0,
            )
        )
        second = dg.build_sensor_context(instance=instance, cursor=first.cursor)
        assert alerts.alert_on_failed_checks(second) is None
        third = dg.build_sensor_context(instance=instance, cursor=second.cursor)
        assert isinstance(alerts.alert_on_failed_checks(third), dg.SkipReason)

    assert len(mailbox.messages) == 2 and len(received) == 2
    by_kind = {hook["kind"]: hook for hook in received}
    check = by_kind["check_failure"]
    assert check["run_id"] == run.run_id and check["url"] == f"{UI}/runs/{run.run_id}"
    [failure] = check["failures"]
    assert failure["step"] == "marts/fct_dossier › unique_fct_dossier_dossier_code"
    assert failure["error"].startswith("[ERROR] 12 duplicate rows")
    assert "Kiểm tra dữ liệu không đạt trong lần chạy" in check["text"]
    assert f"A data check failed in run {run.run_id}" in check["text"]
    stale = by_kind["freshness"]
    assert stale["failures"][0]["step"] == "publish/warehouse"
    assert "Dữ liệu đã quá hạn làm mới" in stale["text"] and "Data became stale" in stale["text"]
    assert stale["url"] == f"{UI}/assets"
    subjects = sorted(m["Subject"] for m in mailbox.messages)
    assert any("Kiểm tra dữ liệu không đạt / data check failed" in s for s in subjects)
    assert any("Dữ liệu quá hạn / data is stale" in s for s in subjects)
    texts = [*map(readable, mailbox.messages), *mailbox.raw]
    for text in texts + [json.dumps(h, ensure_ascii=False) for h in received]:
        assert_no_secret(text, env)
        assert "0987654321" not in text


def test_the_daemon_sends_the_run_failure_alert(simulator, tmp_path, smtp_server, webhook_receiver):
    """Under `dagster-daemon run` (the service's process) on a deployment instance: a run that
    fails after the sensor's first tick is alerted with no other action."""
    from pipeline.definitions import defs

    smtp_port, mailbox = smtp_server
    hook_url, received, _ = webhook_receiver
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    env = {
        **pipeline_environment(tmp_path, simulator),
        "MOTCUA_BASE_URL": f"http://127.0.0.1:{free_port()}",  # nothing listens there
        **alert_environment(smtp_port, hook_url),
    }
    log = (tmp_path / "daemon.log").open("w")
    daemon = subprocess.Popen(
        [str(Path(sys.executable).with_name("dagster-daemon")), "run", "-w", "workspace.yaml"],
        cwd=REPO,
        env={**os.environ, **env, "DAGSTER_HOME": str(home), "PYTHONPATH": str(REPO)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            # The sensor alerts runs that fail after its first tick.
            _wait(lambda: _sensor_cursor(instance, "alert_on_run_failure"), 240, tmp_path)
            with patched_environ(env), fast_clients():
                result = defs.resolve_job_def("daily_refresh").execute_in_process(
                    instance=instance,
                    tags={AS_OF_TAG: AS_OF},
                    asset_selection=[dg.AssetKey(["raw", "motcua_agencies"])],
                    raise_on_error=False,
                )
            assert not result.success
            _wait(lambda: any(h.get("run_id") == result.run_id for h in received), 180, tmp_path)
    finally:
        daemon.terminate()
        daemon.wait(timeout=60)
        log.close()
    [hook] = [h for h in received if h.get("run_id") == result.run_id]
    assert hook["kind"] == "run_failure" and hook["failures"][0]["step"] == "raw__motcua_agencies"
    assert any(result.run_id in m.get_content() for m in mailbox.messages)
    assert_no_secret(json.dumps(hook, ensure_ascii=False), env)


def _sensor_cursor(instance: dg.DagsterInstance, name: str) -> bool:
    from dagster._core.scheduler.instigation import InstigatorType

    for state in instance.all_instigator_state(instigator_type=InstigatorType.SENSOR):
        if state.name == name and state.instigator_data and state.instigator_data.cursor:
            return True
    return False


def _wait(condition, seconds: float, tmp_path: Path) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("timed out; daemon log:\n" + (tmp_path / "daemon.log").read_text()[-3000:])
        time.sleep(1)
