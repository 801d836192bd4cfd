"""The dbt docs site is generated again only when what it is made of changed: the dbt project's
code (models, macros, seeds, tests, dbt_project.yml), the build's vars or dbt's version — never
because the day's data did."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil

from pipeline.assets.warehouse import (
    docs_are_current,
    docs_fingerprint,
    docs_fingerprint_path,
)
from pipeline.config import Settings
from pipeline.project import DBT_PROJECT_DIR


def _settings(tmp_path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        warehouse_path=tmp_path / "warehouse" / "warehouse.duckdb",
        history_start=dt.date(2024, 1, 1),
        as_of_override=None,
        pii_hash_key=b"k" * 32,
    )


def _project_copy(tmp_path):
    project = tmp_path / "dbt_project"
    for folder in ("models", "macros", "seeds", "tests"):
        shutil.copytree(DBT_PROJECT_DIR / folder, project / folder)
    shutil.copyfile(DBT_PROJECT_DIR / "dbt_project.yml", project / "dbt_project.yml")
    return project


def test_fingerprint_follows_the_code_not_the_build_output(tmp_path):
    settings, project = _settings(tmp_path), _project_copy(tmp_path)
    first = docs_fingerprint(settings, project)
    (project / "target").mkdir()
    (project / "target" / "run_results.json").write_text("{}")
    (project / "logs").mkdir()
    (project / "logs" / "dbt.log").write_text("a run")
    assert docs_fingerprint(settings, project) == first

    model = next((project / "models").rglob("*.sql"))
    model.write_text(model.read_text() + "\n-- a change\n")
    changed = docs_fingerprint(settings, project)
    assert changed != first

    yml = next((project / "models").rglob("*.yml"))
    yml.write_text(yml.read_text() + "\n# a description changed\n")
    assert docs_fingerprint(settings, project) not in (first, changed)


def test_fingerprint_follows_the_build_vars(tmp_path):
    settings, project = _settings(tmp_path), _project_copy(tmp_path)
    later = dataclasses.replace(settings, history_start=dt.date(2025, 1, 1))
    assert docs_fingerprint(settings, project) != docs_fingerprint(later, project)


def test_docs_are_current_only_with_the_site_and_its_recorded_fingerprint(tmp_path):
    settings = _settings(tmp_path)
    site = settings.warehouse_path.parent / "docs" / "index.html"
    assert not docs_are_current(settings, site, "abc")
    site.parent.mkdir(parents=True)
    site.write_text("<html></html>")
    assert not docs_are_current(settings, site, "abc")  # no fingerprint recorded
    docs_fingerprint_path(settings).write_text("abc\n")
    assert docs_are_current(settings, site, "abc")
    assert not docs_are_current(settings, site, "abd")
    site.unlink()
    assert not docs_are_current(settings, site, "abc")
