"""Sniff a text file's layout from its start: the CSV delimiter, the header, whether JSON is an array.

Python reads only the first megabyte (and the header record) here; DuckDB reads the data.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from jobmarket.io.compression import open_bytes, open_text, plain_suffix
from jobmarket.io.encoding import CHUNK, SNIFF_BYTES
from jobmarket.io.errors import PostingsError

DELIMITERS = (",", ";", "\t", "|")
MAX_LINE_SIZE = 32 << 20  # one record may be this long (DuckDB's default is 2 MB)


def _sample_text(source: str) -> tuple[str, bool]:
    with open_bytes(source) as f:
        raw = f.read(SNIFF_BYTES)
        complete = not f.read(1)
    return raw.decode("utf-8-sig", errors="replace"), complete


def _delimiter(source: str, path: Path, given: str | None) -> str:
    if given:
        named = {"\\t": "\t", "tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
        given = named.get(given.casefold(), given)
        if len(given) != 1:
            raise PostingsError(f"{path}: the delimiter must be one character, not {given!r}")
        return given
    if plain_suffix(path) == ".tsv":
        return "\t"
    text, complete = _sample_text(source)
    return max(DELIMITERS, key=lambda d: _dialect_score(text, d, complete))


def _dialect_score(text: str, delim: str, complete: bool) -> tuple[bool, float, int]:
    """How well ``delim`` splits the sample: several header fields, records as wide as the header."""
    rows = list(_first_records(text, delim, 200))
    if not complete and len(rows) > 1:
        rows = rows[:-1]  # the last record may be cut by the sample's end
    if not rows:
        return (False, 0.0, 0)
    width = len(rows[0])
    body = [r for r in rows[1:] if r]
    consistent = sum(len(r) == width for r in body) / len(body) if body else 1.0
    return (width > 1, consistent, width)


def _first_records(text: str, delim: str, limit: int) -> Iterator[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, quotechar='"', doublequote=True)
    try:
        for i, row in enumerate(reader):
            if i >= limit:
                return
            yield row
    except csv.Error:
        return


def _header(source: str, path: Path, delim: str) -> list[str]:
    """Column names from the first record (read by Python: only the header, never the data)."""
    with open_text(source) as f:
        row = next(csv.reader(f, delimiter=delim, quotechar='"', doublequote=True), None)
    if not row or not any(cell.strip() for cell in row):
        raise PostingsError(f"{path}: the first line is empty; expected a header with column names")
    # Duplicates stay: jobmarket.io.columns names them apart and refuses to guess between them.
    return [cell.strip() or f"column{i + 1}" for i, cell in enumerate(row)]


def _first_char(source: str) -> str:
    with open_text(source) as f:
        while chunk := f.read(4096):
            stripped = chunk.lstrip()
            if stripped:
                return stripped[0]
    return ""


def _may_have_blank_lines(source: str) -> bool:
    """Whether two line ends follow each other anywhere (a blank line, or a blank line inside quotes)."""
    tail = b""
    with open_bytes(source) as f:
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
        with open_text(source) as f:
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
