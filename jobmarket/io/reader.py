"""Read postings through DuckDB's readers, map their columns, and account for every input record.

CSV/TSV/TXT (also ``.gz``/``.zst``), Parquet (a file or a ``*.parquet`` dataset folder), JSON (Lines or an
array, also compressed) and workbooks (xlsx/xls/ods, through python-calamine) become one TEMP table with a
row per input record, numbered 1..n in file order (``source_row``; a sheet's or dataset file's own row
in ``source_part``/``part_row``), each ``ok`` or ``rejected`` with a reason: a malformed CSV line, invalid
UTF-8, invalid JSON, an empty, overlong or not-a-title title. Nothing is dropped silently. Countries and
languages are standardised beside their raw values, dates parsed (``values.py``), and descriptions kept,
redacted or dropped by policy (``privacy.py``).

DuckDB reads the data (the file is never loaded into Python). Python only looks at the first megabyte
to choose the encoding and delimiter and to parse the header, and streams a copy through a decoder
when the file is not UTF-8 (DuckDB 2.0's CSV reader decodes only UTF-8, UTF-16 and Latin-1 itself).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from jobmarket.io.columns import ROLE_COLUMNS, ROLES, ColumnMap, _map_columns, unique_names
from jobmarket.io.compression import plain_suffix
from jobmarket.io.dialect import (
    MAX_LINE_SIZE,
    _blank_records,
    _delimiter,
    _first_char,
    _header,
    _may_have_blank_lines,
)
from jobmarket.io.encoding import CHUNK, _lf_line_endings, _utf8_copy
from jobmarket.io.errors import PostingsError
from jobmarket.io.privacy import DEFAULT_POLICY, apply_description_policy
from jobmarket.io.sources import file_kind, is_parquet_dataset
from jobmarket.io.spreadsheet import read_sheets
from jobmarket.io.values import standardise_values
from jobmarket.sql import sql_sections

__all__ = ["ReadResult", "file_sha256", "read_postings"]
_kind = file_kind  # the name jobmarket.io.header imports



@dataclass
class ReadResult:
    table: str
    n_rows: int
    n_rejected: int
    columns: ColumnMap
    source_sha256: str
    encoding: str | None
    delimiter: str | None
    notes: dict = field(default_factory=dict)  # values not understood, redactions, sheets read


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file, read in chunks; of a Parquet dataset folder, over its files' names and hashes."""
    path = Path(path)
    if path.is_dir():
        digest = hashlib.sha256()
        for member in sorted(p for p in path.rglob("*.parquet") if p.is_file()):
            digest.update(f"{member.relative_to(path).as_posix()}\0{file_sha256(member)}\n".encode())
        return digest.hexdigest()
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
    sheet: Sequence[str] | None = None,
    country: str | None = None,
    lang: str | None = None,
    descriptions: str = DEFAULT_POLICY,
    max_title_len: int = 300,
    table: str = "raw_postings",
) -> ReadResult:
    """Read a postings file into the TEMP table ``table``: one row per input record, numbered in file order.

    Columns: source_row, source_part, part_row, external_id, title_raw, description, country, language
    (standard codes), date (DATE), country_raw, language_raw, date_raw, status ('ok' | 'rejected'),
    reason, keep_description, skill_text. Columns are mapped by name when not given (see ``*_NAMES``).
    ``sheet``: the workbook sheets to read (default: every non-empty one); ``country``/``lang``: every row's
    country or language; ``descriptions``: ``keep`` | ``redact`` | ``skills`` | ``none``
    (:mod:`jobmarket.io.privacy`).
    """
    path = Path(path)
    if not path.is_file() and not is_parquet_dataset(path):
        raise PostingsError(f"{path}: no such file")
    if path.is_file() and path.stat().st_size == 0:
        raise PostingsError(f"{path} is empty")
    given = {"title": title_col, "id": id_col, "description": description_col, "country": country_col,
             "language": lang_col, "date": date_col}
    kind = file_kind(path)
    if sheet and kind != "spreadsheet":
        raise PostingsError(f"{path}: --sheet applies to workbooks (.xlsx, .xls, .ods) only")
    reader = _Reader(con, path, given, max_title_len, _ident(table))
    try:
        con.execute(_sql("date_macro"))
        if kind == "csv":
            reader.read_csv(delimiter, encoding)
        elif kind == "parquet":
            reader.read_parquet()
        elif kind == "parquet_dataset":
            reader.read_parquet_dataset()
        elif kind == "spreadsheet":
            reader.read_spreadsheet(sheet)
        else:
            reader.read_json(encoding)
        notes = standardise_values(con, _ident(table), path, country=country, lang=lang)
        notes |= apply_description_policy(con, _ident(table), descriptions)
        notes["descriptions"] = descriptions
        if reader.sheets:
            notes["sheets"] = reader.sheets
        n_rows, n_rejected = con.execute(_sql("counts", table=_ident(table))).fetchall()[0]
    except duckdb.Error as exc:
        raise PostingsError(f"{path}: {_first_line(exc)}") from exc
    finally:
        reader.drop_temporaries()
    return ReadResult(
        table=table, n_rows=n_rows, n_rejected=n_rejected, columns=reader.columns,
        source_sha256=file_sha256(path), encoding=reader.encoding, delimiter=reader.delimiter, notes=notes,
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
        self.sheets: dict[str, int] = {}  # sheet → data rows read

    # ---------------------------------------------------------------- CSV
    def read_csv(self, delimiter: str | None, encoding: str | None) -> None:
        with _utf8_copy(self.path, encoding) as (source, self.encoding):
            self.delimiter = _delimiter(source, self.path, delimiter)
            raw_header = _header(source, self.path, self.delimiter)
            self.columns = _map_columns(self.path, raw_header, self.given)
            header = unique_names(raw_header)
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
            if plain_suffix(self.path) == ".json" and _first_char(source) == "[":
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
        self._positional("rowid + 1")
        self._no_rejects()
        self._finish()

    # ---------------------------------------------------------------- Parquet
    def read_parquet(self) -> None:
        query = f"DESCRIBE SELECT * FROM read_parquet({_lit(str(self.path))})"
        described = self.con.execute(query).fetchall()
        self.columns = _map_columns(self.path, [row[0] for row in described], self.given)
        self._exec("parquet_stage", path=_lit(str(self.path)), projection=self._casts())
        self._positional("_pos")
        self._no_rejects()
        self._finish()

    def read_parquet_dataset(self) -> None:
        """A ``*.parquet`` folder: its files (any depth) as one source; columns by name across files."""
        pattern = str(self.path / "**" / "*.parquet")
        if not any(p.is_file() for p in self.path.rglob("*.parquet")):
            raise PostingsError(f"{self.path}: no .parquet files in this dataset folder")
        query = f"DESCRIBE SELECT * FROM read_parquet({_lit(pattern)}, union_by_name = true)"
        described = self.con.execute(query).fetchall()
        self.columns = _map_columns(self.path, [row[0] for row in described], self.given)
        self._exec("parquet_dataset_stage", path=_lit(pattern), projection=self._casts(),
                   prefix_len=str(len(str(self.path)) + 1))
        self._positional("_pos", part="_part", part_row="_part_row")
        self._no_rejects()
        self._finish()

    # ---------------------------------------------------------------- workbooks
    def read_spreadsheet(self, wanted: Sequence[str] | None) -> None:
        """Each sheet mapped by its own header; rows numbered across sheets in workbook order."""
        stage = _ident(self.names["stage"])
        types = ", ".join(f"{ROLE_COLUMNS[r]} VARCHAR" for r in ROLES)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {stage} (_pos BIGINT, _part VARCHAR, "
                         f"_part_row BIGINT, {types})")
        done = 0
        for sheet in read_sheets(self.path, wanted):
            where = f"{self.path} (sheet {sheet.name!r}, row {sheet.header_row})"
            columns = _map_columns(where, sheet.header, self.given)
            self.columns = self.columns or columns
            index = {name: i for i, name in enumerate(unique_names(sheet.header))}
            cols: dict[str, list] = {"_pos": [], "_part": [], "_part_row": []}
            cols |= {ROLE_COLUMNS[r]: [] for r in ROLES}
            for number, cells in sheet.rows:
                done += 1
                cols["_pos"].append(done)
                cols["_part"].append(sheet.name)
                cols["_part_row"].append(number)
                for role in ROLES:
                    name = getattr(columns, role)
                    at = index[name] if name else None
                    cols[ROLE_COLUMNS[role]].append(cells[at] if at is not None and at < len(cells) else None)
            self.sheets[sheet.name] = len(sheet.rows)
            self.con.register("_jm_sheet", pa.table(cols))
            try:
                self.con.execute(f"INSERT INTO {stage} SELECT * FROM _jm_sheet")
            finally:
                self.con.unregister("_jm_sheet")
        self._positional("_pos", part="_part", part_row="_part_row")
        self._no_rejects()
        self._finish()

    # ---------------------------------------------------------------- shared steps
    def _positional(self, position: str, part: str = "NULL::VARCHAR", part_row: str = "NULL::BIGINT") -> None:
        self._exec("positional_staged_rows", position=position, part=part, part_row=part_row)

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
