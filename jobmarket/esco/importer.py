"""Import official ESCO CSV packages (zipped or unzipped, any language or version) into DuckDB.

The SQL lives in sql/esco_import.sql; this module finds the files, stages each one through DuckDB's
CSV reader and runs the merge, all in one transaction.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
from rich.console import Console
from rich.markup import escape

from jobmarket.errors import JobmarketError
from jobmarket.sql import sql_sections

SQL_FILE = "esco_import.sql"  # under sql/, read through jobmarket.sql
TABLES = (
    "esco_sources",
    "esco_occupations",
    "esco_labels",
    "isco_groups",
    "esco_skills",
    "esco_occupation_skills",
)

_LANG = r"(?P<lang>[a-z]{2,3}(?:-[a-z]{2,4})?)"
# File name -> kind. Anchored on the whole base name so that e.g. researchOccupationsCollection_en.csv
# or skillSkillRelations.csv are not mistaken for the files we read.
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        ("occupations", rf"occupations_{_LANG}\.csv"),
        ("skills", rf"skills_{_LANG}\.csv"),
        ("isco_groups", rf"ISCOGroups_{_LANG}\.csv"),
        ("relations", rf"occupationSkillRelations(?:_{_LANG})?\.csv"),
        ("broader", rf"broaderRelationsOccPillar(?:_{_LANG})?\.csv"),
        ("skill_hierarchy", rf"skillsHierarchy_{_LANG}\.csv"),
        ("labels", rf"occupation_labels_{_LANG}\.tsv"),
    )
)
# A version is a path component (or part of one, as in esco_v1.1.1_classification_en_csv.zip or
# "ESCO dataset - v1.2.0 - ...") of the form vX.Y[.Z], not glued to other letters or digits.
_VERSION = re.compile(r"(?<![A-Za-z0-9])v(\d+\.\d+(?:\.\d+)?)(?![\d.]*\d)", re.IGNORECASE)


@dataclass(frozen=True)
class _Spec:
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    stage: str | None = None  # SQL section that moves esco_raw into staging; None = count only
    delim: str = ","
    padded: bool = False  # rows may lack trailing columns


# broader and skill_hierarchy have no table in the schema: they are read, counted and recorded in
# esco_sources (so the store says they were seen) but their rows are not kept.
_SPECS: dict[str, _Spec] = {
    "occupations": _Spec(
        ("conceptUri", "iscoGroup", "preferredLabel"),
        ("altLabels", "hiddenLabels", "code"),
        "stage_occupations",
    ),
    "skills": _Spec(
        ("conceptUri", "preferredLabel"),
        ("skillType", "reuseLevel", "altLabels", "hiddenLabels"),
        "stage_skills",
    ),
    "isco_groups": _Spec(("conceptUri", "code", "preferredLabel"), ("altLabels",), "stage_isco_groups"),
    "relations": _Spec(("occupationUri", "relationType", "skillUri"), ("skillType",), "stage_relations"),
    "labels": _Spec(("conceptUri", "position", "label"), (), "stage_labels", delim="\t"),
    "broader": _Spec(("conceptUri", "broaderUri")),
    "skill_hierarchy": _Spec((), padded=True),
}


class EscoError(JobmarketError, ValueError):
    """A problem with the ESCO input, told in one line that names the path."""


@dataclass
class EscoSource:
    path: str  # the file, or the zip that holds it
    member: str | None  # name inside the zip, None for a plain file
    kind: str  # occupations | skills | isco_groups | relations | labels | skill_hierarchy | broader
    lang: str | None
    version: str

    @property
    def source_file(self) -> str:
        return f"{self.path}!{self.member}" if self.member else self.path


# ---------------------------------------------------------------- discovery


def detect_version(text: str) -> str:
    """The deepest vX.Y[.Z] in a path ('v1.2.0' is written 'v1.2'), else 'unknown'."""
    found = _VERSION.findall(text)
    if not found:
        return "unknown"
    parts = found[-1].split(".")
    if len(parts) == 3 and parts[2] == "0":
        parts = parts[:2]
    return "v" + ".".join(parts)


def classify(name: str) -> tuple[str, str | None] | None:
    """(kind, lang) for an ESCO file name, None for files we do not read."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    for kind, pattern in _KINDS:
        m = pattern.fullmatch(base)
        if m:
            lang = m.group("lang") if "lang" in pattern.groupindex else None
            return kind, lang.lower() if lang else None
    return None


def _source(path: Path, member: str | None) -> EscoSource | None:
    found = classify(member or path.name)
    if found is None:
        return None
    where = f"{path}/{member}" if member else str(path)
    return EscoSource(str(path), member, found[0], found[1], detect_version(where))


def _zip_sources(path: Path) -> Iterator[EscoSource]:
    try:
        with zipfile.ZipFile(path) as zf:
            names = sorted(i.filename for i in zf.infolist() if not i.is_dir())
    except (zipfile.BadZipFile, OSError) as exc:
        raise EscoError(f"cannot read ESCO zip {path}: {exc}") from exc
    for name in names:
        src = _source(path, name)
        if src is not None:
            yield src


def _path_sources(path: Path) -> Iterator[EscoSource]:
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if child.is_file():
                yield from _path_sources(child)
    elif path.suffix.lower() == ".zip":
        yield from _zip_sources(path)
    else:
        src = _source(path, None)
        if src is not None:
            yield src


def discover(paths: Sequence[str | Path]) -> list[EscoSource]:
    """Every ESCO file we read under the given zips, folders and files (walked recursively)."""
    seen: dict[str, EscoSource] = {}
    for raw in paths:
        path = Path(raw).expanduser().resolve()
        if not path.exists():
            raise EscoError(f"ESCO path does not exist: {raw}")
        for src in _path_sources(path):
            seen.setdefault(src.source_file, src)  # a file named twice (folder + file) is read once
    return list(seen.values())


# ---------------------------------------------------------------- import


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
    spec = _SPECS[src.kind]
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
    stage = _SPECS[src.kind].stage
    if stage:
        params = {"version": src.version, "lang": src.lang}
        if src.kind == "relations":
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
    _require_occupations(con, paths, sources)
    console = Console(stderr=True, highlight=False, soft_wrap=True) if progress else None
    started = time.perf_counter()
    sql = _sql()
    con.execute("BEGIN TRANSACTION")  # outside the try: if it fails, there is nothing of ours to undo
    try:
        con.execute(sql["setup"])
        with tempfile.TemporaryDirectory(prefix="esco_") as tmpdir:
            for i, src in enumerate(sources):
                n_rows = _stage(con, src, _local_file(src, Path(tmpdir), i))
                if console:
                    console.print(_progress_line(src, n_rows))
        con.execute(sql["merge"])
        counts = table_counts(con)
        con.execute(sql["teardown"])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    if console:
        summary = ", ".join(f"{t} {n:,}" for t, n in counts.items())
        console.print(f"ESCO: {len(sources)} files in {time.perf_counter() - started:.1f} s: {summary}")
    return counts
