"""Read postings through DuckDB's readers, map their columns, and account for every input record.

CSV/TSV/TXT, Parquet and JSON (Lines or an array) files become one TEMP table with a row per input
record, numbered 1..n in file order (``source_row``), each ``ok`` or ``rejected`` with a reason: a
malformed CSV line, invalid UTF-8, invalid JSON, an empty or overlong title. Nothing is dropped silently.

DuckDB reads the data (the file is never loaded into Python). Python only looks at the first megabyte
to choose the encoding and delimiter and to parse the header, and streams a copy through a decoder
when the file is not UTF-8 (DuckDB 2.0's CSV reader decodes only UTF-8, UTF-16 and Latin-1 itself).
"""

from __future__ import annotations

import csv
import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from jobmarket.io.columns import ROLE_COLUMNS, ROLES, ColumnMap, _map_columns
from jobmarket.io.dialect import _delimiter, _first_char, _header
from jobmarket.io.encoding import CHUNK, _lf_line_endings, _utf8_copy
from jobmarket.io.errors import PostingsError
from jobmarket.sql import sql_sections

__all__ = ["ReadResult", "file_sha256", "read_postings"]

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")
PARQUET_SUFFIXES = (".parquet",)
MAX_LINE_SIZE = 32 << 20  # one record may be this long (DuckDB's default is 2 MB)


@dataclass
class ReadResult:
    table: str
    n_rows: int
    n_rejected: int
    columns: ColumnMap
    source_sha256: str
    encoding: str | None
    delimiter: str | None


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def read_postings(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    *,
    title_col: str | None = None,
    id_col: str | None = None,
    description_col: str | None = None,
    country_col: str | None = None,
    lang_col: str | None = None,
    date_col: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    max_title_len: int = 300,
    table: str = "raw_postings",
) -> ReadResult:
    """Read a postings file into the TEMP table ``table``: one row per input record, numbered in file order.

    Columns: source_row, external_id, title_raw, description, country, language, date (VARCHAR), status
    ('ok' | 'rejected') and reason. Columns are mapped by name when not given (see ``*_NAMES``).
    """
    path = Path(path)
    if not path.is_file():
        raise PostingsError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise PostingsError(f"{path} is empty")
    given = {"title": title_col, "id": id_col, "description": description_col, "country": country_col,
             "language": lang_col, "date": date_col}
    kind = _kind(path)
    reader = _Reader(con, path, given, max_title_len, _ident(table))
    try:
        if kind == "csv":
            reader.read_csv(delimiter, encoding)
        elif kind == "parquet":
            reader.read_parquet()
        else:
            reader.read_json(encoding)
        n_rows, n_rejected = con.execute(_sql("counts", table=_ident(table))).fetchall()[0]
    except duckdb.Error as exc:
        raise PostingsError(f"{path}: {_first_line(exc)}") from exc
    finally:
        reader.drop_temporaries()
    return ReadResult(
        table=table, n_rows=n_rows, n_rejected=n_rejected, columns=reader.columns,
        source_sha256=file_sha256(path), encoding=reader.encoding, delimiter=reader.delimiter,
    )


