"""The dbt models as assets (staging → intermediate → marts) and the publication of the marts.

Every DuckDB writer runs in the pool `warehouse_writer` (limit 1, see `dagster.yaml`): DuckDB
allows one writer per file.
"""

import hashlib
import importlib.metadata
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from uuid import uuid4

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from pipeline.atomic import atomic_path
from pipeline.build_skip import plan_skips, relation_changes
from pipeline.build_state import begin_build, code_hash, complete_build, plan_build
from pipeline.config import Settings, load_settings
from pipeline.pipeline_env import patched_environ
from pipeline.project import dbt_project
from pipeline.publish import publish_warehouse
from pipeline.runtime import dbt_environment, run_as_of

WRITER_POOL = "warehouse_writer"
LAYERS = ("staging", "intermediate", "marts", "audit")
# The models the publication waits for: run by every build (Dagster runs the publication only
# after they materialized).
PUBLISHED_FROM = (dg.AssetKey(["marts", "fct_indicator"]), dg.AssetKey(["marts", "fct_dossier"]))


class LayeredTranslator(DagsterDbtTranslator):
    """Groups dbt models by layer (their folder) so the UI reads like a map of the warehouse."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        if dbt_resource_props["resource_type"] == "source":
            return "raw"
        fqn = dbt_resource_props.get("fqn", [])
        for layer in LAYERS:
            if layer in fqn:
                return layer
        return super().get_group_name(dbt_resource_props)

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        group = self.get_group_name(dbt_resource_props) or "dbt"
        return dg.AssetKey([group, dbt_resource_props["name"]])

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return ["team:analytics"]


translator = LayeredTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def dbt_vars(settings: Settings) -> str:
    """The run's settings as dbt vars. The AS_OF is not one of them: it changes every run and
    changed vars make dbt re-parse every file; it goes through DBT_AS_OF (macros/run_vars.sql),
    read only when a node executes."""
    return json.dumps(
        {
            "history_start": settings.history_start.isoformat(),
            "max_reject_rate": settings.max_reject_rate,
        }
    )


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    pool=WRITER_POOL,
)
def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Builds and tests the warehouse models in the private build file: incrementally when the
    last complete build allows it (pipeline/build_state.py), else from scratch."""
    settings = load_settings()
    os.environ.update(dbt_environment(settings))
    as_of = run_as_of(context, settings)
    plan = plan_build(settings, as_of, dbt_project.project_dir)
    context.log.info(f"dbt build: {plan.mode} ({plan.reason})")
    args = [
        "build",
        "--vars",
        dbt_vars(settings),
        # The dbt unit tests check the models' logic on fixed rows, not the day's data: they
        # run in `make test` (tests/test_dbt_unit_tests.py), not in every daily build.
        "--exclude-resource-type",
        "unit_test",
    ]
    plan.state["changes"] = None  # a full build may change any relation
    if plan.full:
        args.append("--full-refresh")
    else:
        # Nodes whose inputs did not change since the last complete build are not run.
        manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
        skips = plan_skips(manifest, plan.changes, [key.path[-1] for key in PUBLISHED_FROM])
        for line in skips.summary():
            context.log.info(f"dbt build: {line}")
        args += skips.exclude_args()
        plan.state["skipped"] = skips.counts()
        ran = [u for u in manifest["nodes"] if u not in skips.skipped]
        plan.state["changes"] = relation_changes(manifest, ran)
    begin_build(settings)
    # The run's AS_OF and incremental inputs reach the dbt process only (it starts here): a
    # later dbt command of this process (another run in process, a test) must not inherit them.
    with patched_environ(plan.env):
        invocation = dbt.cli(
            args, context=context, target_path=build_target_path(context, settings)
        )
    yield from invocation.stream()
    complete_build(settings, plan)
    keep_parse(invocation.target_path, settings)
    context.log.info(f"dbt build complete ({plan.mode})")


