"""What the connectors do when a source misbehaves beyond repair: too many bad records, a
portal asking to slow down, a portal that stays down (sources.md D)."""

from __future__ import annotations

import dagster as dg
import pytest

from pipeline.assets import raw
from pipeline.demo import simulator_environment
from pipeline.landing.audit import RejectRateExceeded
from pipeline.landing.dvcqg import DvcqgLanding
from pipeline.landing.motcua import MotcuaLanding
from pipeline.periods import Period
from pipeline.pipeline_env import demo_pii_hash_key, patched_environ
from pipeline.sources.http import RetryPolicy, SourceUnavailable
from simulator.server import free_port, run_simulator
from tests.connectors.conftest import (
    AS_OF,
    SCALE,
    RecordingSleep,
    fast_retry,
    make_env,
    raw_rows,
    set_faults,
    sim_stats,
)


@pytest.fixture(scope="module")
def sim():
    with run_simulator(scale=SCALE, as_of=AS_OF, fault_seed=3) as handle:
        yield handle


@pytest.fixture
def faults(sim):
    yield lambda **rates: set_faults(sim, rates)
    set_faults(sim, {})


def test_run_fails_above_the_reject_rate_and_lands_nothing(sim, faults, data_dir):
    faults(malformed=0.2)
    env = make_env(sim, data_dir, max_reject_rate=0.05)
    with env.motcua_client() as client:
        landing = MotcuaLanding(env.settings, client, "too-many-rejects")
        with pytest.raises(RejectRateExceeded, match=r"rejected \(.*% > 5.0%\); nothing landed"):
            landing.land_dossiers_incremental(AS_OF)
    raw_dir = env.settings.raw_dir
    assert not (raw_dir / "motcua" / "dossiers").exists()
    assert landing.watermarks.get("motcua_dossiers") is None
    [(read, landed, rejected)] = raw_rows(
        raw_dir, "audit/load_log", "records_read, records_landed, records_rejected"
    )
    assert landed == 0 and 0.1 < rejected / read < 0.3
    reasons = raw_rows(raw_dir, "audit/rejects", "distinct split_part(reason, ':', 1)")
    assert len(reasons) >= 3  # bad dates, unknown status, missing keys, wrong types


def test_retry_after_is_honoured(sim, faults, data_dir):
    faults(rate_limit=0.3)
    before = sim_stats(sim)["faults"]["injected"].get("rate_limit", 0)
    sleep = RecordingSleep()
    retry = RetryPolicy(attempts=12, initial=0.01, maximum=0.1, sleep=sleep)
    env = make_env(sim, data_dir)
    with env.motcua_client(retry) as client:
        pages = list(client.dossiers_updated(AS_OF.replace(year=2024, month=1, day=1), AS_OF))
    limited = sim_stats(sim)["faults"]["injected"]["rate_limit"] - before
    assert pages and limited > 3
    # every 429 was followed by a pause of exactly its Retry-After (1 s), never a short backoff
    assert retry.waits["retry-after"] == limited
    assert retry.retry_after_seconds == [1.0] * limited
    assert sleep.calls.count(1.0) >= limited


def test_a_source_that_stays_down_fails_with_a_clear_message(sim, faults, data_dir):
    faults(server_error=1.0)
    env = make_env(sim, data_dir)
    with (
        env.motcua_client(fast_retry(attempts=3)) as client,
        pytest.raises(
            SourceUnavailable, match=r"one-stop token is unavailable after 3 attempts \(.*HTTP 50"
        ),
    ):
        list(client.procedures())
    with env.dvcqg_client(fast_retry(attempts=3)) as client:
        with pytest.raises(SourceUnavailable, match="national portal login is unavailable"):
            list(client.petitions(AS_OF))
        with pytest.raises(SourceUnavailable, match="evaluation/transparency is unavailable"):
            client.evaluation("transparency", Period("month", AS_OF.date().replace(day=1)))


def test_an_unreachable_source_fails_with_a_clear_message(sim, data_dir):
    env = make_env(sim, data_dir)
    env.motcua = type(env.motcua)(**{**env.motcua.__dict__, "token_url": closed_url()})
    with (
        env.motcua_client(fast_retry(attempts=2)) as client,
        pytest.raises(SourceUnavailable, match="unavailable after 2 attempts.*ConnectError"),
    ):
        list(client.agencies())


def test_evaluation_asset_fails_the_run_when_the_portal_stays_down(sim, faults, tmp_path):
    faults(server_error=1.0)
    env = {
        **simulator_environment(sim),
        "DVCQG_ROOT_DEPARTMENT_ID": sim.root_department_id,
        "DATA_DIR": str(tmp_path / "data"),
        "PII_HASH_KEY": demo_pii_hash_key(tmp_path / "data"),
        "AS_OF": AS_OF.isoformat(),
    }
    with patched_environ(env):
        result = dg.materialize(
            [raw.dvcqg_evaluation], instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
        )
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.error
    assert "SourceUnavailable" in str(failure.cls_name) or "unavailable" in failure.to_string()
    assert not (tmp_path / "data" / "raw" / "dvcqg" / "evaluation").exists()


def test_expired_sessions_are_renewed(sim, faults, data_dir):
    faults(token_expiry=0.3)
    env = make_env(sim, data_dir)
    with env.dvcqg_client() as client:
        result = DvcqgLanding(env.settings, client, "sessions").land_petitions(AS_OF)
        assert client.logins > 1
    assert result.records_landed > 0 and result.records_rejected == 0


def closed_url() -> str:
    return f"http://127.0.0.1:{free_port()}/token"
