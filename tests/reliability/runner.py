"""One pipeline run in its own process, as a scheduler would launch it: the subject of the
crash, fault and concurrency tests (`python -m tests.reliability.runner RESULT.json`).

The environment is the pipeline's (see `tests/conftest.py::pipeline_environment`) plus
`DAGSTER_HOME` (a persistent instance, so the run's event log lands on disk and can be scanned)
and four test knobs read here, never by the pipeline:

- `RELIABILITY_ASSETS`: comma-separated asset keys (`publish/warehouse`) to run instead of
  the whole `daily_refresh` job; `core` is the job without the dbt docs site, `published` the
  job without the docs site and the reports (extraction, build, publication: for the runs whose
  tests read no report).
- `RELIABILITY_FAST_CLIENTS`: source clients with a 1 s timeout and short backoffs (fault
  runs; the production timeouts and the obedience to Retry-After are proved by the connector
  tests).
- `RELIABILITY_CORPUS`: a JSON list of one-stop dossier records served by the dossier crawl
  besides the simulator's (bad-input test).
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import dagster as dg

CORE_EXCLUDED = (("publish", "dbt_docs"),)
REPORTS = "reports"


@contextmanager
def fast_clients() -> Iterator[None]:
    """The source clients of the raw assets with a 1 s timeout and short backoffs (pauses
    capped at 50 ms, Retry-After included), restored on exit."""
    from pipeline.assets import raw
    from pipeline.sources.http import RetryPolicy

    def retry() -> RetryPolicy:
        return RetryPolicy(
            attempts=12, initial=0.01, maximum=0.1, sleep=lambda s: time.sleep(min(s, 0.05))
        )

    motcua, dvcqg = raw.MotcuaClient, raw.DvcqgClient
    raw.MotcuaClient = lambda settings: motcua(settings, timeout=1.0, retry=retry())
    raw.DvcqgClient = lambda settings: dvcqg(settings, timeout=1.0, retry=retry())
    try:
        yield
    finally:
        raw.MotcuaClient, raw.DvcqgClient = motcua, dvcqg


@contextmanager
def corpus_injected(path: Path) -> Iterator[None]:
    """The one-stop dossier crawl serves the records of a JSON corpus too, among its first
    page, as a source with bad records would (the bad-input test)."""
    from pipeline.assets import raw

    corpus = json.loads(path.read_text())
    client = raw.MotcuaClient

    class WithCorpus(client):
        def dossiers_updated(self, *args, **kwargs):
            pending = list(corpus)
            for page in super().dossiers_updated(*args, **kwargs):
                yield [*page, *pending]
                pending = []
            if pending:
                yield pending

    raw.MotcuaClient = WithCorpus
    try:
        yield
    finally:
        raw.MotcuaClient = client


def _selection(job: dg.JobDefinition) -> list[dg.AssetKey] | None:
    wanted = os.environ.get("RELIABILITY_ASSETS", "")
    if not wanted:
        return None
    keys = job.asset_layer.executable_asset_keys
    if wanted == "core":
        return [k for k in keys if tuple(k.path) not in CORE_EXCLUDED]
    if wanted == "published":
        return [k for k in keys if tuple(k.path) not in CORE_EXCLUDED and k.path[0] != REPORTS]
    return [dg.AssetKey(part.split("/")) for part in wanted.split(",")]


def main(result_path: Path) -> int:
    with ExitStack() as patches:
        if os.environ.get("RELIABILITY_FAST_CLIENTS"):
            patches.enter_context(fast_clients())
        if os.environ.get("RELIABILITY_CORPUS"):
            patches.enter_context(corpus_injected(Path(os.environ["RELIABILITY_CORPUS"])))
        return _run(result_path)


def _run(result_path: Path) -> int:
    from pipeline.definitions import defs
    from pipeline.runtime import AS_OF_TAG
    from tests.reliability.runner import daily_refresh as reconstruct_daily_refresh

    job = defs.resolve_job_def("daily_refresh")
    started = time.time()
    # As `dagster job execute` (make refresh) does: through the job's own executor.
    with (
        dg.DagsterInstance.get() as instance,
        dg.execute_job(
            dg.reconstructable(reconstruct_daily_refresh),
            instance=instance,
            tags={AS_OF_TAG: os.environ["AS_OF"]},
            raise_on_error=False,
            asset_selection=_selection(job),
        ) as result,
    ):
        errors = _errors(result)
        success, run_id = result.success, result.run_id
    result_path.write_text(
        json.dumps(
            {
                "success": success,
                "run_id": run_id,
                "seconds": time.time() - started,
                "errors": errors,
            }
        )
    )
    return 0 if success else 1


def daily_refresh() -> dg.JobDefinition:
    """The job, for `reconstructable` (imported under the module's own name, not __main__)."""
    from pipeline.definitions import defs

    return defs.resolve_job_def("daily_refresh")


def _errors(result) -> list[dict]:
    return [
        {
            "step": event.step_key,
            "cls": event.step_failure_data.error.cls_name if event.step_failure_data.error else "",
            "message": (
                event.step_failure_data.error.message if event.step_failure_data.error else ""
            )[-3000:],
            "cause": _causes(event.step_failure_data.error),
        }
        for event in result.all_events
        if event.is_step_failure
    ]


def _causes(error) -> str:
    texts = []
    while error is not None:
        texts.append(f"{error.cls_name}: {error.message}")
        error = error.cause
    return "\n".join(texts)[-3000:]


if __name__ == "__main__":
    try:
        sys.exit(main(Path(sys.argv[1])))
    except Exception:
        traceback.print_exc()
        sys.exit(2)