# The build's parse state and compiled manifest are kept beside the build file: the next build
# starts from that parse (dbt re-parses only the files that changed), and the run's docs
# neither parse nor compile again.
PARSE_STATE = "dbt_state"


KEPT_ARTIFACTS = ("partial_parse.msgpack", "manifest.json")


def keep_parse(target_path: Path, settings: Settings) -> None:
    """Keep the build's parse state and compiled manifest beside the build file."""
    kept = settings.build_path.parent / PARSE_STATE
    kept.mkdir(parents=True, exist_ok=True)
    for name in KEPT_ARTIFACTS:
        source = Path(target_path) / name
        if source.exists():
            with atomic_path(kept / name) as tmp:
                shutil.copyfile(source, tmp)


def build_target_path(context: dg.AssetExecutionContext, settings: Settings) -> Path:
    """A fresh dbt target folder for the build, holding the previous build's parse state."""
    return fresh_target_path(context, settings, "dbt_build")


def docs_target_path(context: dg.AssetExecutionContext, settings: Settings) -> Path:
    """A fresh dbt target folder, holding the build's parse state when there is one."""
    return fresh_target_path(context, settings, "dbt_docs")


def fresh_target_path(context: dg.AssetExecutionContext, settings: Settings, kind: str) -> Path:
    name = f"{kind}-{context.run.run_id[:7]}-{uuid4().hex[:7]}"
    target = dbt_project.project_dir / "target" / name
    target.mkdir(parents=True, exist_ok=True)
    kept = settings.build_path.parent / PARSE_STATE
    for name in KEPT_ARTIFACTS:
        if (kept / name).exists():
            shutil.copyfile(kept / name, target / name)
    return target


@dg.asset(
    key=["publish", "warehouse"],
    deps=list(PUBLISHED_FROM),
    group_name="publish",
    kinds={"duckdb", "parquet"},
    owners=["team:data-platform"],
    pool=WRITER_POOL,
    description="Checkpointed read-only copy of the public schemas (marts, audit), swapped "
    "atomically into WAREHOUSE_PATH, and the marts exported as Parquet beside it "
    "(warehouse.md 'Access'). Only the tables whose content changed since the last "
    "publication are copied and exported again; a mart a daily build changed only for the "
    "dossiers it recomputed gets only those of their rows that differ replaced.",
)
def published_warehouse(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = load_settings()
    published = publish_warehouse(settings.build_path, settings.warehouse_path)
    context.log.info(
        f"published {published.tables} tables to {settings.warehouse_path}: "
        f"{len(published.copied)} copied, {len(published.by_rows)} updated by rows, "
        f"{len(published.kept)} kept unchanged ({len(published.compared)} read whole to compare); "
        f"{len(published.exported)} Parquet exports written, {len(published.export_kept)} kept"
        + "".join(
            f"; {table}: {deleted} rows deleted, {inserted} inserted"
            for table, (deleted, inserted) in published.replaced.items()
        )
        + "".join(
            f"; {table}: {written} partitions written, {linked} linked from the last export"
            for table, (written, linked) in published.partitions.items()
        )
    )
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(settings.warehouse_path)),
            "tables": published.tables,
            "rows": dg.MetadataValue.json(published.rows),
            "bytes": published.bytes,
            # Publication by difference: what this run wrote, and what it left as published.
            "started_from_previous_file": published.from_previous,
            "tables_copied": dg.MetadataValue.json(published.copied),
            "tables_kept": dg.MetadataValue.json(published.kept),
            # Published by rows: of the recomputed dossiers' rows, those that differ from the
            # build's replaced in the copied file (how many deleted and inserted).
            "tables_by_rows": dg.MetadataValue.json(published.by_rows),
            "rows_replaced": dg.MetadataValue.json(
                {
                    table: {"deleted": deleted, "inserted": inserted}
                    for table, (deleted, inserted) in published.replaced.items()
                }
            ),
            # Fingerprinted whole: the tables the build records could not vouch for.
            "tables_compared": dg.MetadataValue.json(published.compared),
            "parquet_exported": dg.MetadataValue.json(published.exported),
            "parquet_kept": dg.MetadataValue.json(published.export_kept),
            # A partitioned export written: its partitions written again and those linked
            # unchanged from the last export (hard links, no bytes written).
            "parquet_partitions": dg.MetadataValue.json(
                {
                    table: {"written": written, "linked": linked}
                    for table, (written, linked) in published.partitions.items()
                }
            ),
        }
    )


