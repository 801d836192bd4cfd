"""Raw zones of province size without crawling them: a landed world multiplied, and the day's
change of a daily refresh.

`replicate`: the raw zone of a simulated world landed through the connectors, multiplied by
`factor` (3.3 turns 0.3 M dossiers into 1 M): copy k > 0 of a dossier gets `-r<k>` appended
to its id, code and national code (its national copy and petitions follow it), so every copy
is a distinct dossier with the same life, unit, procedure and history; the fractional part
keeps a hash-chosen share of one more copy. Units, procedures, calendar and evaluation are
shared. The per-unit distributions stay those of the simulated world; only volume grows.

`delta`: 0.5 % of the dossiers (hash-chosen) changed since the last run: their latest version
with `updated_at` moved to the day's evening, landed as one more run's files, as the daily
crawl would land them.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import duckdb

DOSSIER_GLOB = "motcua/dossiers/**/*.parquet"
COPY_GLOB = "dvcqg/dossier_copies/**/*.parquet"
PETITION_GLOB = "dvcqg/petitions/**/*.parquet"
SHARED = ("motcua/agencies", "motcua/procedures", "calendar", "dvcqg/evaluation", "audit")
SHARED_OPTIONAL = ("dvcqg/formalities",)


def _lit(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _read(raw: Path, glob: str) -> str:
    return f"read_parquet({_lit(raw / glob)}, hive_partitioning = true, union_by_name = true)"


def _suffixed(column: str) -> str:
    return f"CASE WHEN k = 0 OR {column} IS NULL THEN {column} ELSE {column} || '-r' || k END"


def _copies(factor: float, key: str) -> str:
    """The join with the copy numbers: whole copies, then a hash-chosen share of one more."""
    whole, share = int(math.floor(factor)), factor - math.floor(factor)
    last = whole if share > 1e-9 else whole - 1
    return (
        f"CROSS JOIN range(0, {last + 1}) AS copies(k) "
        f"WHERE k < {whole} OR hash({key}) % 1000000 < {int(round(share * 1_000_000))}"
    )


def replicate(src: Path, dst: Path, factor: float, memory_limit: str = "2GB") -> dict:
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    for folder in SHARED + SHARED_OPTIONAL:
        if (src / folder).exists():
            shutil.copytree(src / folder, dst / folder)
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'; SET preserve_insertion_order = false")
    counts = {}
    datasets = [
        (
            DOSSIER_GLOB,
            "motcua/dossiers",
            "coalesce(nation_code, id)",
            {"id": "id", "code": "code", "nation_code": "nation_code"},
        ),
        (COPY_GLOB, "dvcqg/dossier_copies", "national_code", {"national_code": "national_code"}),
        (
            PETITION_GLOB,
            "dvcqg/petitions",
            "coalesce(national_code, petition_code)",
            {"petition_code": "petition_code", "national_code": "national_code"},
        ),
    ]
    for glob, folder, key, columns in datasets:
        if not any((src / folder).rglob("*.parquet")):
            continue
        replace = ", ".join(f"{_suffixed(c)} AS {name}" for name, c in columns.items())
        query = (
            f"SELECT * EXCLUDE (k) REPLACE ({replace}) FROM {_read(src, glob)} "
            f"{_copies(factor, key)}"
        )
        con.execute(
            f"COPY ({query}) TO {_lit(dst / folder)} (FORMAT parquet, COMPRESSION zstd, "
            "PARTITION_BY (reception_month), FILENAME_PATTERN 'replica-{i}')"
        )
        counts[folder] = con.execute(f"SELECT count(*) FROM {_read(dst, glob)}").fetchone()[0]
    con.close()
    return counts


def delta(raw: Path, share: float, changed_at: str, run_id: str) -> dict:
    """Land the latest version of a hash-chosen `share` of the dossiers as changed at
    `changed_at` (ISO instant): the day's change of a daily refresh."""
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    chosen = int(round(share * 1_000_000))
    staging = raw.parent / f"delta-{run_id}"
    if staging.exists():
        shutil.rmtree(staging)
    query = f"""
        SELECT * REPLACE (
            greatest(updated_at, CAST('{changed_at}' AS TIMESTAMPTZ)) AS updated_at,
            '{run_id}' AS _run_id,
            CAST('{changed_at}' AS TIMESTAMPTZ) AS _extracted_at)
        FROM {_read(raw, DOSSIER_GLOB)}
        WHERE hash(id) % 1000000 < {chosen}
        QUALIFY row_number() OVER (
            PARTITION BY id ORDER BY updated_at DESC, _extracted_at DESC, _run_id DESC) = 1
    """
    con.execute(
        f"COPY ({query}) TO {_lit(staging)} (FORMAT parquet, COMPRESSION zstd, "
        f"PARTITION_BY (reception_month), FILENAME_PATTERN '{run_id}-{{i}}')"
    )
    changed = con.execute(
        f"SELECT count(*) FROM read_parquet({_lit(staging / '**' / '*.parquet')})"
    ).fetchone()[0]
    total = con.execute(f"SELECT count(DISTINCT id) FROM {_read(raw, DOSSIER_GLOB)}").fetchone()[0]
    con.close()
    for path in staging.rglob("*.parquet"):
        target = raw / "motcua" / "dossiers" / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, target)
    shutil.rmtree(staging)
    return {"changed": changed, "dossiers": total, "share": changed / total if total else 0.0}
