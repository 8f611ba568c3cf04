"""The column names of a CSV/TSV, Parquet or JSON file, read as the postings reader reads them.

For readers of other tables than postings (coded titles) that must map their own columns before reading.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from jobmarket.io.dialect import _delimiter, _first_char, _header
from jobmarket.io.encoding import _utf8_copy
from jobmarket.io.errors import PostingsError
from jobmarket.io.reader import _kind, _lit

__all__ = ["file_columns"]

_JSONL_PEEK = 1000  # JSON Lines: the keys of the first records name the columns


def file_columns(path: str | Path, delimiter: str | None = None, encoding: str | None = None) -> list[str]:
    """The file's column names (CSV header, Parquet schema, JSON keys); one-line errors for bad files."""
    path = Path(path)
    if not path.is_file():
        raise PostingsError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise PostingsError(f"{path} is empty")
    kind = _kind(path)
    try:
        if kind == "parquet":
            with duckdb.connect() as con:
                return [
                    r[0]
                    for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet({_lit(str(path))})").fetchall()
                ]
        with _utf8_copy(path, encoding, json=kind == "json") as (source, _):
            if kind == "csv":
                return _header(source, path, _delimiter(source, path, delimiter))
            if _first_char(source) == "[":
                with duckdb.connect() as con:
                    query = (
                        f"DESCRIBE SELECT * FROM read_json({_lit(source)}, format = 'array', records = true)"
                    )
                    return [r[0] for r in con.execute(query).fetchall()]
            return _jsonl_keys(source)
    except duckdb.Error as exc:
        raise PostingsError(f"{path}: cannot read it ({str(exc).splitlines()[0]})") from exc


def _jsonl_keys(source: str) -> list[str]:
    keys: dict[str, None] = {}
    with open(source, encoding="utf-8-sig", errors="replace") as f:
        for i, line in enumerate(f):
            if i >= _JSONL_PEEK:
                break
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                keys.update(dict.fromkeys(record))
    return list(keys)
