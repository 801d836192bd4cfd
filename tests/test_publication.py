"""Publication by difference (pipeline/publish.py, issue 20): which tables a publication copies
and exports again, and, on real DuckDB files, that what it keeps is what the build holds."""

from __future__ import annotations

import json
import os
import uuid

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


def _disk_full(*args):
    """A Parquet export that fails half-way through a publication."""
    raise OSError("No space left on device")


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

    monkeypatch.setattr("pipeline.publish._export_from", _disk_full)
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


KEYED = "marts.fct_dossier_indicator"
BY_DOSSIER = {KEYED: {"column": "dossier_id", "keys": "intermediate.to_refresh"}}


class DailyBuilds:
    """A build file kept by dossier as the dbt build keeps it (macros/incremental.sql): a full
    build writes every table; a daily build deletes the rows of the dossiers it recomputes from
    `fct_dossier_indicator` and appends them recomputed, rewrites `fct_indicator` whole, leaves
    `dim_unit` alone, and records its changes as pipeline/build_state.py does."""

    def __init__(self, build):
        self.build = build
        self.build_id = None

    def _record(self, changes) -> None:
        from pipeline.build_state import FORMAT, STATE_NAME, file_identity

        base, self.build_id = self.build_id, uuid.uuid4().hex
        state = {"format": FORMAT, "build_id": self.build_id}
        state["base_build"] = base if changes is not None else None
        state.update(changes=changes, file=file_identity(self.build))
        (self.build.parent / STATE_NAME).write_text(json.dumps(state), encoding="utf-8")

    def full(self, dossiers: dict[str, list[tuple]]) -> None:
        with duckdb.connect(str(self.build)) as con:
            for schema in ("marts", "audit", "intermediate"):
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            con.execute(
                "CREATE OR REPLACE TABLE marts.dim_unit AS "
                "SELECT 'U' || i AS unit_code FROM range(5) t(i)"
            )
            con.execute(
                "CREATE OR REPLACE TABLE marts.fct_dossier_indicator (dossier_id VARCHAR, "
                "unit_code VARCHAR, indicator_code VARCHAR, in_numerator BOOLEAN, "
                "period_type VARCHAR, period_start DATE)"
            )
            con.execute("CREATE OR REPLACE TABLE intermediate.to_refresh (dossier_id VARCHAR)")
            self._insert(con, dossiers)
            con.execute("CREATE OR REPLACE TABLE audit.load_log AS SELECT 1 AS records_read")
        self._record(None)

    def daily(
        self, dossiers: dict[str, list[tuple]], also_gone: str | None = None, apart: str = ""
    ) -> None:
        """`dossiers`: the recomputed ones, each with its rows now (none: it disappeared);
        `also_gone`: a dossier whose rows go too, which the record does not say (a bug);
        `apart`: a kept dossier whose rows (as they were) end up between the recomputed ones'
        (which a daily build appends together)."""
        with duckdb.connect(str(self.build)) as con:
            con.execute("DELETE FROM intermediate.to_refresh")
            keys = [[d] for d in dossiers]
            con.executemany("INSERT INTO intermediate.to_refresh VALUES (?)", keys)
            con.execute(
                "DELETE FROM marts.fct_dossier_indicator "
                "WHERE dossier_id IN (SELECT dossier_id FROM intermediate.to_refresh)"
            )
            self._insert(con, dossiers)
            for moved in (apart, next(iter(dossiers))) if apart else ():
                con.execute(
                    "CREATE OR REPLACE TEMP TABLE moved AS SELECT * FROM "
                    f"marts.fct_dossier_indicator WHERE dossier_id = '{moved}'"
                )
                con.execute(f"DELETE FROM marts.fct_dossier_indicator WHERE dossier_id = '{moved}'")
                con.execute("INSERT INTO marts.fct_dossier_indicator SELECT * FROM moved")
            if also_gone:
                gone = "DELETE FROM marts.fct_dossier_indicator WHERE dossier_id = ?"
                con.execute(gone, [also_gone])
        self._record({**BY_DOSSIER, "marts.fct_indicator": None})

    @staticmethod
    def _insert(con, dossiers) -> None:
        rows = [[d, *row] for d, rows in dossiers.items() for row in rows]
        if rows:
            insert = "INSERT INTO marts.fct_dossier_indicator VALUES (?, ?, ?, ?, ?, ?)"
            con.executemany(insert, rows)
        con.execute(
            "CREATE OR REPLACE TABLE marts.fct_indicator AS SELECT unit_code, indicator_code, "
            "count(*) FILTER (in_numerator) AS numerator, count(*) AS denominator "
            "FROM marts.fct_dossier_indicator GROUP BY ALL"
        )


