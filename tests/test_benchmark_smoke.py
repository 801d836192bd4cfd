"""`make bench` at a tiny scale: every step of the benchmark runs end to end and writes its
results (no timing is asserted: figures are for BENCHMARKS.md, measured by `make bench`)."""

from __future__ import annotations

import json

import pytest

from benchmarks.bench import SMOKE, run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    work = tmp_path_factory.mktemp("bench")
    out = work / "results.json"
    svg = work / "build_time.svg"
    run(SMOKE, work, out, svg)
    return json.loads(out.read_text()), svg


def test_writes_every_figure_of_the_issue(results):
    figures, _ = results
    for key in (
        "extraction_vs_ceiling",
        "full_build_vs_lower_bound",
        "incremental_vs_full",
        "peak_rss_mb",
        "demo_seconds",
        "demo_extraction_vs_ceiling",
        "fixed_part_seconds",
    ):
        assert isinstance(figures[key], int | float), key
    by_size = figures["data_part_seconds_by_size"]
    assert len(by_size) == len(figures["sizes"])
    assert all(isinstance(seconds, int | float) for seconds in by_size.values())
    # Each size's world is the demo's raw zone multiplied to about that many dossiers.
    for size, planned in zip(figures["sizes"], SMOKE["sizes"], strict=True):
        assert abs(size["dossiers"] - planned) <= 0.05 * planned, (size["dossiers"], planned)
    assert figures["incremental"]["changed"] > 0
    # The daily step measures the incremental path, not a silent full rebuild.
    assert figures["incremental"]["build_mode"] == "incremental", figures["incremental"]
    # The fixed part is that of a full build every time (a repeat in the same folder would
    # otherwise be a same-day incremental build that skips nearly everything).
    assert figures["fixed_part"]["build_modes"] == ["full"] * SMOKE["fixed_repeats"]


def test_lower_bound_agrees_with_the_models(results):
    figures, _ = results
    for size in figures["sizes"]:
        check = size["lower_bound_check"]
        assert check["rows_compared"] > 0
        assert check["rows_differing"] == 0, check


def test_demo_extraction_is_set_against_the_ceiling_of_its_own_requests(results):
    figures, _ = results
    extraction = figures["demo"]["extraction"]
    # Both portals' requests were logged by the demo and sent again (the figure that travels).
    assert extraction["requests_by_source"]["motcua"] > 0
    assert extraction["requests_by_source"]["dvcqg"] > 0
    assert extraction["ceiling_seconds"] > 0
    assert extraction["seconds"] > 0
    assert any(key.startswith("raw__dvcqg") for key in figures["demo"]["steps"])
    assert any(key.startswith("raw__motcua") for key in figures["demo"]["steps"])


def test_extraction_read_what_it_fetched(results):
    figures, _ = results
    for extraction in figures["extraction"]:
        assert extraction["records_read"] > 0
        assert extraction["requests"] > 0


def test_plot_is_written(results):
    _, svg = results
    assert svg.read_text().startswith("<svg")