@dg.asset(
    key=["publish", "dbt_docs"],
    deps=[dg.AssetKey(["publish", "warehouse"])],
    group_name="publish",
    kinds={"dbt", "html"},
    owners=["team:analytics"],
    pool=WRITER_POOL,
    description="The dbt documentation site (models, columns, lineage, tests) as one offline "
    "HTML file beside the published warehouse: <warehouse folder>/docs/index.html.",
)
def dbt_docs(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> dg.MaterializeResult:
    settings = load_settings()
    target = settings.warehouse_path.parent / "docs" / "index.html"
    fingerprint = docs_fingerprint(settings)
    if docs_are_current(settings, target, fingerprint):
        context.log.info("dbt docs kept: the dbt project's code is unchanged since they were made")
        return dg.MaterializeResult(
            metadata={"path": dg.MetadataValue.path(str(target)), "regenerated": False}
        )
    os.environ.update(dbt_environment(settings))
    as_of = run_as_of(context, settings).isoformat()
    with patched_environ({"DBT_AS_OF": as_of}):
        invocation = dbt.cli(
            [
                "docs",
                "generate",
                "--static",
                # The build's compiled manifest is reused: compiling every node again cost as much
                # as the build itself on a small world.
                "--no-compile",
                "--vars",
                dbt_vars(settings),
            ],
            manifest=dbt_project.manifest_path,
            raise_on_error=True,
            # Same vars as the build, started from the build's parse: no second full parse.
            target_path=docs_target_path(context, settings),
        ).wait()
    with atomic_path(target) as tmp:
        shutil.copyfile(invocation.target_path / "static_index.html", tmp)
    with atomic_path(docs_fingerprint_path(settings)) as tmp:
        tmp.write_text(fingerprint + "\n", encoding="utf-8")
    return dg.MaterializeResult(
        metadata={"path": dg.MetadataValue.path(str(target)), "regenerated": True}
    )


# What the docs site is made of: the dbt project's code (the same folders as the manifest's
# make rule), the build's vars and target, the dbt versions. Data alone leaves the site as it is.
DOCS_SOURCES = ("models", "macros", "seeds", "tests", "snapshots", "analyses")
DOCS_FILES = ("dbt_project.yml", "packages.yml", "dependencies.yml")


def docs_fingerprint(settings: Settings, project_dir: Path | None = None) -> str:
    """A digest of everything the dbt docs site is generated from, but the warehouse's rows."""
    project_dir = project_dir or dbt_project.project_dir
    digest = hashlib.sha256(code_hash(project_dir, DOCS_SOURCES + DOCS_FILES).encode())
    digest.update(dbt_vars(settings).encode())
    digest.update(os.environ.get("DBT_TARGET", "duckdb").encode())  # profiles.yml's target
    for package in ("dbt-core", "dbt-duckdb"):
        digest.update(f"{package}=={importlib.metadata.version(package)}".encode())
    return digest.hexdigest()


def docs_fingerprint_path(settings: Settings) -> Path:
    return settings.warehouse_path.parent / "docs" / ".code-fingerprint"


def docs_are_current(settings: Settings, site: Path, fingerprint: str) -> bool:
    """Whether the published site was generated from this very code (and is still there)."""
    recorded = docs_fingerprint_path(settings)
    if not site.exists() or not recorded.exists():
        return False
    return recorded.read_text(encoding="utf-8").strip() == fingerprint