PERIODS = ("month", "quarter", "year")


def _dossier(unit: str, verdicts: str = "TFT", month: int = 11, year: int = 2026) -> list[tuple]:
    """A dossier's rows: its i-th indicator in the month, quarter or year (by i) of `month`
    of `year`."""
    starts = {"month": month, "quarter": 3 * ((month - 1) // 3) + 1, "year": 1}
    rows = []
    for i, v in enumerate(verdicts):
        kind = PERIODS[i % 3]
        rows.append((unit, f"I{i}", v == "T", kind, f"{year}-{starts[kind]:02d}-01"))
    return rows


def _three_years() -> dict[str, list[tuple]]:
    """24 dossiers over 12 months of 3 years (2024 to 2026): 3 partitions."""
    return {f"D{i}": _dossier(f"U{i % 5}", month=i % 12 + 1, year=2024 + i % 3) for i in range(24)}


def _export(warehouse, table: str) -> str:
    """The relation a mart's Parquet export reads as: one file, or a partitioned folder read
    as README says (the table's columns, then the partition key `period_year`)."""
    folder = warehouse.parent / "marts" / table.split(".")[1]
    if table == KEYED:
        return f"read_parquet('{folder}/**/*.parquet', hive_partitioning=true)"
    return f"'{folder}.parquet'"


def _table_of(export: str) -> str:
    return f"(SELECT * EXCLUDE (period_year) FROM {export})"


def _same_as_build(build, warehouse) -> None:
    """Every public table of the published file and the build, and each mart's Parquet, hold
    the same rows (EXCEPT ALL both ways), and the record's fingerprints are the build's."""
    from pipeline.publish import content, public_columns

    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute(f"ATTACH '{build}' AS build (READ_ONLY)")
        names = con.execute(
            "SELECT DISTINCT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema IN ('marts', 'audit') ORDER BY 1"
        ).fetchall()
        tables = sorted({n for (n,) in names})
        assert tables == ["audit.load_log", "marts.dim_unit", KEYED, "marts.fct_indicator"]
        for table in tables:
            sources = [f"warehouse.{table}", f"build.{table}"]
            if table == KEYED:
                sources.append(_table_of(_export(warehouse, table)))
            elif table.startswith("marts."):
                sources.append(_export(warehouse, table))
            for a in sources:
                for b in sources:
                    assert con.execute(
                        f"SELECT count(*) FROM (SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b})"
                    ).fetchall() == [(0,)], (table, a, b)
        # The partitioned export reads as the table, its columns and types, plus the year of
        # period_start as `period_year`.
        export = _export(warehouse, KEYED)
        columns = "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {})"
        assert con.execute(columns.format(export)).fetchall() == [
            *con.execute(columns.format(f"build.{KEYED}")).fetchall(),
            ("period_year", "BIGINT"),
        ]
        assert con.execute(
            f"SELECT count(*) FROM {export} WHERE period_year IS DISTINCT FROM year(period_start)"
        ).fetchall() == [(0,)]
        built = {
            t: content(con, "build", t, columns).digest
            for t, columns in public_columns(con, "build").items()
        }
    record = json.loads(record_path(build).read_text(encoding="utf-8"))
    assert record["tables"] == built


def test_daily_builds_are_published_by_rows_and_equal_the_build(tmp_path, monkeypatch):
    """A mart a daily build changes only for the dossiers it recomputed is published by rows:
    in the copy of the published file those of these dossiers' rows that differ from the
    build's are deleted and the build's inserted; what the build did not touch is not read
    again. Across several days (a dossier
    that moves unit, one that disappears, a new one), an interrupted publication, two builds
    between publications and a build file changed by hand, the published file and Parquet
    always equal the build."""
    build, warehouse = tmp_path / "build" / "build.duckdb", tmp_path / "wh" / "warehouse.duckdb"
    build.parent.mkdir()
    days = DailyBuilds(build)
    days.full({f"D{i}": _dossier(f"U{i % 5}") for i in range(30)})
    first = publish_warehouse(build, warehouse)
    assert first.by_rows == [] and len(first.copied) == 4
    _same_as_build(build, warehouse)

    # Day 1: D1 moves from U1 to U3, D2 disappears, D30 is new, D4's verdicts change.
    days.daily({"D1": _dossier("U3"), "D2": [], "D30": _dossier("U0"), "D4": _dossier("U4", "FF")})
    day1 = publish_warehouse(build, warehouse)
    assert day1.by_rows == [KEYED] and day1.from_previous
    # Only what the build changed whole is compared; the rest is kept as published.
    assert day1.compared == ["marts.fct_indicator"] and day1.copied == ["marts.fct_indicator"]
    assert day1.kept == ["audit.load_log", "marts.dim_unit"]
    assert day1.exported == [KEYED, "marts.fct_indicator"]
    assert day1.rows[KEYED] == 30 * 3 - 3 + 3 - 1  # D2 gone, D30 new, D4 one row less
    # D1's 3 rows replaced (new unit), D2's 3 deleted, D30's 3 inserted, D4's 2 rows that
    # changed or went replaced by the 1 that changed (its quarter row stays as it was).
    assert day1.replaced == {KEYED: [3 + 3 + 2, 3 + 3 + 1]}
    _same_as_build(build, warehouse)

    # Day 2: the publication fails while exporting; the published file is day 1's, no record.
    days.daily({"D1": _dossier("U1", "TT"), "D5": []})
    published = warehouse.stat().st_ino

    monkeypatch.setattr("pipeline.publish._export_from", _disk_full)
    with pytest.raises(OSError):
        publish_warehouse(build, warehouse)
    monkeypatch.undo()
    assert warehouse.stat().st_ino == published and not record_path(build).exists()
    # Nothing vouches for the published file: every table is compared and copied again.
    again = publish_warehouse(build, warehouse)
    assert again.by_rows == [] and len(again.compared) == 4 and len(again.copied) == 4
    _same_as_build(build, warehouse)

    # Day 3: the chain holds again.
    days.daily({"D2": _dossier("U2"), "D6": _dossier("U0", "T")})
    day3 = publish_warehouse(build, warehouse)
    assert day3.by_rows == [KEYED] and day3.compared == ["marts.fct_indicator"]
    _same_as_build(build, warehouse)

    # Days 4 and 5 built, published once: the record names neither base; compared whole.
    days.daily({"D7": []})
    days.daily({"D8": _dossier("U1", "F")})
    two = publish_warehouse(build, warehouse)
    assert two.by_rows == [] and len(two.compared) == 4
    _same_as_build(build, warehouse)

    # Day 6, then the build file changed by hand (a kept row deleted): compared whole.
    days.daily({"D9": _dossier("U4")})
    with duckdb.connect(str(build)) as con:
        con.execute("DELETE FROM marts.fct_dossier_indicator WHERE dossier_id = 'D10'")
    by_hand = publish_warehouse(build, warehouse)
    assert by_hand.by_rows == [] and len(by_hand.compared) == 4
    _same_as_build(build, warehouse)

    # Day 7: the record of the last publication vouched for no build: compared whole; then
    # published again with nothing built since: nothing compared, nothing written.
    days.daily({"D10": _dossier("U0")})
    assert len(publish_warehouse(build, warehouse).compared) == 4
    _same_as_build(build, warehouse)
    inode = warehouse.stat().st_ino
    same = publish_warehouse(build, warehouse)
    assert same.compared == [] and same.copied == [] and warehouse.stat().st_ino == inode

    # Day 8: the build lost rows beyond those of the recomputed dossiers (which its record does
    # not say): the published table would not hold the build's rows; it is replaced whole.
    days.daily({"D11": _dossier("U1")}, also_gone="D12")
    lost = publish_warehouse(build, warehouse)
    assert lost.by_rows == [] and KEYED in lost.copied and KEYED in lost.compared
    _same_as_build(build, warehouse)


def test_only_the_rows_that_differ_are_replaced_as_many_times_as_they_differ(tmp_path):
    """The rows replaced are the published rows EXCEPT ALL the build's, and the reverse: a row
    repeated counts once per copy (a table without a unique key stays exact)."""
    build, warehouse = tmp_path / "build" / "build.duckdb", tmp_path / "wh" / "warehouse.duckdb"
    build.parent.mkdir()
    days = DailyBuilds(build)
    dossiers = {f"D{i}": _dossier(f"U{i % 5}") for i in range(30)}
    days.full({**dossiers, "D1": _dossier("U1") * 2})
    publish_warehouse(build, warehouse)

    # D0's rows now three times over, D1's once again, D2 recomputed as it was.
    days.daily({"D0": _dossier("U0") * 3, "D1": _dossier("U1"), "D2": _dossier("U2")})
    day = publish_warehouse(build, warehouse)
    assert day.by_rows == [KEYED] and day.replaced == {KEYED: [3, 6]}
    _same_as_build(build, warehouse)


def test_recomputed_rows_lying_apart_in_the_build_are_replaced_all_the_same(tmp_path):
    """The build's rows of the recomputed dossiers are read within their row ids' range when a
    daily build appended them together; with a kept dossier's rows between them they are read
    by key: the same rows replaced either way."""
    build, warehouse = tmp_path / "build" / "build.duckdb", tmp_path / "wh" / "warehouse.duckdb"
    build.parent.mkdir()
    days = DailyBuilds(build)
    days.full({f"D{i}": _dossier(f"U{i % 5}") for i in range(30)})
    publish_warehouse(build, warehouse)
    # D1's month and year verdicts change on day 1 (2 rows), all three back on day 2 (3 rows).
    for apart, verdicts, replaced in (("", "FFF", 2), ("D20", "TTT", 3)):
        days.daily({"D1": _dossier("U1", verdicts), "D2": _dossier("U2")}, apart=apart)
        published = publish_warehouse(build, warehouse)
        assert published.by_rows == [KEYED] and published.replaced == {KEYED: [replaced, replaced]}
        _same_as_build(build, warehouse)


def _files(warehouse) -> dict[str, int]:
    """The partitioned export's files (path under the version folder -> inode)."""
    version = (warehouse.parent / "marts" / "fct_dossier_indicator").resolve()
    return {str(f.relative_to(version)): f.stat().st_ino for f in version.rglob("*.parquet")}


def _versions(warehouse) -> list[str]:
    return sorted(p.name for p in (warehouse.parent / "marts").glob(".fct_dossier_indicator-*"))


def test_a_table_published_by_rows_that_comes_out_as_published_keeps_its_export(tmp_path):
    """Most dossiers a daily build recomputes come out as they were: when none of a table's
    rows changed, its Parquet (the costliest part of a publication) is not written again, and
    it still equals the published table."""
    build, warehouse = tmp_path / "build" / "build.duckdb", tmp_path / "wh" / "warehouse.duckdb"
    build.parent.mkdir()
    days = DailyBuilds(build)
    days.full({f"D{i}": _dossier(f"U{i % 5}") for i in range(30)})
    publish_warehouse(build, warehouse)
    export = warehouse.parent / "marts" / "fct_dossier_indicator"
    written = os.readlink(export)

    # D1 and D2 recomputed, their rows as before.
    days.daily({"D1": _dossier("U1"), "D2": _dossier("U2")})
    same = publish_warehouse(build, warehouse)
    assert same.by_rows == [KEYED] and KEYED in same.export_kept and KEYED not in same.exported
    assert same.replaced == {KEYED: [0, 0]}  # no row written
    assert os.readlink(export) == written
    _same_as_build(build, warehouse)

    # The next day D1 changes: its rows are replaced and the Parquet written again.
    days.daily({"D1": _dossier("U1", "FFF")})
    changed = publish_warehouse(build, warehouse)
    assert changed.by_rows == [KEYED] and KEYED in changed.exported
    assert os.readlink(export) != written and _versions(warehouse) == [os.readlink(export)]
    _same_as_build(build, warehouse)


def test_a_daily_publication_rewrites_only_the_partitions_whose_rows_changed(tmp_path):
    """fct_dossier_indicator is exported as Hive folders by the year of period_start. A daily
    publication by rows writes a new version of the folder in which only the years whose rows
    changed are written; the others are the very same files (hard links). The whole export
    still equals the published table, and a full publication writes every partition."""
    build, warehouse = tmp_path / "build" / "build.duckdb", tmp_path / "wh" / "warehouse.duckdb"
    build.parent.mkdir()
    days = DailyBuilds(build)
    dossiers = _three_years()
    days.full(dossiers)
    first = publish_warehouse(build, warehouse)
    assert first.partitions == {KEYED: [3, 0]}
    marts = warehouse.parent / "marts"
    assert (marts / "fct_dossier_indicator").is_symlink()
    assert (marts / "fct_dossier_indicator" / "period_year=2025").is_dir()
    assert not (marts / "fct_dossier_indicator.parquet").exists()
    _same_as_build(build, warehouse)
    before = _files(warehouse)

    # D1 (February 2025) changes its month and year verdicts (T -> F), its quarter verdict
    # stays F; D5 (June 2026) is recomputed unchanged.
    days.daily(
        {"D1": _dossier("U1", "FFF", month=2, year=2025), "D5": _dossier("U0", month=6, year=2026)}
    )
    day1 = publish_warehouse(build, warehouse)
    assert day1.by_rows == [KEYED] and KEYED in day1.exported
    assert day1.partitions == {KEYED: [1, 2]}
    after = _files(warehouse)
    rewritten = {"period_year=2025"}
    assert {f.rsplit("/", 1)[0] for f in after if after[f] != before.get(f)} == rewritten
    untouched = {f: ino for f, ino in before.items() if f.rsplit("/", 1)[0] not in rewritten}
    assert untouched and {f: after[f] for f in untouched} == untouched  # the same files
    assert len(_versions(warehouse)) == 1  # the old version is gone once swapped
    _same_as_build(build, warehouse)

    # The dossiers of 2024 disappear: their partition goes; D30 lands in 2027, a year nobody
    # had (a new partition).
    gone = {d: [] for i, d in enumerate(dossiers) if i % 3 == 0}
    days.daily({**gone, "D30": _dossier("U0", month=1, year=2027)})
    day2 = publish_warehouse(build, warehouse)
    parts = {f.rsplit("/", 1)[0] for f in _files(warehouse)}
    assert parts == {"period_year=2025", "period_year=2026", "period_year=2027"}
    assert day2.partitions[KEYED] == [1, 2]
    _same_as_build(build, warehouse)

    # A full build is published whole: every partition written again (the last version's
    # files kept alive by links of our own, so that no new file can reuse their inodes).
    version = (warehouse.parent / "marts" / "fct_dossier_indicator").resolve()
    (tmp_path / "held").mkdir()
    for n, f in enumerate(version.rglob("*.parquet")):
        os.link(f, tmp_path / "held" / f"{n}.parquet")
    held = {f.stat().st_ino for f in (tmp_path / "held").iterdir()}
    days.full(dossiers)
    full = publish_warehouse(build, warehouse)
    assert full.partitions == {KEYED: [3, 0]}
    assert not set(_files(warehouse).values()) & held
    _same_as_build(build, warehouse)


def test_the_partitioned_export_survives_a_migration_a_failure_and_a_killed_publication(
    tmp_path, monkeypatch
):
    """From the single Parquet file of before, the first publication writes the folder whole
    and removes the file; an export that fails half-way leaves the published version as it
    was (and no record: the next one writes it whole); what a killed publication left (a
    version folder no link names, a temporary link) is removed by the next one."""
    build, warehouse = tmp_path / "build" / "build.duckdb", tmp_path / "wh" / "warehouse.duckdb"
    build.parent.mkdir()
    marts = warehouse.parent / "marts"
    days = DailyBuilds(build)
    days.full(_three_years())
    publish_warehouse(build, warehouse)

    # As a publication of before left it: one file, and a record naming no version folder.
    import shutil

    link = marts / "fct_dossier_indicator"
    version = link.resolve()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute(f"COPY {KEYED} TO '{marts / 'fct_dossier_indicator.parquet'}' (FORMAT parquet)")
    link.unlink()
    shutil.rmtree(version)
    record = json.loads(record_path(build).read_text(encoding="utf-8"))
    del record["exports"]
    record_path(build).write_text(json.dumps(record), encoding="utf-8")
    days.daily({"D1": _dossier("U1", "FFF", month=2)})
    migrated = publish_warehouse(build, warehouse)
    assert migrated.by_rows == [KEYED] and migrated.partitions[KEYED][1] == 0
    assert not (marts / "fct_dossier_indicator.parquet").exists() and link.is_symlink()
    _same_as_build(build, warehouse)

    # The next export fails half-way: analysts still read the published version.
    published, files = os.readlink(link), _files(warehouse)
    days.daily({"D3": _dossier("U3", "FFF", month=4)})
    monkeypatch.setattr("pipeline.publish._write_partitions", _disk_full)
    with pytest.raises(OSError):
        publish_warehouse(build, warehouse)
    monkeypatch.undo()
    assert os.readlink(link) == published and _files(warehouse) == files
    assert _versions(warehouse) == [published] and not record_path(build).exists()
    again = publish_warehouse(build, warehouse)  # nothing vouches for it: written whole
    assert again.partitions[KEYED][1] == 0
    _same_as_build(build, warehouse)

    # A killed publication's leftovers: a version no link names and a temporary link.
    (marts / ".fct_dossier_indicator-killed" / "period_year=2026").mkdir(parents=True)
    os.symlink(".fct_dossier_indicator-killed", marts / ".fct_dossier_indicator.x.tmp")
    days.daily({"D4": _dossier("U4", "FFF", month=5, year=2025)})
    rerun = publish_warehouse(build, warehouse)
    assert rerun.partitions[KEYED] == [1, 2]
    assert _versions(warehouse) == [os.readlink(link)]
    assert [p.name for p in marts.glob(".*.tmp")] == []
    _same_as_build(build, warehouse)


def test_a_publication_stopped_before_or_after_its_file_swap_leaves_a_readable_export(
    tmp_path, monkeypatch
):
    """The partitioned export's link is renamed only after the published file: a publication
    stopped before the file's rename leaves the file and export as they were; one stopped
    between the file's rename and the link's leaves the new file and the last export, whole
    and readable, and no record (the next publication writes the export whole)."""
    build, warehouse = tmp_path / "build" / "build.duckdb", tmp_path / "wh" / "warehouse.duckdb"
    build.parent.mkdir()
    link = warehouse.parent / "marts" / "fct_dossier_indicator"
    days = DailyBuilds(build)
    days.full(_three_years())
    publish_warehouse(build, warehouse)
    published, files, inode = os.readlink(link), _files(warehouse), warehouse.stat().st_ino
    export = f"SELECT count(*) FROM read_parquet('{link}/**/*.parquet', hive_partitioning=true)"
    [(rows,)] = _rows(warehouse, export)

    days.daily({"D1": _dossier("U1", "FFF", month=2)})
    monkeypatch.setattr("pipeline.publish.replace_durably", _disk_full)
    with pytest.raises(OSError):
        publish_warehouse(build, warehouse)
    monkeypatch.undo()
    assert warehouse.stat().st_ino == inode
    assert os.readlink(link) == published and _files(warehouse) == files
    assert _versions(warehouse) == [published]

    monkeypatch.setattr("pipeline.publish._swap_in", _disk_full)
    with pytest.raises(OSError):
        publish_warehouse(build, warehouse)
    monkeypatch.undo()
    assert warehouse.stat().st_ino != inode  # the new file is published
    assert os.readlink(link) == published and _files(warehouse) == files
    assert _rows(warehouse, export) == [(rows,)] and not record_path(build).exists()

    again = publish_warehouse(build, warehouse)
    assert again.partitions[KEYED][1] == 0 and _versions(warehouse) == [os.readlink(link)]
    _same_as_build(build, warehouse)
