"""Publication by difference (pipeline/publish.py, issue 20): which tables a publication copies
and exports again, and, on real DuckDB files, that what it keeps is what the build holds."""

from __future__ import annotations

import duckdb
import pytest

from pipeline.publish import needs_compaction, plan_publication, publish_warehouse, record_path

A, B, L = "marts.dim_unit", "marts.fct_dossier", "audit.load_log"


@pytest.mark.parametrize(
    ("current", "previous", "exports", "compact", "expected"),
    [
        # No record vouches for the published file: everything is copied and exported.
        (
            {A: "a", B: "b", L: "l"},
            None,
            {A, B},
            False,
            dict(from_previous=False, copy=(L, A, B), keep=(), export=(A, B), export_kept=()),
        ),
        # One mart changed: only it is copied and exported; the audit table is kept too.
        (
            {A: "a", B: "b2", L: "l"},
            {A: "a", B: "b", L: "l"},
            {A, B},
            False,
            dict(from_previous=True, copy=(B,), keep=(L, A), export=(B,), export_kept=(A,)),
        ),
        # Unchanged, but its Parquet file is missing: exported again, not copied.
        (
            {A: "a", B: "b"},
            {A: "a", B: "b"},
            {B},
            False,
            dict(from_previous=True, copy=(), keep=(A, B), export=(A,), export_kept=(B,)),
        ),
        # A table the build no longer has is dropped; a new one is copied.
        (
            {A: "a", "marts.new": "n"},
            {A: "a", B: "b"},
            {A, B},
            False,
            dict(from_previous=True, copy=("marts.new",), keep=(A,), drop=(B,), export_kept=(A,)),
        ),
        # The published file holds more free space than data: a new file, every table copied,
        # but the unchanged marts' exports are kept.
        (
            {A: "a", B: "b2"},
            {A: "a", B: "b"},
            {A, B},
            True,
            dict(from_previous=False, copy=(A, B), keep=(), export=(B,), export_kept=(A,)),
        ),
    ],
)
def test_only_changed_tables_are_copied_and_exported(current, previous, exports, compact, expected):
    plan = plan_publication(current, previous, exports, compact=compact)
    got = {name: getattr(plan, name) for name in expected}
    assert got == expected
    assert plan.drop == expected.get("drop", ())


@pytest.mark.parametrize(
    ("rows", "from_previous"),
    [
        # The changed table is the small one: the published file is copied, it replaced.
        ({A: 1000, B: 10, L: 5}, True),
        # The changed table holds most rows: a new file is written, every table copied.
        ({A: 10, B: 1000, L: 5}, False),
    ],
)
def test_a_file_mostly_changed_is_written_anew(rows, from_previous):
    current, previous = {A: "a", B: "b2", L: "l"}, {A: "a", B: "b", L: "l"}
    plan = plan_publication(current, previous, {A, B}, rows=rows)
    assert plan.from_previous is from_previous
    assert plan.copy == ((B,) if from_previous else (L, A, B))
    # Either way only the changed mart is exported again.
    assert plan.export == (B,) and plan.export_kept == (A,)


def test_nothing_changed_writes_no_file():
    plan = plan_publication({A: "a"}, {A: "a"}, {A})
    assert not plan.writes_file and plan.export == ()
    assert plan_publication({A: "a"}, None, {A}).writes_file


@pytest.mark.parametrize(
    ("used", "free", "compact"), [(100, 0, False), (100, 100, False), (100, 101, True)]
)
def test_a_file_with_more_free_space_than_data_is_started_anew(used, free, compact):
    assert needs_compaction(used, free) is compact


def _build(path, dossiers: int, as_of: str) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        con.execute("CREATE SCHEMA IF NOT EXISTS audit")
        con.execute("CREATE SCHEMA IF NOT EXISTS intermediate")
        con.execute(
            "CREATE OR REPLACE TABLE marts.dim_unit AS "
            "SELECT 'U' || i AS unit_code FROM range(5) t(i)"
        )
        con.execute(
            "CREATE OR REPLACE TABLE intermediate.kept_rows AS "
            f"SELECT 'D' || i AS dossier_code FROM range({dossiers}) t(i)"
        )
        con.execute(
            "CREATE OR REPLACE VIEW marts.fct_dossier AS SELECT dossier_code, "
            f"TIMESTAMPTZ '{as_of}' AS as_of FROM intermediate.kept_rows"
        )
        con.execute("CREATE OR REPLACE TABLE audit.load_log AS SELECT 1 AS records_read")


def _rows(path, sql: str):
    with duckdb.connect(str(path), read_only=True) as con:
        return sorted(con.execute(sql).fetchall())