# ------------------------------------------------------------------------------------------ readers
class _Reader:
    """One read: the temporaries it creates, and what it found out (columns, encoding, delimiter)."""

    def __init__(self, con, path: Path, given: dict[str, str | None], max_title_len: int, table: str):
        self.con, self.path, self.given = con, path, given
        self.max_title_len, self.table = max_title_len, table
        tag = uuid.uuid4().hex[:10]
        self.names = {n: f"_jm_{n}_{tag}" for n in ("stage", "view", "rejects", "scans", "rejected")}
        self.columns: ColumnMap | None = None
        self.encoding: str | None = None
        self.delimiter: str | None = None

    # ---------------------------------------------------------------- CSV
    def read_csv(self, delimiter: str | None, encoding: str | None) -> None:
        with _utf8_copy(self.path, encoding) as (source, self.encoding):
            self.delimiter = _delimiter(source, self.path, delimiter)
            header = _header(source, self.path, self.delimiter)
            self.columns = _map_columns(self.path, header, self.given)
            index = {name: i for i, name in enumerate(header)}
            select = ", ".join(
                f"{f'c{index[name]}' if (name := getattr(self.columns, role)) else 'NULL::VARCHAR'} "
                f"AS {ROLE_COLUMNS[role]}" for role in ROLES)
            columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
            try:
                self._stage_csv(source, header, select, columns)
            except duckdb.InvalidInputException as exc:
                # DuckDB takes one line ending per file: a CRLF or a bare CR among LF lines stops its strict
                # parser. Python's csv module and pandas read each as a line break: so do we.
                if "state machine reached an invalid state" not in str(exc):
                    raise
                with _lf_line_endings(source) as fixed:
                    if fixed is None:
                        raise
                    self._stage_csv(fixed, header, select, columns)

    def _stage_csv(self, source: str, header: list[str], select: str, columns: str) -> None:
        self._exec("csv_stage", projection=select, path=_lit(source), delim=_lit(self.delimiter),
                   columns=columns)
        self._exec("csv_staged_rows")
        self._rejected(header_lines=1, names=header)
        if self._count(self.names["rejected"]):
            self._correct_for_blank_lines(source)
        self._finish()

    def _correct_for_blank_lines(self, source: str) -> None:
        """Make the rejects' positions count only records: DuckDB skips blank lines but counts them.

        A reject's DuckDB line number counts the blank lines before it, so the kept rows before it are
        fewer by that many. Only when the file may have blank lines at all (a cheap byte scan) does
        Python's csv module stream the records up to the last reject to find them.
        """
        rejected = _ident(self.names["rejected"])
        positions = self._column(f"SELECT pos FROM {rejected} ORDER BY pos").astype(np.int64)
        if not _may_have_blank_lines(source):
            return
        blanks = _blank_records(source, self.delimiter, int(positions[-1]))
        if blanks is None or not len(blanks):
            return
        kept_before = positions - 1 - np.arange(len(positions)) - np.searchsorted(blanks, positions)
        self.con.register("_jm_fix", pa.table({"pos": positions, "kept_before": kept_before}))
        try:
            self.con.execute(f"UPDATE {rejected} SET kept_before = f.kept_before FROM _jm_fix f "
                             f"WHERE {rejected}.pos = f.pos")
        finally:
            self.con.unregister("_jm_fix")

    # ---------------------------------------------------------------- JSON
    def read_json(self, encoding: str | None) -> None:
        with _utf8_copy(self.path, encoding, json=True) as (source, self.encoding):
            if self.path.suffix.casefold() == ".json" and _first_char(source) == "[":
                self._read_json_array(source)
                return
            self._exec("lines_stage", path=_lit(source))
            keys = [k for (k,) in self.con.execute(self._sql("json_keys")).fetchall()]
            if not keys and not self._count(self.names["stage"], "line IS NOT NULL"):
                raise PostingsError(f"{self.path} has no JSON records")
            self.columns = _map_columns(self.path, keys, self.given)
            projection = ", ".join(
                f"CASE WHEN _error IS NULL THEN json_extract_string(line, {_lit(_json_pointer(name))}) END "
                f"AS {ROLE_COLUMNS[role]}" if (name := getattr(self.columns, role)) else
                f"NULL::VARCHAR AS {ROLE_COLUMNS[role]}" for role in ROLES)
            self._exec("jsonl_staged_rows", projection=projection)
            self._rejected(header_lines=0, names=["line"])
            self._finish(dense=False)

    def _read_json_array(self, source: str) -> None:
        described = self.con.execute(
            f"DESCRIBE SELECT * FROM read_json({_lit(source)}, format = 'array', records = true, "
            f"sample_size = -1)").fetchall()
        names = [row[0] for row in described]
        self.columns = _map_columns(self.path, names, self.given)
        self._exec("json_array_stage", path=_lit(source), projection=self._casts())
        self._exec("positional_staged_rows", position="rowid + 1")
        self._no_rejects()
        self._finish()

    # ---------------------------------------------------------------- Parquet
    def read_parquet(self) -> None:
        query = f"DESCRIBE SELECT * FROM read_parquet({_lit(str(self.path))})"
        described = self.con.execute(query).fetchall()
        self.columns = _map_columns(self.path, [row[0] for row in described], self.given)
        self._exec("parquet_stage", path=_lit(str(self.path)), projection=self._casts())
        self._exec("positional_staged_rows", position="_pos")
        self._no_rejects()
        self._finish()

    # ---------------------------------------------------------------- shared steps
    def _casts(self) -> str:
        """Mapped columns of a typed source (Parquet, JSON array) cast to VARCHAR."""
        out = []
        for role in ROLES:
            name = getattr(self.columns, role)
            expr = f"CAST({_ident(name)} AS VARCHAR)" if name else "NULL::VARCHAR"
            out.append(f"{expr} AS {ROLE_COLUMNS[role]}")
        return ", ".join(out)

    def _rejected(self, header_lines: int, names: list[str]) -> None:
        """The records DuckDB's reader rejected, with a reason each (names: the header, to name columns)."""
        if not self._table_exists(self.names["rejects"]):
            self._no_rejects()
            return
        params = {"header_lines": header_lines, "n_header": len(names), "names": names,
                  "max_line_size": MAX_LINE_SIZE}
        self.con.execute(self._sql("rejected_records"), params)

    def _no_rejects(self) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {_ident(self.names['rejected'])} "
                         "(pos BIGINT, kept_before BIGINT, reason VARCHAR)")

    def _finish(self, dense: bool = True) -> None:
        """The result table; ``dense``: the kept rows' _k1 runs 1, 2, 3... (JSON Lines skip blank lines)."""
        in_order = dense and not self._count(self.names["rejected"])
        numbering = {"source_row": "_k1", "order": ""} if in_order else {
            "source_row": "row_number() OVER (ORDER BY _k1, _k2)", "order": "ORDER BY source_row"}
        self.con.execute(self._sql("finish", table=self.table, **numbering), {"max_len": self.max_title_len})

    def _exec(self, name: str, **fmt: str) -> None:
        self.con.execute(self._sql(name, **fmt))

    def _sql(self, name: str, **fmt: str) -> str:
        names = {"stage": _ident(self.names["stage"]), "view": _ident(self.names["view"]),
                 "rejects": _lit(self.names["rejects"]), "scans": _lit(self.names["scans"]),
                 "rejected": _ident(self.names["rejected"]), "max_line_size": str(MAX_LINE_SIZE)}
        if name == "rejected_records":
            names["rejects"] = _ident(self.names["rejects"])
        return _sql(name, **{**names, **fmt})

    def _count(self, table: str, where: str = "true") -> int:
        return self.con.execute(f"SELECT count(*) FROM {_ident(table)} WHERE {where}").fetchall()[0][0]

    def _column(self, query: str) -> np.ndarray:
        return next(iter(self.con.execute(query).fetchnumpy().values()))

    def _table_exists(self, name: str) -> bool:
        query = "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND temporary"
        return bool(self.con.execute(query, [name]).fetchall()[0][0])

    def drop_temporaries(self) -> None:
        self.con.execute(f"DROP VIEW IF EXISTS {_ident(self.names['view'])}")
        for key in ("stage", "rejects", "scans", "rejected"):
            self.con.execute(f"DROP TABLE IF EXISTS {_ident(self.names[key])}")


