# Every target bootstraps itself: a clean clone needs nothing but Python 3.11.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
TEST_STAMP := $(VENV)/.installed-test-stamp
# Optional dependency groups (pyproject.toml): the demo serves the simulator; the tests also
# build the dbt project on Spark (pyspark needs a JVM and is large: the demo never installs it).
DEMO_EXTRAS := --extra simulator
TEST_EXTRAS := --extra simulator --extra spark
LINTED := pipeline simulator tests benchmarks
MANIFEST := dbt_project/target/manifest.json

# `make serve` keeps its instance outside the checkout: the DAGSTER_HOME of the caller's
# environment, else ~/.local/state/motcua-warehouse/dagster (pipeline/service.py).
SERVICE_DAGSTER_HOME := $(if $(filter environment,$(origin DAGSTER_HOME)),$(DAGSTER_HOME),)
export DAGSTER_HOME := $(CURDIR)/.dagster
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export PYTHONPATH := $(CURDIR)

.PHONY: setup demo test refresh serve simulator ui lint clean bench

setup: $(STAMP) $(MANIFEST)

$(UV):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "Python 3.11 is required (set PYTHON=...)")'
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# The environment is rebuilt from the lock file whenever the lock or the project changes.
$(STAMP): $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON) $(DEMO_EXTRAS)
	@touch $@

$(TEST_STAMP): $(STAMP)
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON) $(TEST_EXTRAS)
	@touch $@

# The dbt manifest must exist before the Dagster definitions are imported.
$(MANIFEST): $(STAMP) $(shell find dbt_project/models dbt_project/macros dbt_project/seeds dbt_project/tests -type f) dbt_project/dbt_project.yml
	cd dbt_project && ../$(BIN)/dbt parse --profiles-dir . --quiet
	@touch $@

demo: setup  ## Simulator + whole pipeline through Dagster + published warehouse
	$(BIN)/python -m pipeline.demo

test: setup $(TEST_STAMP)  ## The whole test suite (pytest, which also runs dbt build with its tests)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(UV) lock --check --offline
	$(BIN)/dagster definitions validate -m pipeline.definitions
	$(BIN)/python -m pytest -q -n 3 --dist loadgroup --no-loadscope-reorder

refresh: setup  ## One pipeline run against the sources configured in the environment
	$(BIN)/dagster job execute -m pipeline.definitions -j daily_refresh

serve: setup  ## Dagster as a service (code server + webserver + daemon) until SIGTERM / Ctrl-C; see docs/operations.md
	DAGSTER_HOME=$(SERVICE_DAGSTER_HOME) $(BIN)/python -m pipeline.service

simulator: setup  ## Serve the portal simulator in the foreground
	$(BIN)/python -m simulator serve

ui: setup  ## The Dagster UI on 127.0.0.1:3000
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

bench: setup  ## Province-scale benchmarks (BENCHMARKS.md): writes benchmarks/results.json
	$(BIN)/python -m benchmarks.bench

lint: setup
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

clean:
	rm -rf $(VENV) $(TOOLS) data warehouse dbt_project/target

# The HTML report's browser test (tests/test_reports.py) opens the report in Debian's chromium.
.PHONY: chromium
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
test: chromium
