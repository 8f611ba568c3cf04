"""Workbooks (``.xlsx``, ``.xlsm``, ``.xlsb``, ``.xls``, ``.ods``) read through python-calamine.

Each sheet is a table whose first non-empty row is its header; its data rows keep their sheet name and
the row number the spreadsheet shows (header = that row, first data row below it). Fully empty rows are
not records (as blank lines in a CSV). Cells become text as an analyst sees them: whole numbers without
``.0``, dates as ISO dates. A sheet is held in Python while it is read (a sheet has at most ~1M rows).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path

from jobmarket.io.errors import PostingsError

__all__ = ["Sheet", "read_sheets"]


class Sheet:
    """One sheet: its name, header (column names) and data rows as (sheet row number, cells as text)."""

    def __init__(self, name: str, header_row: int, header: list[str], rows: list[tuple[int, list]]):
        self.name, self.header_row, self.header, self.rows = name, header_row, header, rows


def read_sheets(path: Path, wanted: Sequence[str] | None = None) -> Iterator[Sheet]:
    """The sheets of ``path`` (``wanted``: those names, in that order; else every non-empty sheet)."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types, one per format
        raise PostingsError(f"{path}: cannot read as a spreadsheet: {str(exc).splitlines()[0]}") from None
    names = list(book.sheet_names)
    if wanted:
        missing = [w for w in wanted if w not in names]
        if missing:
            raise PostingsError(f"{path}: no sheet {missing[0]!r} (--sheet); sheets are {', '.join(names)}")
        names = list(dict.fromkeys(wanted))
    found = False
    for name in names:
        cells = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        sheet = _sheet(name, cells)
        if sheet is None:
            if wanted:
                raise PostingsError(f"{path}: sheet {name!r} is empty")
            continue
        found = True
        yield sheet
    if not found:
        raise PostingsError(f"{path}: every sheet is empty")


def _sheet(name: str, cells: list[list]) -> Sheet | None:
    rows = ((i + 1, [_text(v) for v in row]) for i, row in enumerate(cells))
    for number, header in rows:
        if any(c is not None for c in header):
            names = [c.strip() if c and c.strip() else f"column{j + 1}" for j, c in enumerate(header)]
            data = [(n, r) for n, r in rows if any(c is not None for c in r)]
            return Sheet(name, number, names, data)
    return None


def _text(value) -> str | None:
    """A cell as text: None for an empty cell, ``12`` for 12.0, ISO for dates and times."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)