def _may_have_blank_lines(source: str) -> bool:
    """Whether two line ends follow each other anywhere (a blank line, or a blank line inside quotes)."""
    tail = b""
    with open(source, "rb") as f:
        while chunk := f.read(CHUNK):
            data = tail + chunk
            if b"\n\n" in data or b"\n\r\n" in data or b"\r\r" in data:
                return True
            tail = data[-2:]
    return False


def _blank_records(source: str, delim: str, last: int) -> np.ndarray | None:
    """Record numbers (1-based, header excluded, as DuckDB counts them) of blank lines up to ``last``.

    Streams the file through Python's csv module, which parses quotes like DuckDB and returns blank
    lines as empty records; None if it cannot parse the file (then the plain count stands).
    """
    limit = csv.field_size_limit()
    csv.field_size_limit(MAX_LINE_SIZE)
    blanks = []
    try:
        with open(source, encoding="utf-8-sig", errors="replace", newline="") as f:
            reader = csv.reader(f, delimiter=delim, quotechar='"', doublequote=True)
            next(reader, None)
            for number, record in enumerate(reader, start=1):
                if number > last:
                    break
                if not record:
                    blanks.append(number)
    except csv.Error:
        return None
    finally:
        csv.field_size_limit(limit)
    return np.array(blanks, dtype=np.int64)


# ------------------------------------------------------------------------------------------ file kind
def _kind(path: Path) -> str:
    suffix = path.suffix.casefold()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in JSON_SUFFIXES:
        return "json"
    known = ", ".join(CSV_SUFFIXES + PARQUET_SUFFIXES + JSON_SUFFIXES)
    raise PostingsError(f"{path}: unsupported file type {path.suffix or '(none)'!r}; use one of {known}")


# ------------------------------------------------------------------------------------------ SQL helpers
def _sql(name: str, **fmt: str) -> str:
    return sql_sections("read_postings.sql")[name].format(**fmt)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _json_pointer(key: str) -> str:
    return "/" + key.replace("~", "~0").replace("/", "~1")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