def test_a_second_publication_copies_only_what_changed_and_equals_the_build(tmp_path):
    build, warehouse = tmp_path / "build" / "build.duckdb", tmp_path / "wh" / "warehouse.duckdb"
    build.parent.mkdir()
    marts = warehouse.parent / "marts"
    _build(build, 3, "2026-12-01 08:00:00+07")
    first = publish_warehouse(build, warehouse)
    assert first.copied == ["audit.load_log", "marts.dim_unit", "marts.fct_dossier"]
    assert not first.from_previous and first.kept == []
    unit_export = (marts / "dim_unit.parquet").stat().st_mtime_ns

    # An analyst holds the published file open while the next day is published.
    analyst = duckdb.connect(str(warehouse), read_only=True)
    _build(build, 4, "2026-12-02 08:00:00+07")
    second = publish_warehouse(build, warehouse)
    assert second.from_previous
    assert second.copied == ["marts.fct_dossier"]
    assert second.kept == ["audit.load_log", "marts.dim_unit"]
    assert second.exported == ["marts.fct_dossier"] and second.export_kept == ["marts.dim_unit"]
    assert (marts / "dim_unit.parquet").stat().st_mtime_ns == unit_export
    assert analyst.execute("SELECT count(*) FROM marts.fct_dossier").fetchall() == [(3,)]
    analyst.close()
    # The published tables (and the Parquet of the changed one) are the build's, as_of included.
    for table in ("marts.fct_dossier", "marts.dim_unit", "audit.load_log"):
        assert _rows(warehouse, f"SELECT * FROM {table}") == _rows(build, f"SELECT * FROM {table}")
    assert _rows(warehouse, f"SELECT * FROM '{marts / 'fct_dossier.parquet'}'") == _rows(
        build, "SELECT * FROM marts.fct_dossier"
    )
    # Published as a table, as before: analysts see the same kind of relation.
    assert _rows(warehouse, "SELECT table_name, table_type FROM information_schema.tables") == [
        ("dim_unit", "BASE TABLE"),
        ("fct_dossier", "BASE TABLE"),
        ("load_log", "BASE TABLE"),
    ]

    # Nothing changed: the published file is left as it is.
    inode = warehouse.stat().st_ino
    third = publish_warehouse(build, warehouse)
    assert third.copied == [] and third.exported == [] and warehouse.stat().st_ino == inode


def test_a_published_file_no_record_vouches_for_is_published_whole(tmp_path):
    """A publication that stopped half-way leaves no record; a published file replaced by
    anyone else (a restore) does not match the record: both are published whole again."""
    build, warehouse = tmp_path / "build" / "build.duckdb", tmp_path / "wh" / "warehouse.duckdb"
    build.parent.mkdir()
    _build(build, 3, "2026-12-01 08:00:00+07")
    publish_warehouse(build, warehouse)
    restored = tmp_path / "restored.duckdb"
    restored.write_bytes(warehouse.read_bytes())
    restored.replace(warehouse)
    assert len(publish_warehouse(build, warehouse).copied) == 3
    record_path(build).unlink()
    assert len(publish_warehouse(build, warehouse).copied) == 3


def test_a_publication_failing_half_way_leaves_the_published_file_and_no_record(
    tmp_path, monkeypatch
):
    build, warehouse = tmp_path / "build" / "build.duckdb", tmp_path / "wh" / "warehouse.duckdb"
    build.parent.mkdir()
    _build(build, 3, "2026-12-01 08:00:00+07")
    publish_warehouse(build, warehouse)
    inode = warehouse.stat().st_ino
    _build(build, 4, "2026-12-02 08:00:00+07")

    def disk_full(*args):
        raise OSError("No space left on device")

    monkeypatch.setattr("pipeline.publish._export_from", disk_full)
    with pytest.raises(OSError):
        publish_warehouse(build, warehouse)
    monkeypatch.undo()
    assert warehouse.stat().st_ino == inode
    assert _rows(warehouse, "SELECT count(*) FROM marts.fct_dossier") == [(3,)]
    assert not record_path(build).exists()
    assert [p.name for p in warehouse.parent.iterdir() if p.name.startswith(".")] == []
    # Nothing vouches for the exports any more: the next publication writes every table again.
    again = publish_warehouse(build, warehouse)
    assert len(again.copied) == 3 and len(again.exported) == 2
    # A record that does not parse vouches for nothing either.
    record_path(build).write_text("{not json", encoding="utf-8")
    assert len(publish_warehouse(build, warehouse).copied) == 3
