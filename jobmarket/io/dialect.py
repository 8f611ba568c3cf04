"""Sniff a text file's layout from its start: the CSV delimiter, the header, whether JSON is an array.

Python reads only the first megabyte (and the header record) here; DuckDB reads the data.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from jobmarket.io.encoding import SNIFF_BYTES
from jobmarket.io.errors import PostingsError

DELIMITERS = (",", ";", "\t", "|")


def _sample_text(source: str) -> tuple[str, bool]:
    with open(source, "rb") as f:
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
    if path.suffix.casefold() == ".tsv":
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
    with open(source, encoding="utf-8-sig", errors="replace", newline="") as f:
        row = next(csv.reader(f, delimiter=delim, quotechar='"', doublequote=True), None)
    if not row or not any(cell.strip() for cell in row):
        raise PostingsError(f"{path}: the first line is empty; expected a header with column names")
    names: list[str] = []
    for i, cell in enumerate(row):
        name = cell.strip() or f"column{i + 1}"
        while name in names:  # duplicate names get a suffix, as DuckDB would
            name += "_1"
        names.append(name)
    return names


def _first_char(source: str) -> str:
    with open(source, encoding="utf-8-sig", errors="replace") as f:
        while chunk := f.read(4096):
            stripped = chunk.lstrip()
            if stripped:
                return stripped[0]
    return ""
