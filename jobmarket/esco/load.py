"""Import official ESCO CSV packages into DuckDB.

The SQL lives in sql/esco_import.sql; this module stages each file that :func:`discover` finds through
DuckDB's CSV reader and runs the merge, all in one transaction.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

import duckdb
from rich.console import Console
from rich.markup import escape

from jobmarket.esco.discover import SPECS, EscoError, EscoSource, discover
from jobmarket.sql import sql_sections
from jobmarket.store.schema import apply_tables
from jobmarket.store.transaction import transaction

SQL_FILE = "esco_import.sql"  # under sql/, read through jobmarket.sql
TABLES = (
    "esco_sources",
    "esco_occupations",
    "esco_labels",
    "isco_groups",
    "esco_skills",
    "esco_occupation_skills",
    "esco_skill_groups",
    "esco_skill_broader",
)


def _sql() -> dict[str, str]:
    return sql_sections(SQL_FILE)


def _one_line(exc: BaseException) -> str:
    """DuckDB's CSV errors span many lines (the reader's settings); keep the first two, which say what
    went wrong and on which line."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines[:2])[:300]


def _require_occupations(
    con: duckdb.DuckDBPyConnection, paths: Sequence[str | Path], sources: list[EscoSource]
) -> None:
    """Refuse paths that hold no ESCO file, and a batch without occupations for an empty store."""
    for raw in paths:
        root = str(Path(raw).expanduser().resolve())
        if not any(s.path == root or s.path.startswith(root.rstrip("/") + "/") for s in sources):
            raise EscoError(f"no ESCO occupations_*.csv found in {raw}")
    if any(s.kind == "occupations" for s in sources):
        return
    # Labels, skills or relations may be added later to a store that already has occupations.
    if con.execute("SELECT count(*) FROM esco_occupations").fetchall()[0][0] == 0:
        raise EscoError(f"no ESCO occupations_*.csv found in {', '.join(str(p) for p in paths)}")


def _local_file(src: EscoSource, tmp: Path, index: int) -> Path:
    """A path DuckDB can read: the file itself, or the zip member extracted into tmp."""
    if src.member is None:
        return Path(src.path)
    target = tmp / f"{index:04d}_{Path(src.member).name}"
    with zipfile.ZipFile(src.path) as zf, zf.open(src.member) as fin, target.open("wb") as fout:
        shutil.copyfileobj(fin, fout, 1 << 20)
    return target


def _read_raw(con: duckdb.DuckDBPyConnection, src: EscoSource, file: Path) -> int:
    """Load one file into the temp table esco_raw, check its columns, return its row count."""
    spec = SPECS[src.kind]
    try:
        section = "read_raw_padded" if spec.padded else "read_raw"
        con.execute(_sql()[section], {"path": str(file), "delim": spec.delim})
    except duckdb.Error as exc:
        raise EscoError(f"cannot read {src.source_file}: {_one_line(exc)}") from exc
    columns = {d[0].lower() for d in con.execute("SELECT * FROM esco_raw LIMIT 0").description}
    missing = [c for c in spec.required if c.lower() not in columns]
    if missing:
        raise EscoError(f"{src.source_file}: missing required column(s) {', '.join(missing)}")
    for col in spec.optional:  # older packages lack some columns; the staging SQL reads them as NULL
        if col.lower() not in columns:
            con.execute(f'ALTER TABLE esco_raw ADD COLUMN "{col}" VARCHAR')
    return con.execute("SELECT count(*) FROM esco_raw").fetchall()[0][0]


def _stage(con: duckdb.DuckDBPyConnection, src: EscoSource, file: Path) -> int:
    n_rows = _read_raw(con, src, file)
    stage = SPECS[src.kind].stage
    if stage:
        params = {"version": src.version, "lang": src.lang}
        if src.kind in ("relations", "skill_broader"):
            params.pop("lang")
        con.execute(_sql()[stage], params).fetchall()
    con.execute(
        _sql()["add_source"],
        {
            "source_file": src.source_file,
            "version": src.version,
            "lang": src.lang,
            "kind": src.kind,
            "n_rows": n_rows,
        },
    ).fetchall()
    return n_rows


def _progress_line(src: EscoSource, n_rows: int) -> str:
    lang = src.lang or "-"
    return f"  {src.kind:<15} {src.version:<8} {lang:<5} {n_rows:>9,} rows  {escape(src.source_file)}"


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The row count of each ESCO table."""
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in TABLES}


def import_esco(
    con: duckdb.DuckDBPyConnection, paths: Sequence[str | Path], progress: bool = True
) -> dict[str, int]:
    """Import the ESCO files under paths; return the row count of each ESCO table afterwards.

    Idempotent by "delete what the same (version, lang, kind) brought, then insert" rather than by
    rebuilding from all sources: that lets a store grow file by file (a new language, a new version)
    without the earlier downloads at hand. Occupations and skills are upserted to their newest version;
    identical labels are kept once, at their newest version. Caveat: a MELO label TSV and an
    occupations CSV of the same version and language share one scope, so re-reading one alone
    drops the other's extra labels; re-import both together.
    """
    sources = discover(paths)
    apply_tables(con)  # the skills pillar's tables live in schema_skills.sql; any connection gets them
    _require_occupations(con, paths, sources)
    console = Console(stderr=True, highlight=False, soft_wrap=True) if progress else None
    started = time.perf_counter()
    sql = _sql()
    with transaction(con):
        con.execute(sql["setup"])
        with tempfile.TemporaryDirectory(prefix="esco_") as tmpdir:
            for i, src in enumerate(sources):
                n_rows = _stage(con, src, _local_file(src, Path(tmpdir), i))
                if console:
                    console.print(_progress_line(src, n_rows))
        con.execute(sql["merge"])
        counts = table_counts(con)
        con.execute(sql["teardown"])
    if console:
        summary = ", ".join(f"{t} {n:,}" for t, n in counts.items())
        console.print(f"ESCO: {len(sources)} files in {time.perf_counter() - started:.1f} s: {summary}")
    return counts
